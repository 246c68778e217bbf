"""Stream inspection, the C API's shape in Python: what a callout at ``STREAM_V4/V6`` calls.

At the stream layer ``layer_data`` is a
:class:`~wfpsim.stack.layerdata.StreamCalloutIoPacket` (``FWPS_STREAM_CALLOUT_IO_PACKET0``).
A classifyFn reads the bytes (:func:`FwpsCopyStreamDataToBuffer0`) and answers with
``classify_out.action_type`` *and* the io packet's ``stream_action``,
``count_bytes_required`` and ``count_bytes_enforced``::

    def classify(in_fixed_values, in_meta_values, layer_data, classify_context, filter,
                 flow_context, classify_out):
        data = layer_data.stream_data
        if data.data_length < len(b"GET /secret") and not (
                classify_out.flags & FWPS_CLASSIFY_OUT_FLAG_NO_MORE_DATA):
            layer_data.stream_action = FWPS_STREAM_ACTION_NEED_MORE_DATA
            layer_data.count_bytes_required = len(b"GET /secret")
            classify_out.action_type = FWP_ACTION_NONE      # a stream action: no action
            return
        ...

How the stack treats the answers is in :mod:`wfpsim.stack.streamio`. The functions keep the C
signatures; an out-parameter is an :class:`~wfpsim.netbuffers.Out` cell; a function returning
``NTSTATUS`` returns an int and raises nothing for a driver's mistake.

Choices where Microsoft is silent, all **our choice**:

* ``FwpsStreamInjectAsync0`` from a classifyFn puts the data into the stream at the point of
  that indication: after the bytes the classification permitted, in place of the bytes it
  blocked. The completion function runs once the stack has carried the data (or refused it).
* Called outside a classifyFn (a driver's worker, a user-mode decision), it injects into a
  stream that is currently **deferred** (the documented case) right away: the data goes on
  as if the stack had sent or delivered it then. Any other stream returns
  ``STATUS_INVALID_PARAMETER``.
* ``FwpsStreamContinue0`` from inside a classifyFn (documented as not allowed) returns
  ``STATUS_INVALID_DEVICE_STATE`` and is reported as that callout's fault; for a stream no
  callout deferred it returns ``STATUS_INVALID_PARAMETER``.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from wfpsim.ids import (
    FWPS_INJECTION_TYPE_STREAM,
    FWPS_LAYER_STREAM_V4,
    FWPS_LAYER_STREAM_V6,
    FWPS_STREAM_FLAG_RECEIVE,
    FWPS_STREAM_FLAG_RECEIVE_DISCONNECT,
    FWPS_STREAM_FLAG_SEND,
    FWPS_STREAM_FLAG_SEND_DISCONNECT,
    STATUS_FWP_INJECT_HANDLE_CLOSING,
    STATUS_FWP_INJECT_HANDLE_STALE,
    STATUS_FWP_INVALID_PARAMETER,
    STATUS_FWP_NULL_POINTER,
    STATUS_FWP_TCPIP_NOT_READY,
    STATUS_INVALID_DEVICE_STATE,
    STATUS_INVALID_PARAMETER,
    STATUS_SUCCESS,
    StreamActionType,
)
from wfpsim.injection_records import InjectionHandle, InjectionMark
from wfpsim.kernel import Kernel, current_kernel, describe_fault
from wfpsim.netbuffers import Out, as_nbl

if TYPE_CHECKING:
    from wfpsim.stack.layerdata import NetBufferList, StreamData


class StreamChannel(Protocol):
    """What the stack registers for a live stream direction (``wfpsim.stack.streamio``)."""

    deferred_by: int

    def resume(self) -> None:
        """``FwpsStreamContinue0``: indicate the deferred data again."""

    def inject_now(self, injection: StreamInjection) -> None:
        """Carry data injected outside a classifyFn."""


@dataclass(slots=True)
class StreamInjection:
    """One accepted ``FwpsStreamInjectAsync0`` call."""

    handle: InjectionHandle
    injection_context: object
    flow_id: int
    callout_id: int
    layer_id: int
    stream_flags: int
    net_buffer_list: NetBufferList | None
    data: bytes
    completion_fn: Callable[..., object]
    completion_context: object
    #: the callout whose classifyFn made the call ("" outside a classifyFn)
    callout: str = ""
    completed: bool = False
    #: what became of it ("" while queued)
    fate: str = ""

    @property
    def outbound(self) -> bool:
        """Injected into the send direction."""
        return bool(self.stream_flags & FWPS_STREAM_FLAG_SEND)

    @property
    def disconnect(self) -> bool:
        """A FIN goes with the data (``…_SEND_DISCONNECT`` / ``…_RECEIVE_DISCONNECT``)."""
        bits = FWPS_STREAM_FLAG_SEND_DISCONNECT | FWPS_STREAM_FLAG_RECEIVE_DISCONNECT
        return bool(self.stream_flags & bits)


@dataclass(slots=True)
class StreamState:
    """A kernel's stream injections (queued and made), live channels and found faults."""

    queue: list[StreamInjection] = field(default_factory=list)
    made: list[StreamInjection] = field(default_factory=list)
    #: (flow id, outbound) -> the stack's channel for that direction of the stream
    channels: dict[tuple[int, bool], StreamChannel] = field(default_factory=dict)
    #: faults the stack has not yet copied into a journey
    problems: list[str] = field(default_factory=list)


_STATES: weakref.WeakKeyDictionary[Kernel, StreamState] = weakref.WeakKeyDictionary()


def stream_state(kernel: Kernel) -> StreamState:
    """The stream state of one kernel (created on first use)."""
    found = _STATES.get(kernel)
    if found is None:
        found = _STATES[kernel] = StreamState()
    return found


def complete_stream(kernel: Kernel, injection: StreamInjection, status: int, fate: str) -> str:
    """Record the fate, set the list's status, call the completion function once.

    Returns a fault text when the completion function raised ("" otherwise). Documented: a
    disconnect-only injection (no net buffer list) has no completion call.
    """
    injection.fate = fate
    if injection.completed:
        return ""
    injection.completed = True
    nbl = injection.net_buffer_list
    if nbl is None:
        return ""
    nbl.status = status
    with kernel.active():
        try:
            injection.completion_fn(injection.completion_context, nbl, True)
        except KeyboardInterrupt:
            raise
        except BaseException as err:  # the driver's own code: its fault, contained
            who = f"callout {injection.callout!r}'s " if injection.callout else ""
            return f"{who}stream injection completionFn raised {describe_fault(err)}"
    return ""


def _running(kernel: Kernel) -> str:
    return kernel.running_callouts[-1] if kernel.running_callouts else ""


def _flags_ok(flags: object) -> bool:
    """Exactly one direction; a disconnect flag only with its direction (else FWP invalid)."""
    if not isinstance(flags, int):
        return False
    send, receive = bool(flags & FWPS_STREAM_FLAG_SEND), bool(flags & FWPS_STREAM_FLAG_RECEIVE)
    if send == receive:
        return False
    if flags & FWPS_STREAM_FLAG_SEND_DISCONNECT and not send:
        return False
    return not (flags & FWPS_STREAM_FLAG_RECEIVE_DISCONNECT and not receive)


def FwpsStreamInjectAsync0(
    injection_handle: InjectionHandle,
    injection_context: object,
    flags: int,
    flow_id: int,
    callout_id: int,
    layer_id: int,
    stream_flags: int,
    net_buffer_list: NetBufferList | None,
    data_length: int,
    completion_fn: Callable[[object, NetBufferList, bool], object],
    completion_context: object,
) -> int:
    """Inject ``data_length`` bytes of ``net_buffer_list`` (from its data offset) into the
    stream ``flow_id`` at ``layer_id`` (``FWPS_LAYER_STREAM_V4`` or ``_V6``), direction and FIN
    in ``stream_flags``.

    Microsoft Learn, *Stream Inspection*: "Injected stream data will not be re-indicated to the
    callout, but it will be made available to stream callouts from lower-weight sublayers";
    the list's injection history lets those callouts ask ``FwpsQueryPacketInjectionState0``
    (with ``layer_data.stream_data.net_buffer_list_chain``) who injected it. A disconnect
    flag with a ``None`` list sends only the FIN (no completion call, as documented).
    """
    kernel = current_kernel()
    if kernel is None:
        return STATUS_FWP_TCPIP_NOT_READY
    handle: object = injection_handle
    if not isinstance(handle, InjectionHandle):
        return STATUS_INVALID_PARAMETER
    if handle.destroyed:
        return STATUS_FWP_INJECT_HANDLE_CLOSING
    if not handle.allows(FWPS_INJECTION_TYPE_STREAM):
        return STATUS_FWP_INJECT_HANDLE_STALE
    function: object = completion_fn
    if not callable(function):
        return STATUS_FWP_NULL_POINTER  # "required and cannot be NULL"
    if not _flags_ok(stream_flags):
        return STATUS_FWP_INVALID_PARAMETER
    if layer_id not in (FWPS_LAYER_STREAM_V4, FWPS_LAYER_STREAM_V6):
        return STATUS_INVALID_PARAMETER
    nbl = as_nbl(net_buffer_list)
    disconnect = bool(
        stream_flags & (FWPS_STREAM_FLAG_SEND_DISCONNECT | FWPS_STREAM_FLAG_RECEIVE_DISCONNECT)
    )
    if nbl is None and not (net_buffer_list is None and disconnect):
        return STATUS_FWP_NULL_POINTER if net_buffer_list is None else STATUS_INVALID_PARAMETER
    size = data_length if isinstance(data_length, int) else -1
    if nbl is not None and (nbl.freed or not 0 <= size <= len(nbl.current)):
        return STATUS_INVALID_PARAMETER
    flow = kernel.flow_table.flows.get(flow_id) if isinstance(flow_id, int) else None
    if flow is None or not flow.active:
        return STATUS_INVALID_PARAMETER
    state = stream_state(kernel)
    outbound = bool(stream_flags & FWPS_STREAM_FLAG_SEND)
    inside = bool(kernel.running_callouts)
    channel = state.channels.get((flow_id, outbound))
    if not inside and (channel is None or not channel.deferred_by):
        return STATUS_INVALID_PARAMETER  # outside classifyFn: only into a deferred stream
    if nbl is not None:
        nbl.injected = (*nbl.injected, InjectionMark(handle.handle_id, injection_context))
    record = StreamInjection(
        handle,
        injection_context,
        flow_id,
        callout_id,
        layer_id,
        stream_flags,
        nbl,
        nbl.current[:size] if nbl is not None else b"",
        completion_fn,
        completion_context,
        callout=_running(kernel),
    )
    state.made.append(record)
    if inside:
        state.queue.append(record)
    elif channel is not None:
        channel.inject_now(record)
    return STATUS_SUCCESS


def FwpsStreamContinue0(flow_id: int, callout_id: int, layer_id: int, stream_flags: int) -> int:
    """Resume an inbound stream this callout deferred (``FWPS_STREAM_ACTION_DEFER``).

    The deferred data is indicated again at once, from the callout that deferred it on; the
    peer's data, unacknowledged while deferred, is then acknowledged.
    """
    kernel = current_kernel()
    if kernel is None:
        return STATUS_FWP_TCPIP_NOT_READY
    state = stream_state(kernel)
    if kernel.running_callouts:
        state.problems.append(
            f"callout {_running(kernel)!r} called FwpsStreamContinue0 from its classifyFn "
            "(not allowed: call it later, outside classifyFn); refused with "
            "STATUS_INVALID_DEVICE_STATE"
        )
        return STATUS_INVALID_DEVICE_STATE
    if layer_id not in (FWPS_LAYER_STREAM_V4, FWPS_LAYER_STREAM_V6):
        return STATUS_INVALID_PARAMETER
    if not isinstance(stream_flags, int) or not stream_flags & FWPS_STREAM_FLAG_RECEIVE:
        return STATUS_INVALID_PARAMETER  # only an inbound stream can be deferred
    channel = state.channels.get((flow_id, False)) if isinstance(flow_id, int) else None
    if channel is None or channel.deferred_by != callout_id or not callout_id:
        return STATUS_INVALID_PARAMETER
    channel.resume()
    return STATUS_SUCCESS


def FwpsCopyStreamDataToBuffer0(
    callout_stream_data: StreamData,
    buffer: bytearray,
    bytes_to_copy: int,
    bytes_copied: Out[int],
) -> None:
    """Copy the first ``bytes_to_copy`` indicated bytes into ``buffer`` (a ``bytearray`` at least
    that long); ``bytes_copied`` receives the count.

    **Our choice** for a C driver's memory errors: never more than ``buffer`` holds or than
    the data has is copied (``bytes_copied`` says how many).
    """
    data = getattr(callout_stream_data, "data", b"")
    size = max(0, min(int(bytes_to_copy), len(data), len(buffer)))
    buffer[:size] = data[:size]
    if isinstance(bytes_copied, Out):
        bytes_copied.value = size


def FwpsCloneStreamData0(
    callout_stream_data: StreamData,
    net_buffer_list_pool_handle: object,
    net_buffer_pool_handle: object,
    allocate_clone_flags: int,
    net_buffer_list_chain: Out[NetBufferList],
) -> int:
    """A clone of the indicated stream data (for out-of-band processing or injection)."""
    from wfpsim.stack.layerdata import NetBufferList

    data = getattr(callout_stream_data, "data", None)
    if not isinstance(data, bytes):
        return STATUS_INVALID_PARAMETER
    cell: object = net_buffer_list_chain
    if not isinstance(cell, Out):
        return STATUS_FWP_NULL_POINTER
    source = callout_stream_data.net_buffer_list_chain
    net_buffer_list_chain.value = NetBufferList(data, 0, source.injected, parent=source)
    return STATUS_SUCCESS


def FwpsDiscardClonedStreamData0(
    net_buffer_list_chain: NetBufferList, discard_flags: int, dispatch_level: bool
) -> None:
    """Free a clone made by :func:`FwpsCloneStreamData0`."""
    nbl = as_nbl(net_buffer_list_chain)
    if nbl is not None:
        nbl.freed = True


def stream_action_name(value: object) -> str:
    """``FWPS_STREAM_ACTION_NEED_MORE_DATA`` for 3; the raw value when it is no action."""
    try:
        return StreamActionType(value).fwp_name  # type: ignore[arg-type]
    except (ValueError, TypeError):
        return repr(value)


__all__ = [
    "FwpsCloneStreamData0",
    "FwpsCopyStreamDataToBuffer0",
    "FwpsDiscardClonedStreamData0",
    "FwpsStreamContinue0",
    "FwpsStreamInjectAsync0",
    "StreamChannel",
    "StreamInjection",
    "StreamState",
    "complete_stream",
    "stream_action_name",
    "stream_state",
]
