"""Classify at one layer: build what callouts see, run arbitration, count and report.

The rules live in :mod:`wfpsim.arbitration`; this module prepares the inputs
(``FWPS_INCOMING_VALUES0``, ``FWPS_FILTER``, ``FWPS_CLASSIFY_OUT0``), keeps each layer's
filter index (:mod:`wfpsim.index`) in step with the store, and calls callouts.

A callout cannot escape. Whatever a classifyFn does wrong is a *fault of that callout*: the
traffic it saw is handled as a fault (blocked, :data:`wfpsim.arbitration.CHOICE_FAULT`) and
the trace says what happened. Faults are: raising any exception (``SystemExit`` included),
leaving a non-integer ``action_type``, ``rights`` or ``flags`` in ``classify_out``, calling
back into the engine's ``classify`` (refused with :class:`~wfpsim.errors.InvalidParameterError`;
in the kernel, re-entering the classify path from a classifyFn recurses at
``DISPATCH_LEVEL``), and running longer than the engine's ``callout_budget`` seconds (our
stand-in for the kernel's DPC watchdog, which bug-checks a driver that holds the processor
too long; default :data:`DEFAULT_CALLOUT_BUDGET`, ``None`` turns it off).

**Our choice**: ``KeyboardInterrupt`` is let through. It is the user stopping the program
(Ctrl-C, a notebook's Interrupt button), not something the callout did, and containing it
would leave no way to stop a callout stuck in a loop — the watchdog can only judge a call
that returns.
"""

from __future__ import annotations

import os
import time
import traceback
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from wfpsim.arbitration import arbitrate, normalise
from wfpsim.callouts import ClassifyOut, IncomingValues, KernelFilter, MetaValues
from wfpsim.catalog import Field, Layer, layer
from wfpsim.coercion import coerce
from wfpsim.conditions import field_for
from wfpsim.errors import CalloutNotFoundError, ConditionNotFoundError, InvalidParameterError
from wfpsim.index import LayerIndex
from wfpsim.modification import ClassifyContext
from wfpsim.objects import Action, Filter, Sublayer
from wfpsim.registry import CalloutRegisterFlag, Registration
from wfpsim.trace import CalloutCall, Classification
from wfpsim.values import DataType, Value

if TYPE_CHECKING:
    from wfpsim.engine import Engine


@dataclass(slots=True)
class LayerStatistics:
    """``FWPM_LAYER_STATISTICS0``-style counters for one layer."""

    classify_permit_count: int = 0
    classify_block_count: int = 0
    classify_veto_count: int = 0
    classify_count: int = 0


@dataclass(frozen=True, slots=True)
class VetoEvent:
    """A veto notification: which callout filter overrode which hard permit."""

    layer: str
    filter_id: int
    filter_name: str
    overridden: str
    audit_event_id: int = 5153


@dataclass(slots=True)
class ClassifyLog:
    """What classification leaves behind on the engine: statistics and veto events."""

    statistics: dict[str, LayerStatistics] = field(default_factory=dict)
    vetoes: list[VetoEvent] = field(default_factory=list)


#: (layer name, field name as given) -> the field: names are resolved once per process
_FIELDS: dict[tuple[str, str], Field] = {}


def incoming_values(la: Layer, values: Mapping[str, Any] | None) -> dict[str, Value]:
    """Friendly field → value input to typed incoming values keyed by condition name.

    Integers are typed as the field is; ``"10.1.2.3"`` becomes a host-order ``FWP_UINT32``;
    a path becomes an app-id blob; a user id string becomes token information.
    """
    out: dict[str, Value] = {}
    for given, raw in (values or {}).items():
        fld = _FIELDS.get((la.name, given)) if isinstance(given, str) else None
        if fld is None:
            fld = field_for(la, given)
            if isinstance(given, str):
                _FIELDS[(la.name, given)] = fld
        name, data_type = fld.condition, fld.type
        if name is None or data_type is None:  # field_for returns condition fields only
            raise ConditionNotFoundError(f"layer {la.short_name}: {fld.name} is not a condition")
        tokens = (DataType.TOKEN_ACCESS_INFORMATION_TYPE, DataType.TOKEN_INFORMATION_TYPE)
        if data_type == DataType.SECURITY_DESCRIPTOR_TYPE and isinstance(raw, str):
            value = Value(DataType.TOKEN_ACCESS_INFORMATION_TYPE, raw)
        elif isinstance(raw, Value) and raw.type in tokens:
            value = raw  # what classify hands over for a user: the token, not a descriptor
        else:
            value = coerce(data_type, [data_type], raw, f"{name} at {la.short_name}")
        out[name] = value
    return out


#: Seconds a classifyFn may run before the simulated watchdog calls it a fault.
DEFAULT_CALLOUT_BUDGET = 5.0


class _EngineState:
    """What the classifier keeps per engine: layer indexes and the callouts running now."""

    def __init__(self) -> None:
        self.layers: dict[str, LayerIndex] = {}
        #: callout names whose classifyFn is running (to refuse re-entry), innermost last
        self.running: list[str] = []
        #: names of running callouts that re-entered the engine
        self.reentered: set[str] = set()


_STATES: weakref.WeakKeyDictionary[Engine, _EngineState] = weakref.WeakKeyDictionary()


def _state_of(engine: Engine) -> _EngineState:
    found = _STATES.get(engine)
    if found is None:
        found = _STATES[engine] = _EngineState()
        found.running = engine.kernel.running_callouts  # kernel calls name their caller
    return found


def layer_index(engine: Engine, la: Layer) -> LayerIndex:
    """The layer's index, brought up to date with the engine's committed filters.

    Reads the store only through its methods: the layer's ``generation`` (a number that
    changes whenever the layer's filters or the sublayers may have), and, when it changed,
    ``filters_on`` and ``sublayer_order``; the index then applies only the difference.
    """
    layers = _state_of(engine).layers
    index = layers.get(la.name)
    if index is None:
        index = layers[la.name] = LayerIndex()
    if la.id is None:
        return index  # a layer without a run-time id holds no filters
    store = engine.store
    generation = store.generation(la.id)
    if generation != index.generation:
        on_layer = {f.filter_id: f for f in store.filters_on(la.id)}
        index.sync(generation, on_layer, store.sublayer_order)
    return index


def classify(
    engine: Engine,
    layer_ref: Layer | str | int,
    values: Mapping[str, Any] | None = None,
    meta: MetaValues | None = None,
    layer_data: object = None,
    flow_contexts: Mapping[int, int] | None = None,
) -> Classification:
    """Classify once at a layer with the engine's committed filters.

    Raises:
        InvalidParameterError: called from inside a classifyFn of this engine (the calling
            callout is faulted too).
    """
    la = layer(layer_ref)
    state = _state_of(engine)
    if state.running:
        state.reentered.add(state.running[-1])
        raise InvalidParameterError(
            f"classify at {la.short_name} called from inside callout {state.running[-1]!r}'s "
            "classifyFn: a classifyFn must not re-enter the engine; the callout is faulted"
        )
    typed = incoming_values(la, values)
    in_fixed = IncomingValues.build(la, typed)
    index = layer_index(engine, la)
    caller = _Caller(engine, state, in_fixed, meta or MetaValues(), layer_data, flow_contexts)
    by_condition = in_fixed.by_condition()
    with engine.kernel_context():
        result = arbitrate(
            la.short_name,
            la.id,
            index.snapshot(),
            by_condition,
            caller.invoke,
            caller.is_registered,
            caller.skip_call,
            (cands for _, cands in index.candidates(by_condition)),
        )
    _count(engine, la, result)
    return result


class _Caller:
    """Calls one classification's callouts: builds their arguments, contains their faults."""

    def __init__(
        self,
        engine: Engine,
        state: _EngineState,
        in_fixed: IncomingValues,
        in_meta: MetaValues,
        layer_data: object,
        flow_contexts: Mapping[int, int] | None,
    ) -> None:
        self.engine = engine
        self.state = state
        self.in_fixed = in_fixed
        self.in_meta = in_meta
        self.layer_data = layer_data
        #: ``classify_context``: what FwpsAcquireClassifyHandle0 takes (``wfpsim.modification``)
        self.classify_context = ClassifyContext(layer_data, in_fixed.layer_id)
        self.flow_contexts = flow_contexts or {}

    def registration(self, flt: Filter) -> Registration | None:
        """The registration of the filter's callout; None when it names none or is unregistered."""
        return self.engine.registration(flt.callout)

    def callout_name(self, flt: Filter) -> str:
        """The filter's callout by name; its key when it was registered but never added."""
        if flt.callout is None:
            return ""
        try:
            return self.engine.store.find_callout(flt.callout).name
        except CalloutNotFoundError:  # registered but not added (FwpmCalloutAdd0 not called)
            return str(flt.callout)

    def is_registered(self, flt: Filter) -> bool:
        """The filter's callout has a registered classifyFn."""
        return self.registration(flt) is not None

    def skip_call(self, flt: Filter) -> bool:
        """A CONDITIONAL_ON_FLOW callout with no context on this flow is not called; nor is a
        callout that must not see injected stream data (``layer_data.skip_filter``)."""
        skip = getattr(self.layer_data, "skip_filter", None)  # injected stream data
        if skip is not None and skip(flt):
            return True
        reg = self.registration(flt)
        if reg is None or not reg.flags & CalloutRegisterFlag.CONDITIONAL_ON_FLOW:
            return False
        return not self.flow_contexts.get(reg.callout_id)

    def invoke(self, flt: Filter, sub: Sublayer, out: ClassifyOut) -> CalloutCall:
        """Call the filter's classifyFn with ``out`` and record what it left there."""
        engine = self.engine
        reg = self.registration(flt)
        name = self.callout_name(flt)
        saw_action, saw_rights = Action(out.action_type), out.rights
        if reg is None or not callable(reg.classify):
            # A callout registered with no classifyFn (FwpsCalloutRegister requires one): its
            # traffic is handled as a fault of that callout, like any other misbehaviour.
            fault = f"registered without a callable classifyFn ({reg.classify if reg else None!r})"
            return CalloutCall(
                name, saw_action, saw_rights, 0, 0, 0, Action.BLOCK, "callout fault: blocked", fault
            )
        kfilter = KernelFilter.from_filter(
            flt, sub.weight, reg.callout_id, engine.filter_context(flt.filter_id)
        )
        context = self.flow_contexts.get(reg.callout_id, 0)
        given = getattr(self.layer_data, "classify_out_flags", 0)  # STREAM: NO_MORE_DATA …
        out.flags |= given
        args = (
            self.in_fixed,
            self.in_meta,
            self.layer_data,
            self.classify_context,
            kfilter,
            context,
            out,
        )
        fault = self.contained(name, reg.classify, args)
        if given and isinstance(out.flags, int):
            out.flags &= ~given  # input flags, not the callout's answer
        fault = fault or _bad_writes(out)
        if fault:
            call = CalloutCall(name, saw_action, saw_rights, 0, 0, 0, Action.BLOCK, "", fault)
            return replace(
                call,
                returned_action=_as_int(out.action_type),
                returned_rights=_as_int(out.rights),
                returned_flags=_as_int(out.flags),
                note="callout fault: blocked",
            )
        written = int(out.action_type)
        call = CalloutCall(
            name, saw_action, saw_rights, written, out.rights, out.flags, Action.BLOCK, "", ""
        )
        normalized, note = normalise(flt.action_type, written, call.left_alone)
        report = getattr(self.layer_data, "after_callout", None)  # STREAM: the waterfall
        if report is not None:
            report(name, int(normalized))
        if getattr(self.layer_data, "stream_action_by", lambda n: False)(name):
            # FWPS_STREAM_CALLOUT_IO_PACKET0: with a stream action set, the returned action is
            # ignored (wfpsim.stack.streamio acts on the stream action)
            normalized, note = Action.CONTINUE, "stream action set: the returned action is ignored"
        return replace(call, normalized=normalized, note=note)

    def contained(self, name: str, fn: Callable[..., Any], args: tuple[Any, ...]) -> str:
        """Run a classifyFn; return the fault text ("" when it behaved)."""
        running = self.state.running
        running.append(name)
        budget = self.engine.callout_budget
        start = time.perf_counter()
        fault = ""
        try:
            fn(*args)
        except KeyboardInterrupt:
            raise  # the user stopping the program (see the module docstring)
        except BaseException as err:  # a faulty callout must not take us down
            fault = _describe(err)
        finally:
            running.pop()
        elapsed = time.perf_counter() - start
        if name in self.state.reentered:
            self.state.reentered.discard(name)
            fault = fault or (
                "re-entered the engine: classifyFn called classify (refused; a classifyFn "
                "must not call back into the classify path)"
            )
        if not fault and budget is not None and elapsed > budget:
            fault = (
                f"watchdog: classifyFn ran {elapsed:.3f} s, over the {budget:g} s budget "
                "(in the kernel: DPC_WATCHDOG_VIOLATION)"
            )
        return fault


def _describe(err: BaseException) -> str:
    """``Type: message (at file:line)``: the innermost line of the callout's own code.

    Frames inside wfpsim are skipped; no source file is read (a fault costs microseconds).
    """
    frames = list(traceback.walk_tb(err.__traceback__))
    text = f"{type(err).__name__}: {err}"
    if not frames:
        return text
    here = os.path.dirname(os.path.abspath(__file__))
    own = [
        (f, n) for f, n in frames[1:] if not os.path.abspath(f.f_code.co_filename).startswith(here)
    ]
    frame, lineno = (own or frames)[-1]
    return f"{text} (at {frame.f_code.co_filename}:{lineno})"


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _as_int(value: object) -> int:
    return int(value) if _is_int(value) else 0  # type: ignore[call-overload]


def _bad_writes(out: ClassifyOut) -> str:
    """A fault text for a classify_out member that is not an integer ("" if all are)."""
    for member in ("action_type", "rights", "flags"):
        value = getattr(out, member)
        if not _is_int(value):
            return (
                f"classifyFn left classify_out.{member} = {value!r} "
                f"({type(value).__name__}), not an integer"
            )
    return ""


def _count(engine: Engine, la: Layer, result: Classification) -> None:
    """Update the layer's statistics and the veto log."""
    stats = engine.classify_log.statistics.setdefault(la.short_name, LayerStatistics())
    stats.classify_count += 1
    if result.action == Action.PERMIT:
        stats.classify_permit_count += 1
    elif result.action == Action.BLOCK:
        stats.classify_block_count += 1
    if result.veto:
        stats.classify_veto_count += 1
        engine.classify_log.vetoes.append(
            VetoEvent(
                la.short_name,
                result.decision.filter_id,
                result.decision.filter_name or "",
                result.vetoed,
            )
        )
