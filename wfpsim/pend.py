"""Pended classification, the C API's shape in Python: decide later, then let the stack go on.

Two pairs, as in ``fwpsk.h`` (Microsoft Learn, *Processing Classify Callouts Asynchronously*):

* **ALE authorization**: ``FwpsPendOperation0(completion_handle, completion_context)`` suspends
  the operation classified at ``ALE_RESOURCE_ASSIGNMENT``, ``ALE_AUTH_LISTEN``,
  ``ALE_AUTH_CONNECT`` or ``ALE_AUTH_RECV_ACCEPT``: the layers whose metadata carries
  ``completion_handle`` (``FWPS_METADATA_FIELD_COMPLETION_HANDLE``, *Metadata fields at each
  filtering layer*). The classifyFn then returns ``FWP_ACTION_BLOCK`` with
  ``FWPS_CLASSIFY_OUT_FLAG_ABSORB`` (the *FwpsPendOperation0* Remarks). Later
  ``FwpsCompleteOperation0(completion_context, net_buffer_list)`` resumes it: the operation is
  **authorized again** — a reauthorization classify at the same layer with
  ``FWP_CONDITION_FLAG_IS_REAUTHORIZE`` (reason ``…_CLASSIFY_COMPLETION``), where the callout
  gives the decision it reached. At ``ALE_AUTH_RECV_ACCEPT`` completing triggers no
  reauthorization (Microsoft): the callout re-injects the packet it cloned, and permitting that
  copy accepts the connection; without a copy the connection is refused.
* **Any classification that allows it**: ``FwpsAcquireClassifyHandle0``
  (:mod:`wfpsim.modification`),
  ``FwpsPendClassify0(classify_handle, filter_id, flags, classify_out)``, then the callout sets
  ``FWP_ACTION_BLOCK`` and clears ``FWPS_RIGHT_ACTION_WRITE``; later
  ``FwpsCompleteClassify0(classify_handle, flags, classify_out)`` gives the final decision (a
  ``classify_out``) or asks for a reauthorization (``None``), then
  ``FwpsReleaseClassifyHandle0``.

A ``completion_handle`` belongs to one classification and is refused once it has returned.
``FwpsPendOperation0`` returns ``STATUS_FWP_CANNOT_PEND`` in a reauthorization (its Remarks);
both pend functions return it at a layer that does not allow pending. The completion
functions return nothing in C; called wrongly (an unknown context, twice, after the stack gave
up) they raise :class:`~wfpsim.errors.InvalidParameterError`, which inside a callout or a
scheduled callback is recorded as that code's fault.

Choices where Microsoft is silent, all **our choice**:

* ``FwpsPendClassify0`` is allowed at ``ALE_BIND_REDIRECT``, ``ALE_CONNECT_REDIRECT`` (Microsoft's
  *Using Bind or Connect Redirection* pends there) and ``ALE_ENDPOINT_CLOSURE`` (WFPSampler
  pends there); everywhere else, and at every discard layer, it is ``STATUS_FWP_CANNOT_PEND``.
  ``ALE_FLOW_ESTABLISHED`` is documented as not supporting asynchronous processing.
* A completion with ``FwpsCompleteClassify0(…, classify_out)`` is the pended callout's final
  answer: when its filter decided the layer, the layer's action becomes the completed
  ``action_type`` (``FWP_ACTION_PERMIT`` or ``FWP_ACTION_BLOCK``; anything else stays BLOCK).
* A failed pend call (no completion handle at this layer, a reauthorization, pending twice) and
  a callout that pends but does not return BLOCK (+ ABSORB / without the write right) are
  reported as that callout's fault on the journey; the traffic still gets the action returned.
* How long the stack waits, and what happens meanwhile, is :mod:`wfpsim.stack.pending`'s.
"""

from __future__ import annotations

import itertools
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wfpsim.catalog import layer
from wfpsim.clock import clock_of
from wfpsim.errors import InvalidParameterError
from wfpsim.ids import (
    STATUS_FWP_CANNOT_PEND,
    STATUS_FWP_NULL_POINTER,
    STATUS_FWP_TCPIP_NOT_READY,
    STATUS_INVALID_PARAMETER,
    STATUS_SUCCESS,
)
from wfpsim.kernel import current_kernel
from wfpsim.modification import add_reference, classify_handle_context, release_reference
from wfpsim.netbuffers import Out, is_out

if TYPE_CHECKING:
    from wfpsim.kernel import Kernel

#: Layer families whose metadata carries ``completionHandle`` (``FwpsPendOperation0``).
PEND_OPERATION_LAYERS = (
    "ALE_RESOURCE_ASSIGNMENT",
    "ALE_AUTH_LISTEN",
    "ALE_AUTH_RECV_ACCEPT",
    "ALE_AUTH_CONNECT",
)
#: Layer families where completing an operation reauthorizes it (not RECV_ACCEPT: Microsoft).
REAUTHORIZED_ON_COMPLETION = ("ALE_RESOURCE_ASSIGNMENT", "ALE_AUTH_LISTEN", "ALE_AUTH_CONNECT")
#: Layer families where ``FwpsPendClassify0`` is allowed (our choice, see the module docstring).
PEND_CLASSIFY_LAYERS = ("ALE_BIND_REDIRECT", "ALE_CONNECT_REDIRECT", "ALE_ENDPOINT_CLOSURE")

PEND_OPERATION = "FwpsPendOperation0"
PEND_CLASSIFY = "FwpsPendClassify0"


@dataclass(slots=True)
class CompletionHandle:
    """A ``completionHandle`` the engine handed to one classification."""

    handle: int
    layer: str
    reauthorize: bool = False
    discard: bool = False
    #: FwpsPendOperation0 succeeded with it
    pended: bool = False


@dataclass(slots=True)
class Pended:
    """One pended operation or classification, from the pend to its completion.

    ``state`` is ``"pended"``, ``"completed"`` or ``"timed out"`` (the stack gave up);
    ``decision`` is the completed ``(action_type, rights, flags)`` of ``FwpsCompleteClassify0``
    (None: reauthorize, or an operation).
    """

    function: str
    context: int
    layer: str
    callout: str
    pended_at: float
    filter_id: int = 0
    state: str = "pended"
    completed_at: float | None = None
    completed_by: str = ""
    decision: tuple[int, int, int] | None = None
    net_buffer_list: Any = None

    @property
    def waiting(self) -> bool:
        """Still pended."""
        return self.state == "pended"


@dataclass(slots=True)
class PendState:
    """One kernel's completion handles and pended classifications."""

    handles: dict[int, CompletionHandle] = field(default_factory=dict)
    #: by completion context (operations) or classify handle (classifications)
    pended: dict[tuple[str, int], Pended] = field(default_factory=dict)
    #: every successful pend, in order (the stack reads the new ones after a classification)
    log: list[Pended] = field(default_factory=list)
    #: faults of callouts found in pend calls, for the stack to put on the journey
    problems: list[str] = field(default_factory=list)
    #: set by the stack around a reauthorization it makes after a completion: no pending there
    reauthorizing: bool = False


_STATES: weakref.WeakKeyDictionary[Kernel, PendState] = weakref.WeakKeyDictionary()
_CONTEXTS = itertools.count(0x7000, 8)
_COMPLETION_HANDLES = itertools.count(0x9000, 8)


def pend_state(kernel: Kernel) -> PendState:
    """The pend records of one kernel (created on first use)."""
    found = _STATES.get(kernel)
    if found is None:
        found = _STATES[kernel] = PendState()
    return found


def issue_completion_handle(
    kernel: Kernel, layer_name: str, reauthorize: bool, discard: bool
) -> int:
    """A fresh ``completionHandle`` for one classification at ``layer_name`` (the stack's)."""
    number = next(_COMPLETION_HANDLES)
    pend_state(kernel).handles[number] = CompletionHandle(number, layer_name, reauthorize, discard)
    return number


def retire_completion_handle(kernel: Kernel, handle: int) -> None:
    """The classification ``handle`` was given to has returned: the handle is no longer valid."""
    pend_state(kernel).handles.pop(handle, None)


def _who(kernel: Kernel) -> str:
    running = kernel.running_callouts
    return running[-1] if running else ""


def _name(who: str) -> str:
    return f"callout {who!r}" if who else "a driver"


def _refuse(state: PendState, who: str, status: int, why: str) -> int:
    state.problems.append(f"{_name(who)}: {why} (returned 0x{status:08X})")
    return status


# -- ALE authorization: FwpsPendOperation0 / FwpsCompleteOperation0 ------------------------
def FwpsPendOperation0(completion_handle: int | None, completion_context: Out[int]) -> int:
    """Suspend the ALE operation being classified; ``completion_context`` gets its context.

    ``completion_handle`` is ``in_meta_values.completion_handle``. Returns ``STATUS_SUCCESS``,
    ``STATUS_FWP_CANNOT_PEND`` (a reauthorization, or a discard layer), ``STATUS_FWP_NULL_POINTER``
    (no completion handle — none at this layer, or its classification already returned — or no
    out cell) or ``STATUS_INVALID_PARAMETER`` (already pended).
    """
    kernel = current_kernel()
    if kernel is None:
        return STATUS_FWP_TCPIP_NOT_READY
    state, who = pend_state(kernel), _who(kernel)
    if not is_out(completion_context):
        return _refuse(state, who, STATUS_FWP_NULL_POINTER, "FwpsPendOperation0 without an Out()")
    found = state.handles.get(completion_handle) if isinstance(completion_handle, int) else None
    if found is None:
        valid = ", ".join(PEND_OPERATION_LAYERS)
        return _refuse(
            state,
            who,
            STATUS_FWP_NULL_POINTER,
            f"FwpsPendOperation0({completion_handle!r}): no completion handle — only {valid} "
            "hand one in in_meta_values.completion_handle (FWPS_METADATA_FIELD_COMPLETION_HANDLE), "
            "valid only while that classifyFn runs",
        )
    if found.reauthorize or state.reauthorizing or found.discard:
        why = "a discard layer" if found.discard else "a reauthorization (IS_REAUTHORIZE)"
        return _refuse(
            state,
            who,
            STATUS_FWP_CANNOT_PEND,
            f"FwpsPendOperation0 at {found.layer} in {why}: only an initial ALE authorization "
            "can be pended — decide here (STATUS_FWP_CANNOT_PEND)",
        )
    if found.pended:
        return _refuse(
            state, who, STATUS_INVALID_PARAMETER, f"FwpsPendOperation0 twice at {found.layer}"
        )
    context = next(_CONTEXTS)
    record = Pended(PEND_OPERATION, context, found.layer, who, clock_of(kernel).now)
    state.pended[(PEND_OPERATION, context)] = record
    state.log.append(record)
    found.pended = True
    completion_context.value = context
    return STATUS_SUCCESS


def FwpsCompleteOperation0(completion_context: int, net_buffer_list: Any = None) -> None:
    """Resume an operation ``FwpsPendOperation0`` suspended: the stack authorizes it again.

    Raises:
        InvalidParameterError: no engine is current, the context is unknown, already completed,
            or its operation timed out.
    """
    kernel, record = _find(PEND_OPERATION, completion_context, "completion context")
    _complete(kernel, record)
    record.net_buffer_list = net_buffer_list


# -- any layer that allows it: FwpsPendClassify0 / FwpsCompleteClassify0 --------------------
def FwpsPendClassify0(classify_handle: int, filter_id: int, flags: int, classify_out: Any) -> int:
    """Pend this classification (a handle from ``FwpsAcquireClassifyHandle0``).

    Then set ``classify_out.action_type = FWP_ACTION_BLOCK`` and clear
    ``FWPS_RIGHT_ACTION_WRITE``. Returns ``STATUS_SUCCESS``, ``STATUS_FWP_CANNOT_PEND`` (a layer
    that does not allow it, a reauthorization) or ``STATUS_INVALID_PARAMETER``.
    """
    kernel = current_kernel()
    if kernel is None:
        return STATUS_FWP_TCPIP_NOT_READY
    state, who = pend_state(kernel), _who(kernel)
    context = classify_handle_context(classify_handle)
    if context is None or context.layer_id is None:
        return _refuse(
            state,
            who,
            STATUS_INVALID_PARAMETER,
            f"FwpsPendClassify0({classify_handle!r}): not a live handle from "
            "FwpsAcquireClassifyHandle0",
        )
    la = layer(context.layer_id)
    discard = la.short_name.endswith("_DISCARD")
    if la.family not in PEND_CLASSIFY_LAYERS or discard or state.reauthorizing:
        valid = ", ".join(PEND_CLASSIFY_LAYERS)
        return _refuse(
            state,
            who,
            STATUS_FWP_CANNOT_PEND,
            f"FwpsPendClassify0 at {la.short_name}: the engine does not allow asynchronous "
            f"classification here (wfpsim allows it at {valid}, not in a reauthorization)",
        )
    if (PEND_CLASSIFY, classify_handle) in state.pended:
        return _refuse(state, who, STATUS_INVALID_PARAMETER, "FwpsPendClassify0 twice")
    fid = filter_id if isinstance(filter_id, int) and not isinstance(filter_id, bool) else 0
    record = Pended(PEND_CLASSIFY, classify_handle, la.short_name, who, clock_of(kernel).now, fid)
    state.pended[(PEND_CLASSIFY, classify_handle)] = record
    state.log.append(record)
    add_reference(classify_handle)
    return STATUS_SUCCESS


def FwpsCompleteClassify0(classify_handle: int, flags: int, classify_out: Any = None) -> None:
    """Complete a pended classification: ``classify_out`` is the final decision, ``None``
    asks for a reauthorization. Release the handle afterwards (``FwpsReleaseClassifyHandle0``).

    Raises:
        InvalidParameterError: no engine is current, the handle was never pended, was already
            completed, or its classification timed out; ``classify_out`` holds non-integers.
    """
    kernel, record = _find(PEND_CLASSIFY, classify_handle, "classify handle")
    decision = None
    if classify_out is not None:
        try:
            decision = (
                _int(classify_out.action_type),
                _int(classify_out.rights),
                _int(classify_out.flags),
            )
        except (AttributeError, TypeError) as err:
            raise InvalidParameterError(
                f"FwpsCompleteClassify0: classify_out = {classify_out!r} is not an "
                f"FWPS_CLASSIFY_OUT0 with integer action_type, rights and flags ({err})"
            ) from None
    _complete(kernel, record)
    record.decision = decision
    release_reference(classify_handle)


# -- helpers ----------------------------------------------------------------------------------
def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{value!r} is not an integer")
    return int(value)


def _find(function: str, key: object, what: str) -> tuple[Kernel, Pended]:
    kernel = current_kernel()
    completer = function.replace("Pend", "Complete")
    if kernel is None:
        raise InvalidParameterError(
            f"{completer} needs an engine: call it from a callout, a callback scheduled with "
            "wfpsim.clock.schedule_after, or inside engine.kernel_context()"
        )
    state = pend_state(kernel)
    record = state.pended.get((function, key)) if isinstance(key, int) else None
    shown = f"{key:#x}" if isinstance(key, int) and not isinstance(key, bool) else repr(key)
    if record is None:
        waiting = [hex(p.context) for p in state.pended.values() if p.function == function]
        valid = ", ".join(w for w in waiting) or "none is pended"
        raise InvalidParameterError(
            f"{completer}({shown}): unknown {what} — give the value {function} was given "
            f"or returned (pended now: {valid})"
        )
    if record.state == "completed":
        raise InvalidParameterError(
            f"{completer}({shown}): already completed at t={record.completed_at:.3f} s "
            f"by {_name(record.completed_by)}; complete each pend exactly once"
        )
    if record.state == "timed out":
        raise InvalidParameterError(
            f"{completer}({shown}): too late — the stack gave up waiting for the "
            f"{record.layer} operation {_name(record.callout)} pended (it timed out)"
        )
    return kernel, record


def _complete(kernel: Kernel, record: Pended) -> None:
    record.state = "completed"
    record.completed_at = clock_of(kernel).now
    record.completed_by = _who(kernel)


__all__ = [
    "PEND_CLASSIFY_LAYERS",
    "PEND_OPERATION_LAYERS",
    "CompletionHandle",
    "FwpsCompleteClassify0",
    "FwpsCompleteOperation0",
    "FwpsPendClassify0",
    "FwpsPendOperation0",
    "PendState",
    "Pended",
    "issue_completion_handle",
    "pend_state",
    "retire_completion_handle",
]
