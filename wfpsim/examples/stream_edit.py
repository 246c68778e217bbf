"""A stream editor in the manner of Microsoft's *stmedit* sample (inline editing).

:class:`StreamEditDriver` registers one callout at ``STREAM_V4`` behind a terminating filter for
one remote port and replaces a byte string (``rainy`` by ``sunny``, the sample's default
strings) in what the application sends. Inline editing, as the *Stream Inspection* page
describes it, settles the indicated data piece by piece with ``count_bytes_enforced``:

1. bytes before a match: ``FWP_ACTION_PERMIT`` for exactly those bytes (the rest comes back);
2. the match: ``FwpsStreamInjectAsync0`` with the replacement, then ``FWP_ACTION_BLOCK`` for
   the pattern's bytes — the new data takes the old data's place;
3. a match split across two segments: the tail that could start the pattern is indicated
   again alone; being shorter than the pattern it gets ``FWPS_STREAM_ACTION_NEED_MORE_DATA``
   with ``count_bytes_required`` = the pattern's length, so the next segment is indicated
   together with it;
4. no match: ``FWP_ACTION_PERMIT`` for everything (``count_bytes_enforced`` 0 means all).

Injected data is not indicated to the same callout again, but a callout in a lower-weight
sublayer sees it. With ``sublayers = 2`` the driver registers a second callout (the same
classifyFn) behind a filter in a lower-weight sublayer, as WFPSampler does when asked for
several sublayers: that callout sees the replacement and, when the replacement contains the
pattern, edits it again — unless ``check_injection_state`` makes it ask
``FwpsQueryPacketInjectionState0`` (one injection handle: ``FWPS_PACKET_INJECTED_BY_SELF``)
and let the driver's own data pass.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from wfpsim.callouts import ClassifyOut, IncomingValues, KernelFilter, MetaValues
from wfpsim.conditions import Condition
from wfpsim.errors import WfpError
from wfpsim.ids import (
    AF_UNSPEC,
    FWP_ACTION_BLOCK,
    FWP_ACTION_NONE,
    FWP_ACTION_PERMIT,
    FWPS_CLASSIFY_OUT_FLAG_NO_MORE_DATA,
    FWPS_INJECTION_TYPE_STREAM,
    FWPS_PACKET_INJECTED_BY_SELF,
    FWPS_PACKET_PREVIOUSLY_INJECTED_BY_SELF,
    FWPS_RIGHT_ACTION_WRITE,
    FWPS_STREAM_ACTION_DROP_CONNECTION,
    FWPS_STREAM_ACTION_NEED_MORE_DATA,
    FWPS_STREAM_ACTION_NONE,
    FWPS_STREAM_FLAG_RECEIVE_DISCONNECT,
    FWPS_STREAM_FLAG_SEND,
    FWPS_STREAM_FLAG_SEND_DISCONNECT,
    STATUS_FAILED_DRIVER_ENTRY,
    STATUS_SUCCESS,
)
from wfpsim.injection import (
    FwpsAllocateNetBufferAndNetBufferList0,
    FwpsFreeNetBufferList0,
    FwpsInjectionHandleCreate0,
    FwpsInjectionHandleDestroy0,
    FwpsQueryPacketInjectionState0,
    InjectionHandle,
    Out,
)
from wfpsim.kernel import DbgPrint
from wfpsim.objects import Callout, Filter, Sublayer
from wfpsim.stack.layerdata import NetBufferList, StreamCalloutIoPacket
from wfpsim.streams import FwpsCopyStreamDataToBuffer0, FwpsStreamInjectAsync0

if TYPE_CHECKING:
    from wfpsim.engine import Engine
    from wfpsim.session import Session

STREAM_EDIT_GUID = uuid.UUID("3c5e2a8f-71d4-4b9e-8a26-5e0f6d1c2b01")
#: one callout per sublayer, as WFPSampler registers one per filter it adds
CALLOUT_GUIDS = (STREAM_EDIT_GUID, uuid.UUID("3c5e2a8f-71d4-4b9e-8a26-5e0f6d1c2b02"))
SUBLAYER_GUIDS = (
    uuid.UUID("3c5e2a8f-71d4-4b9e-8a26-5e0f6d1c2b11"),
    uuid.UUID("3c5e2a8f-71d4-4b9e-8a26-5e0f6d1c2b12"),
)


def partial_tail(data: bytes, pattern: bytes) -> int:
    """Where a tail of ``data`` that could begin ``pattern`` starts (``len(data)``: none).

    >>> partial_tail(b"it is rai", b"rainy"), partial_tail(b"abc", b"rainy")
    (6, 3)
    """
    for start in range(max(0, len(data) - len(pattern) + 1), len(data)):
        if pattern.startswith(data[start:]):
            return start
    return len(data)


class StreamEditDriver:
    """Replace ``find`` by ``replace`` in the outbound stream to ``remote_port``.

    Attributes:
        find, replace: the byte strings (stmedit's defaults).
        remote_port: the filter's ``IP_REMOTE_PORT`` condition.
        check_injection_state: let data this driver injected pass (the fix for ``sublayers=2``).
        sublayers: how many sublayers the driver adds its filter to (1, or 2 for the pitfall).
    """

    name = "StreamEdit"
    find = b"rainy"
    replace = b"sunny"
    remote_port = 80
    check_injection_state = True
    sublayers = 1

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.session: Session | None = None
        self.injection_handle: InjectionHandle | None = None
        self.edits = 0

    # -- DriverEntry / DriverUnload ---------------------------------------------------------
    def driver_entry(self) -> int:
        """Create a stream injection handle, register the callout, add its filter(s)."""
        with self.engine.kernel_context():
            handle: Out[InjectionHandle] = Out()
            status = FwpsInjectionHandleCreate0(AF_UNSPEC, FWPS_INJECTION_TYPE_STREAM, handle)
            if status != STATUS_SUCCESS:
                DbgPrint("FwpsInjectionHandleCreate0 failed, status 0x%08x", status)
                return STATUS_FAILED_DRIVER_ENTRY
            self.injection_handle = handle.value
            try:
                keys = CALLOUT_GUIDS[: self.sublayers]
                for key in keys:
                    self.engine.register_callout(key, self.classify, None, None)
                self.session = self.engine.open_session(self.name, dynamic=True)
                with self.session.transaction():
                    for n, (key, sub) in enumerate(zip(keys, SUBLAYER_GUIDS, strict=False)):
                        self.session.add_callout(Callout(f"stream edit {n + 1}", "STREAM_V4", key))
                        self.session.add_sublayer(
                            Sublayer(f"stream edit sublayer {n + 1}", key=sub, weight=0x8000 - n)
                        )
                        self.session.add_filter(
                            Filter(
                                f"edit port {self.remote_port} ({n + 1})",
                                "STREAM_V4",
                                "CALLOUT_TERMINATING",
                                conditions=[Condition("IP_REMOTE_PORT", "EQUAL", self.remote_port)],
                                callout=key,
                                sublayer=sub,
                            )
                        )
            except WfpError as err:
                DbgPrint("%s failed to load, status 0x%08x", self.name, err.status)
                return STATUS_FAILED_DRIVER_ENTRY
            DbgPrint("%s loaded", self.name)
            return STATUS_SUCCESS

    def unload(self) -> None:
        """Close the session, unregister, destroy the injection handle."""
        with self.engine.kernel_context():
            if self.session is not None:
                self.session.close()
                self.session = None
            for key in CALLOUT_GUIDS[: self.sublayers]:
                self.engine.unregister_callout(key)
            if self.injection_handle is not None:
                FwpsInjectionHandleDestroy0(self.injection_handle)
            DbgPrint("%s unloaded after %d edits", self.name, self.edits)

    # -- the callout -------------------------------------------------------------------------
    def classify(
        self,
        in_fixed_values: IncomingValues,
        in_meta_values: MetaValues,
        layer_data: object,
        classify_context: object,
        filter: KernelFilter,
        flow_context: int,
        classify_out: ClassifyOut,
    ) -> None:
        """Permit up to a match, replace the match, wait for more data on a partial match."""
        handle = self.injection_handle
        if not isinstance(layer_data, StreamCalloutIoPacket) or handle is None:
            return
        io, data = layer_data, layer_data.stream_data
        io.stream_action = FWPS_STREAM_ACTION_NONE
        if not data.flags & FWPS_STREAM_FLAG_SEND or data.data_length == 0:
            self.permit(io, 0, filter, classify_out)  # inbound data, or a bare FIN
            return
        if self.check_injection_state:
            state = FwpsQueryPacketInjectionState0(handle, data.net_buffer_list_chain)
            if state in (FWPS_PACKET_INJECTED_BY_SELF, FWPS_PACKET_PREVIOUSLY_INJECTED_BY_SELF):
                self.permit(io, 0, filter, classify_out)  # our own replacement: let it go
                return
        buffer = bytearray(data.data_length)
        copied: Out[int] = Out()
        FwpsCopyStreamDataToBuffer0(data, buffer, data.data_length, copied)
        seen = bytes(buffer[: copied.value or 0])
        at = seen.find(self.find)
        if at > 0:
            self.permit(io, at, filter, classify_out)  # the bytes before the match
        elif at == 0:
            self.edit(io, in_fixed_values, in_meta_values, filter, classify_out)
        else:
            tail = partial_tail(seen, self.find)
            no_more = classify_out.flags & FWPS_CLASSIFY_OUT_FLAG_NO_MORE_DATA
            if tail == 0 and not no_more:  # all of it may start the pattern: wait for more
                io.stream_action = FWPS_STREAM_ACTION_NEED_MORE_DATA
                io.count_bytes_required = len(self.find)
                classify_out.action_type = FWP_ACTION_NONE
                DbgPrint("%s: %d bytes may start a match: need more data", self.name, len(seen))
            else:
                self.permit(io, tail if tail < len(seen) else 0, filter, classify_out)

    def edit(
        self,
        io: StreamCalloutIoPacket,
        in_fixed_values: IncomingValues,
        in_meta_values: MetaValues,
        filter: KernelFilter,
        classify_out: ClassifyOut,
    ) -> None:
        """Inject the replacement and block the pattern's bytes."""
        nbl: Out[NetBufferList] = Out()
        status = FwpsAllocateNetBufferAndNetBufferList0(
            None, 0, 0, self.replace, 0, len(self.replace), nbl
        )
        flags = io.stream_data.flags & ~(
            FWPS_STREAM_FLAG_SEND_DISCONNECT | FWPS_STREAM_FLAG_RECEIVE_DISCONNECT
        )
        if status == STATUS_SUCCESS and nbl.value is not None and self.injection_handle:
            status = FwpsStreamInjectAsync0(
                self.injection_handle,
                None,
                0,
                in_meta_values.flow_handle or 0,
                filter.action.callout_id,
                in_fixed_values.layer_id,
                flags,
                nbl.value,
                len(self.replace),
                self.completion,
                None,
            )
        if status != STATUS_SUCCESS:
            DbgPrint("%s: FwpsStreamInjectAsync0 failed, status 0x%08x", self.name, status)
            io.stream_action = FWPS_STREAM_ACTION_DROP_CONNECTION
            classify_out.action_type = FWP_ACTION_NONE
            return
        self.edits += 1
        DbgPrint("%s: replaced %s with %s", self.name, self.find.decode(), self.replace.decode())
        io.count_bytes_enforced = len(self.find)
        classify_out.action_type = FWP_ACTION_BLOCK
        classify_out.rights &= ~FWPS_RIGHT_ACTION_WRITE

    def permit(
        self, io: StreamCalloutIoPacket, size: int, filter: KernelFilter, classify_out: ClassifyOut
    ) -> None:
        """``FWP_ACTION_PERMIT`` for the first ``size`` bytes (0: all of them)."""
        io.count_bytes_enforced = size
        classify_out.action_type = FWP_ACTION_PERMIT
        classify_out.rights &= ~FWPS_RIGHT_ACTION_WRITE

    def completion(
        self, context: object, net_buffer_list: NetBufferList, dispatch_level: bool
    ) -> None:
        """``completionFn``: the replacement is in the stream; free its net buffer list."""
        FwpsFreeNetBufferList0(net_buffer_list)


class DoubleEditDriver(StreamEditDriver):
    """The pitfall: installed in two sublayers, no injection-state check, and a replacement
    that contains the pattern (``rainy`` → ``very rainy``): the lower sublayer edits the
    upper one's replacement again."""

    name = "DoubleEdit"
    replace = b"very rainy"
    check_injection_state = False
    sublayers = 2


__all__ = ["DoubleEditDriver", "StreamEditDriver", "partial_tail"]
