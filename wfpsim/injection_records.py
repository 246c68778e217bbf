"""What the kernel keeps for packet injection: handles, injection records, the queue.

The functions a callout calls are in :mod:`wfpsim.injection` (which re-exports these names);
the stack (:mod:`wfpsim.stack.reinject`) takes the queue and calls :func:`complete`.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from wfpsim.ids import (
    AF_UNSPEC,
    FWPS_INJECTION_TYPE_FORWARD,
    FWPS_INJECTION_TYPE_STREAM,
    FWPS_INJECTION_TYPE_TRANSPORT,
)
from wfpsim.kernel import Kernel, describe_fault

if TYPE_CHECKING:
    from wfpsim.stack.layerdata import NetBufferList

#: How many times one injection handle may inject the same packet (a copy of a copy …) before
#: wfpsim calls it an injection loop. Four is more than any correct driver needs (one).
INJECTION_LOOP_LIMIT = 4

#: The injection functions and the direction their packets travel.
SEND_FUNCTIONS = ("FwpsInjectTransportSendAsync0", "FwpsInjectNetworkSendAsync0")
RECEIVE_FUNCTIONS = ("FwpsInjectTransportReceiveAsync0", "FwpsInjectNetworkReceiveAsync0")
FORWARD_FUNCTION = "FwpsInjectForwardAsync0"


@dataclass(slots=True)
class InjectionHandle:
    """What ``FwpsInjectionHandleCreate0`` hands out: an address family and injection types."""

    handle_id: int
    address_family: int
    flags: int
    destroyed: bool = False

    def allows(self, kind: int) -> bool:
        """The handle was created for this injection type (flags 0: transport, stream, forward)."""
        if self.flags == 0:
            return bool(
                kind
                & (
                    FWPS_INJECTION_TYPE_TRANSPORT
                    | FWPS_INJECTION_TYPE_STREAM
                    | FWPS_INJECTION_TYPE_FORWARD
                )
            )
        return bool(self.flags & kind)


@dataclass(frozen=True, slots=True)
class InjectionMark:
    """One entry of a net buffer list's injection history: who injected it, with what context."""

    handle_id: int
    context: object = None


@dataclass(frozen=True, slots=True)
class TransportSendParams:
    """``FWPS_TRANSPORT_SEND_PARAMS0``: the remote address of an outbound transport packet."""

    remote_address: str | bytes | None = None
    remote_scope_id: int = 0
    control_data: bytes | None = None
    control_data_length: int = 0


@dataclass(slots=True)
class Injection:
    """One accepted injection call, waiting for the stack to carry its packet."""

    function: str
    handle: InjectionHandle
    injection_context: object
    net_buffer_list: NetBufferList
    completion_fn: Callable[..., object] | None
    completion_context: object
    #: the callout whose classifyFn made the call ("" outside a classifyFn)
    callout: str = ""
    endpoint_handle: int | None = None
    address_family: int = AF_UNSPEC
    interface_index: int = 0
    completed: bool = False
    #: what became of it ("" while queued)
    fate: str = ""

    @property
    def outbound(self) -> bool:
        """It travels the send path."""
        return self.function in SEND_FUNCTIONS


@dataclass(slots=True)
class InjectionState:
    """A kernel's injection handles, its queue of injections and every injection made."""

    handles: dict[int, InjectionHandle] = field(default_factory=dict)
    queue: list[Injection] = field(default_factory=list)
    made: list[Injection] = field(default_factory=list)
    next_handle: int = 0x7000
    #: faults the stack has not yet copied into a journey (a completionFn that raised …)
    problems: list[str] = field(default_factory=list)


_STATES: weakref.WeakKeyDictionary[Kernel, InjectionState] = weakref.WeakKeyDictionary()


def injection_state(kernel: Kernel) -> InjectionState:
    """The injection handles and queue of one kernel (created on first use)."""
    found = _STATES.get(kernel)
    if found is None:
        found = _STATES[kernel] = InjectionState()
    return found


def complete(kernel: Kernel, injection: Injection, status: int, fate: str) -> str:
    """Set the net buffer list's status, record the fate, call the completion function once.

    Returns a fault text when the completion function raised ("" otherwise).
    """
    injection.fate = fate
    if injection.completed:
        return ""
    injection.completed = True
    injection.net_buffer_list.status = status
    fn = injection.completion_fn
    if fn is None:
        return ""
    with kernel.active():
        try:
            fn(injection.completion_context, injection.net_buffer_list, True)
        except KeyboardInterrupt:
            raise
        except BaseException as err:  # the driver's own code: its fault, contained
            who = f"callout {injection.callout!r}'s " if injection.callout else ""
            return f"{who}injection completionFn raised {describe_fault(err)}"
    return ""


__all__ = [
    "FORWARD_FUNCTION",
    "INJECTION_LOOP_LIMIT",
    "RECEIVE_FUNCTIONS",
    "SEND_FUNCTIONS",
    "Injection",
    "InjectionHandle",
    "InjectionMark",
    "InjectionState",
    "TransportSendParams",
    "complete",
    "injection_state",
]
