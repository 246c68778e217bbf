"""Stream inspection: FWPS_STREAM_CALLOUT_IO_PACKET0, NEED_MORE_DATA, partial enforcement,
ALLOW/DROP_CONNECTION, DEFER and FwpsStreamContinue0 (wfpsim.streams, wfpsim.stack.streamio)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from wfpsim import Engine
from wfpsim.ids import (
    FWP_ACTION_BLOCK,
    FWP_ACTION_NONE,
    FWP_ACTION_PERMIT,
    FWPS_CLASSIFY_OUT_FLAG_NO_MORE_DATA,
    FWPS_LAYER_STREAM_V4,
    FWPS_STREAM_ACTION_ALLOW_CONNECTION,
    FWPS_STREAM_ACTION_DEFER,
    FWPS_STREAM_ACTION_NEED_MORE_DATA,
    FWPS_STREAM_FLAG_RECEIVE,
    FWPS_STREAM_FLAG_SEND,
    STATUS_INVALID_DEVICE_STATE,
    STATUS_INVALID_PARAMETER,
    STATUS_SUCCESS,
    StreamActionType,
)
from wfpsim.injection import Out
from wfpsim.objects import Callout, Filter
from wfpsim.stack import Stack
from wfpsim.stack.layerdata import StreamCalloutIoPacket
from wfpsim.streams import FwpsCopyStreamDataToBuffer0, FwpsStreamContinue0

KEY = uuid.UUID("11111111-2222-3333-4444-555555555501")
Classify = Callable[..., None]


def stream_callout(engine: Engine, fn: Classify, action: str = "CALLOUT_TERMINATING") -> int:
    """Register ``fn`` at STREAM_V4 behind one filter; returns its callout id."""
    with engine.kernel_context():
        callout_id = engine.register_callout(KEY, fn, None, None)
    session = engine.open_session("test", dynamic=True)
    with session.transaction():
        session.add_callout(Callout("probe", "STREAM_V4", KEY))
        session.add_filter(Filter("probe filter", "STREAM_V4", action, callout=KEY))
    return int(callout_id)


def run(engine: Engine, payload: list[str], direction: str = "outbound") -> Any:
    local, remote = ("10.0.0.5:0", "93.184.216.34:80")
    if direction == "inbound":
        local, remote = ("10.0.0.5:8080", "198.51.100.9:50000")
    return Stack(engine).run("tcp", direction, local, remote, payload=payload)


def test_layer_data_is_a_stream_callout_io_packet() -> None:
    """STREAM hands FWPS_STREAM_CALLOUT_IO_PACKET0: stream_data with flags, offset, length."""
    seen: list[StreamCalloutIoPacket] = []

    def fn(fixed: Any, meta: Any, io: StreamCalloutIoPacket, *rest: Any) -> None:
        seen.append(io)
        rest[-1].action_type = FWP_ACTION_PERMIT

    engine = Engine()
    stream_callout(engine, fn)
    run(engine, ["hello"])
    first = seen[0]
    assert first.stream_data.data == b"hello" and first.stream_data.data_length == 5
    assert first.stream_data.flags & FWPS_STREAM_FLAG_SEND and first.missed_bytes == 0
    assert first.stream_data.data_offset.net_buffer_list is first.stream_data.net_buffer_list_chain
    assert first.stream_action == StreamActionType.NONE and first.count_bytes_required == 0


def test_copy_stream_data_to_buffer_copies_what_fits() -> None:
    """FwpsCopyStreamDataToBuffer0 fills the buffer and reports the count."""
    io = StreamCalloutIoPacket.of(b"abcdef", FWPS_STREAM_FLAG_SEND)
    buffer, copied = bytearray(4), Out[int]()
    FwpsCopyStreamDataToBuffer0(io.stream_data, buffer, 6, copied)
    assert bytes(buffer) == b"abcd" and copied.value == 4


def test_need_more_data_delivers_the_accumulated_bytes() -> None:
    """NEED_MORE_DATA with 10 required: the next indication holds every byte since."""
    calls: list[bytes] = []

    def fn(
        fixed: Any, meta: Any, io: StreamCalloutIoPacket, ctx: Any, flt: Any, fc: Any, out: Any
    ) -> None:
        calls.append(io.stream_data.data)
        if io.data_length < 10 and not out.flags & FWPS_CLASSIFY_OUT_FLAG_NO_MORE_DATA:
            io.stream_action = FWPS_STREAM_ACTION_NEED_MORE_DATA
            io.count_bytes_required = 10
            out.action_type = FWP_ACTION_NONE
        else:
            out.action_type = FWP_ACTION_PERMIT

    engine = Engine()
    stream_callout(engine, fn)
    journey = run(engine, ["abc", "defg", "hijk"])
    assert calls[:2] == [b"abc", b"abcdefghijk"]
    assert [e.kind for e in journey.streams if e.outbound][:2] == ["held", "held"]
    assert journey.delivered == b"abcdefghijk" and journey.faults == []
    assert journey.verdict == "PERMIT"


def test_held_data_is_indicated_at_the_fin_with_no_more_data() -> None:
    """A FIN indicates what is held at once, with FWPS_CLASSIFY_OUT_FLAG_NO_MORE_DATA."""
    flags: list[int] = []

    def fn(
        fixed: Any, meta: Any, io: StreamCalloutIoPacket, ctx: Any, flt: Any, fc: Any, out: Any
    ) -> None:
        flags.append(out.flags)
        if not out.flags & FWPS_CLASSIFY_OUT_FLAG_NO_MORE_DATA and io.data_length < 100:
            io.stream_action = FWPS_STREAM_ACTION_NEED_MORE_DATA
            io.count_bytes_required = 100
            out.action_type = FWP_ACTION_NONE
            return
        out.action_type = FWP_ACTION_PERMIT

    engine = Engine()
    stream_callout(engine, fn)
    journey = run(engine, ["short"])
    assert (
        flags[-2] & FWPS_CLASSIFY_OUT_FLAG_NO_MORE_DATA
        or flags[-1] & FWPS_CLASSIFY_OUT_FLAG_NO_MORE_DATA
    )
    assert journey.delivered == b"short"


def test_partial_enforcement_indicates_the_rest_again() -> None:
    """count_bytes_enforced = 3 permits three bytes; the remainder comes back at once."""
    calls: list[bytes] = []

    def fn(
        fixed: Any, meta: Any, io: StreamCalloutIoPacket, ctx: Any, flt: Any, fc: Any, out: Any
    ) -> None:
        calls.append(io.stream_data.data)
        io.count_bytes_enforced = min(3, io.data_length)
        out.action_type = FWP_ACTION_PERMIT

    engine = Engine()
    stream_callout(engine, fn)
    journey = run(engine, ["abcdefgh"])
    assert calls[:3] == [b"abcdefgh", b"defgh", b"gh"]
    assert journey.delivered == b"abcdefgh"
    assert [e.data for e in journey.streams if e.kind == "partial"] == [b"abc", b"def"]


def test_a_block_without_replacement_ends_the_send() -> None:
    """BLOCK for the whole data and nothing injected: the journey is blocked at STREAM."""

    def fn(
        fixed: Any, meta: Any, io: StreamCalloutIoPacket, ctx: Any, flt: Any, fc: Any, out: Any
    ) -> None:
        out.action_type = FWP_ACTION_BLOCK if b"evil" in io.stream_data.data else FWP_ACTION_PERMIT

    engine = Engine()
    stream_callout(engine, fn)
    journey = run(engine, ["fine", "evil", "more"])
    assert journey.verdict == "BLOCK" and journey.decided_at == "STREAM_V4"
    assert journey.delivered == b"fine"


def test_allow_connection_stops_indications_for_the_flow() -> None:
    """After ALLOW_CONNECTION the callout is not called again; the data still flows."""
    calls: list[bytes] = []

    def fn(
        fixed: Any, meta: Any, io: StreamCalloutIoPacket, ctx: Any, flt: Any, fc: Any, out: Any
    ) -> None:
        calls.append(io.stream_data.data)
        io.stream_action = FWPS_STREAM_ACTION_ALLOW_CONNECTION
        out.action_type = FWP_ACTION_NONE

    engine = Engine()
    stream_callout(engine, fn)
    journey = run(engine, ["one", "two", "three"])
    assert calls == [b"one"] and journey.delivered == b"onetwothree"


def test_a_stream_action_with_an_action_is_the_callouts_fault() -> None:
    """NEED_MORE_DATA with FWP_ACTION_PERMIT: reported; the action is ignored, the data held."""

    def fn(
        fixed: Any, meta: Any, io: StreamCalloutIoPacket, ctx: Any, flt: Any, fc: Any, out: Any
    ) -> None:
        if io.data_length < 6 and not out.flags & FWPS_CLASSIFY_OUT_FLAG_NO_MORE_DATA:
            io.stream_action = FWPS_STREAM_ACTION_NEED_MORE_DATA
            io.count_bytes_required = 6
        out.action_type = FWP_ACTION_PERMIT

    engine = Engine()
    stream_callout(engine, fn)
    journey = run(engine, ["abc", "def"])
    assert any(
        "'probe' set streamAction FWPS_STREAM_ACTION_NEED_MORE_DATA and returned FWP_ACTION_PERMIT"
        in f
        for f in journey.faults
    )
    assert journey.streams[0].kind == "held" and journey.delivered == b"abcdef"


def test_drop_connection_from_an_inspection_filter_is_ignored_and_reported() -> None:
    """Documented: an inspection callout's DROP_CONNECTION does not drop the connection."""

    def fn(
        fixed: Any, meta: Any, io: StreamCalloutIoPacket, ctx: Any, flt: Any, fc: Any, out: Any
    ) -> None:
        io.stream_action = StreamActionType.DROP_CONNECTION
        out.action_type = FWP_ACTION_NONE

    engine = Engine()
    stream_callout(engine, fn, "CALLOUT_INSPECTION")
    journey = run(engine, ["data"])
    assert journey.verdict == "PERMIT" and journey.delivered == b"data"
    assert any("FWP_ACTION_CALLOUT_INSPECTION" in f for f in journey.faults)


def test_drop_connection_ends_the_connection() -> None:
    """From an unknown-action callout filter DROP_CONNECTION ends the flow at STREAM."""

    def fn(
        fixed: Any, meta: Any, io: StreamCalloutIoPacket, ctx: Any, flt: Any, fc: Any, out: Any
    ) -> None:
        io.stream_action = StreamActionType.DROP_CONNECTION
        out.action_type = FWP_ACTION_NONE

    engine = Engine()
    stream_callout(engine, fn, "CALLOUT_UNKNOWN")
    journey = run(engine, ["data", "more"])
    assert journey.verdict == "BLOCK" and journey.decided_at == "STREAM_V4"
    assert journey.decided_by == "probe filter" and journey.delivered == b""
    assert journey.faults == []


def test_defer_on_an_outbound_stream_is_the_callouts_fault() -> None:
    """DEFER is for inbound streams only: reported, ignored."""

    def fn(
        fixed: Any, meta: Any, io: StreamCalloutIoPacket, ctx: Any, flt: Any, fc: Any, out: Any
    ) -> None:
        io.stream_action = FWPS_STREAM_ACTION_DEFER
        out.action_type = FWP_ACTION_NONE

    engine = Engine()
    stream_callout(engine, fn)
    journey = run(engine, ["data"])
    assert any("DEFER on an outbound stream" in f for f in journey.faults)
    assert journey.delivered == b"data"


class Deferrer:
    """Defers the inbound stream once and remembers what FwpsStreamContinue0 needs."""

    def __init__(self) -> None:
        self.flow = 0
        self.layer = 0
        self.callout_id = 0
        self.continue_status: int | None = None
        self.deferred = False

    def __call__(
        self,
        fixed: Any,
        meta: Any,
        io: StreamCalloutIoPacket,
        ctx: Any,
        flt: Any,
        fc: Any,
        out: Any,
    ) -> None:
        if io.stream_data.flags & FWPS_STREAM_FLAG_RECEIVE and not self.deferred and io.data_length:
            self.deferred = True
            self.flow, self.layer = meta.flow_handle, fixed.layer_id
            self.callout_id = flt.action.callout_id
            io.stream_action = FWPS_STREAM_ACTION_DEFER
            out.action_type = FWP_ACTION_NONE
            self.continue_status = FwpsStreamContinue0(self.flow, self.callout_id, self.layer, 1)
            return
        out.action_type = FWP_ACTION_PERMIT


def test_defer_holds_inbound_data_unacknowledged_until_stream_continue() -> None:
    """DEFER: nothing delivered, no ACK; FwpsStreamContinue0 later delivers it and ACKs."""
    engine = Engine()
    deferrer = Deferrer()
    stream_callout(engine, deferrer)
    conv = Stack(engine).open("tcp", "inbound", "10.0.0.5:8080", "198.51.100.9:50000")
    conv.send(b"request")  # type: ignore[attr-defined]
    journey = conv.journey
    assert journey.delivered == b"" and journey.streams[-1].kind == "deferred"
    assert journey.steps[-1].layer == "STREAM_V4"  # no ACK went back
    assert deferrer.continue_status == STATUS_INVALID_DEVICE_STATE  # not from classifyFn
    assert any("FwpsStreamContinue0 from its classifyFn" in f for f in journey.faults)
    with engine.kernel_context():
        status = FwpsStreamContinue0(
            deferrer.flow, deferrer.callout_id, FWPS_LAYER_STREAM_V4, FWPS_STREAM_FLAG_RECEIVE
        )
    assert status == STATUS_SUCCESS and journey.delivered == b"request"
    assert "ACK (after FwpsStreamContinue0)" in [s.event for s in journey.steps]
    with engine.kernel_context():
        again = FwpsStreamContinue0(
            deferrer.flow, deferrer.callout_id, FWPS_LAYER_STREAM_V4, FWPS_STREAM_FLAG_RECEIVE
        )
    assert again == STATUS_INVALID_PARAMETER  # no longer deferred
