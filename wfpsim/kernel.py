"""The kernel half of an engine, and the kernel calls a Python callout makes by their real names.

A :class:`Kernel` holds what lives in the kernel rather than in BFE's store: callout
registration (``FwpsCalloutRegister``), ALE flows and their callout contexts, the debug log
(what DbgView shows) and the record of every notifyFn and flowDeleteFn call. Filter contexts a
notifyFn sets live with the filters in the store, so a transaction's abort takes them back.

A callout's code reaches "its" kernel the way :mod:`decimal` code reaches its context: one
:class:`~contextvars.ContextVar`, entered with one context manager
(:meth:`Engine.kernel_context() <wfpsim.engine.Engine.kernel_context>`, which the engine uses
around every callout call). Outside it, the calls below fail as a driver's would without an
engine (``STATUS_INVALID_PARAMETER``), and ``DbgPrint`` goes to standard error::

    from wfpsim.kernel import FwpsFlowAssociateContext0

    def classify(in_fixed_values, in_meta_values, layer_data, classify_context,
                 filter, flow_context, classify_out):
        if not flow_context:
            FwpsFlowAssociateContext0(in_meta_values.flow_handle, in_fixed_values.layer_id,
                                      filter.action.callout_id, 42)
"""

from __future__ import annotations

import re
import sys
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from wfpsim.flows import FlowTable
from wfpsim.ids import STATUS_INVALID_PARAMETER, STATUS_UNSUCCESSFUL
from wfpsim.registry import CalloutRegistry, NotifyType, Registration


@dataclass(frozen=True, slots=True)
class NotifyCall:
    """One notifyFn call: which notification, for which filter, and how it ended.

    ``status`` is the NTSTATUS the function returned (0 = ``STATUS_SUCCESS``); a function that
    raised is recorded with ``STATUS_UNSUCCESSFUL`` and the exception in ``fault``.
    """

    kind: NotifyType
    filter_id: int
    callout: str
    status: int = 0
    fault: str = ""

    @property
    def ok(self) -> bool:
        """The callout accepted the notification."""
        return self.status == 0 and not self.fault


@dataclass(frozen=True, slots=True)
class FlowDeleteCall:
    """One flowDeleteFn call (``layer_id``, ``callout_id``, ``flow_context``) and any fault."""

    layer_id: int
    callout_id: int
    context: int
    fault: str = ""


def describe_fault(err: BaseException) -> str:
    """``ZeroDivisionError: division by zero (at driver.py:12)``: the callout's own line."""
    frames = traceback.extract_tb(err.__traceback__)
    where = f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return f"{type(err).__name__}: {err}{where}"


class Kernel:
    """The kernel state of one engine: registrations, flows, the debug log, callout calls."""

    def __init__(self) -> None:
        self.flow_table = FlowTable()
        self.registry = CalloutRegistry(self.flow_context_count)
        #: DbgPrint output of callouts and drivers (what DbgView would show)
        self.debug_log: list[str] = []
        #: every notifyFn call, in order
        self.notifications: list[NotifyCall] = []
        #: every flowDeleteFn call, in order
        self.flow_deletes: list[FlowDeleteCall] = []
        #: names of the callouts whose classifyFn is running, innermost last (the classifier's)
        self.running_callouts: list[str] = []

    @contextmanager
    def active(self) -> Iterator[Kernel]:
        """Make this kernel the one kernel calls (DbgPrint, flow contexts) reach."""
        token = _CURRENT.set(self)
        try:
            yield self
        finally:
            _CURRENT.reset(token)

    # flow contexts ------------------------------------------------------------------
    def flow_context_count(self, callout_id: int) -> int:
        """How many flow contexts a callout still has (unregistering is busy while > 0)."""
        return self.flow_table.count_for(callout_id)

    def associate(self, flow_id: int | None, layer_id: int, callout_id: int, context: int) -> int:
        """``FwpsFlowAssociateContext0``; the callout needs a flowDeleteFn. An NTSTATUS."""
        if flow_id is None or not _is_int(context) or not _is_int(flow_id):
            return STATUS_INVALID_PARAMETER
        reg = self.registry.get(callout_id)
        has_delete = reg is not None and reg.flow_delete is not None
        return self.flow_table.associate(flow_id, layer_id, callout_id, context, has_delete)

    def remove(self, flow_id: int, layer_id: int, callout_id: int) -> int:
        """``FwpsFlowRemoveContext0``: the callout's flowDeleteFn runs. An NTSTATUS."""
        flow = self.flow_table.flows.get(flow_id)
        context = flow.contexts.get((layer_id, callout_id)) if flow else None
        status = self.flow_table.remove(flow_id, layer_id, callout_id)
        if context is not None:
            self._flow_delete(callout_id)(layer_id, callout_id, context)
        return status

    def end_flow(self, flow_id: int) -> list[tuple[int, int, int]]:
        """A flow ends: flowDeleteFn runs for every context, the associations go."""
        return self.flow_table.end(flow_id, self._flow_delete)

    def _flow_delete(self, callout_id: int) -> Callable[[int, int, int], object]:
        """The callout's flowDeleteFn, contained: a fault is recorded, never raised."""
        reg = self.registry.get(callout_id)
        fn = reg.flow_delete if reg is not None else None

        def call(layer_id: int, cid: int, context: int) -> None:
            fault = ""
            if fn is not None:
                with self.active():
                    try:
                        fn(layer_id, cid, context)
                    except (Exception, SystemExit) as err:
                        fault = describe_fault(err)
            self.flow_deletes.append(FlowDeleteCall(layer_id, cid, context, fault))

        return call

    # notifyFn --------------------------------------------------------------------------
    def notify(
        self, reg: Registration, kind: NotifyType, key: uuid.UUID | None, kfilter: Any, name: str
    ) -> NotifyCall:
        """Call a notifyFn, contained like a classifyFn: a raise is a recorded fault.

        ``KeyboardInterrupt`` is let through (the user pressed Ctrl-C; that is not the
        callout's doing); ``SystemExit`` and every other exception are the callout's fault.
        """
        status: object = 0
        fault = ""
        if reg.notify is not None:
            with self.active():
                try:
                    status = reg.notify(kind, key, kfilter)
                except (Exception, SystemExit) as err:
                    fault = describe_fault(err)
        if fault:
            code = STATUS_UNSUCCESSFUL
        elif status is None or status is True:
            code = 0
        elif status is False:
            code = STATUS_UNSUCCESSFUL
        elif _is_int(status):
            code = int(status)  # type: ignore[call-overload]
        else:
            code, fault = STATUS_UNSUCCESSFUL, f"notifyFn returned {status!r}, not an NTSTATUS"
        call = NotifyCall(kind, kfilter.filter_id, name, code, fault)
        self.notifications.append(call)
        return call

    # DbgPrint ------------------------------------------------------------------------
    def print(self, line: str) -> None:
        """One DbgPrint line into the debug log."""
        self.debug_log.append(line)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_CURRENT: ContextVar[Kernel | None] = ContextVar("wfpsim_current_kernel", default=None)


def current_kernel() -> Kernel | None:
    """The kernel whose callout is running (None outside ``Engine.kernel_context()``)."""
    return _CURRENT.get()


def flow_associate_context(
    flow_id: int | None, layer_id: int, callout_id: int, context: int
) -> int:
    """Associate ``context`` with (flow, layer, callout); the callout needs a flowDeleteFn."""
    kernel = _CURRENT.get()
    if kernel is None:
        return STATUS_INVALID_PARAMETER
    return kernel.associate(flow_id, layer_id, callout_id, context)


def flow_remove_context(flow_id: int, layer_id: int, callout_id: int) -> int:
    """Remove an association (the engine then calls the callout's flowDeleteFn)."""
    kernel = _CURRENT.get()
    if kernel is None:
        return STATUS_INVALID_PARAMETER
    return kernel.remove(flow_id, layer_id, callout_id)


FwpsFlowAssociateContext0 = flow_associate_context
FwpsFlowRemoveContext0 = flow_remove_context

_C_FORMAT = re.compile(r"%([-+ #0]*\d*(?:\.\d+)?)(?:hh|h|ll|l|I64|z)?([diouxXcs])")


def DbgPrint(fmt: str, *args: object) -> None:
    """``DbgPrint``: a C format string and its arguments, into the engine's debug log.

    The log is what DbgView would show. C length modifiers (``%hu``, ``%lu``) are accepted.
    Outside ``Engine.kernel_context()`` (a callout function called by hand) the line goes to
    standard error, like a debugger's output with no engine attached.
    """
    text = _C_FORMAT.sub(r"%\1\2", fmt)
    try:
        line = text % args if args else text
    except (TypeError, ValueError) as err:
        line = f"{fmt} [DbgPrint: arguments do not fit the format: {err}]"
    kernel = _CURRENT.get()
    if kernel is None:
        print(line, file=sys.stderr)
    else:
        kernel.print(line)
