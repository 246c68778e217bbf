"""The stream layer in the step report, the journey table, the player's inspector, pcapng, and
the DEFER example driver (wfpsim.examples.stream_defer)."""

from __future__ import annotations

from pathlib import Path

from wfpsim import Engine
from wfpsim.examples.stream_defer import ThrottleDriver
from wfpsim.examples.stream_inspect import SloppyInspectorDriver
from wfpsim.ids import STATUS_SUCCESS
from wfpsim.runner import run
from wfpsim.stack import Stack
from wfpsim.stack.inspect import journey_table, step_report
from wfpsim.stack.pcap import packets


def split_edit():  # type: ignore[no-untyped-def]
    return run("stream-edit").traffic[1].journey


def test_the_step_report_shows_the_io_packet_and_who_answered() -> None:
    """step_report lists the FWPS_STREAM_CALLOUT_IO_PACKET0 members and the callout's answers."""
    journey = split_edit()
    held = next(s for s in journey.steps if "NEED_MORE_DATA" in s.note)
    text = step_report(held)
    assert "FWPS_STREAM_CALLOUT_IO_PACKET0" in text
    assert "stream_action = FWPS_STREAM_ACTION_NEED_MORE_DATA (set by 'stream edit 1')" in text
    assert "count_bytes_required = 5" in text and "stream_data.data_length = 3" in text


def test_the_journey_table_notes_held_partial_and_injected_data() -> None:
    """The note column says what the stream layer did with the data at each STREAM step."""
    notes = [row[6] for row in journey_table(split_edit()).rows if row[1] == "STREAM_V4"]
    assert any(n.startswith("partial: 6 bytes") for n in notes)
    assert any(n.startswith("held: 3 bytes") for n in notes)
    assert any(n.startswith("injected: 5 bytes") for n in notes)


def test_the_player_inspector_shows_the_stream_members() -> None:
    """The inspector's layer-data box holds the members table and the step's note."""
    from wfpsim.viz.inspector import inspector_html

    journey = split_edit()
    held = next(s for s in journey.steps if "NEED_MORE_DATA" in s.note)
    html = inspector_html(held)
    assert "FWPS_STREAM_CALLOUT_IO_PACKET0" in html and "count_bytes_required" in html
    assert "held: 3 bytes" in html


def test_an_edited_stream_exports_as_pcapng(tmp_path: Path) -> None:
    """The frame that left carries the edited bytes; the file is written."""
    journey = split_edit()
    payloads = [f.data for f in packets([journey])]
    assert any(p.endswith(b"sunny and cold") for p in payloads)
    assert journey.save_pcap(tmp_path / "edit.pcapng").stat().st_size > 0


def test_the_sloppy_inspector_is_reported_and_still_holds_the_data() -> None:
    """FWP_ACTION_BLOCK beside NEED_MORE_DATA: a fault; the action is ignored."""
    engine = Engine()
    SloppyInspectorDriver(engine).driver_entry()
    journey = Stack(engine).run(
        "tcp", "outbound", "10.0.0.5:0", "93.184.216.34:80", payload=["GET /i", "x HTTP/1.1\r\n"]
    )
    assert "returned FWP_ACTION_BLOCK" in journey.faults[0]
    assert journey.verdict == "PERMIT" and journey.delivered == b"GET /ix HTTP/1.1\r\n"


def test_the_throttle_defers_until_resumed() -> None:
    """ThrottleDriver: deferred, unacknowledged; resume() continues and the data arrives."""
    engine = Engine()
    throttle = ThrottleDriver(engine)
    throttle.driver_entry()
    conv = Stack(engine).open("tcp", "inbound", "10.0.0.5:8080", "198.51.100.9:50000")
    conv.send(b"part one")  # type: ignore[attr-defined]
    assert conv.journey.delivered == b"" and conv.journey.steps[-1].layer == "STREAM_V4"
    assert throttle.resume() == [STATUS_SUCCESS]
    assert conv.journey.delivered == b"part one" and conv.journey.faults == []
    conv.send(b"part two")  # type: ignore[attr-defined]
    assert throttle.resume() == [STATUS_SUCCESS]
    assert conv.journey.delivered == b"part onepart two"


def test_a_disconnect_injection_sets_fin_on_the_released_segment() -> None:
    """FwpsStreamInjectAsync0 with FWPS_STREAM_FLAG_SEND_DISCONNECT: data, then FIN."""
    import uuid

    from wfpsim.ids import (
        FWP_ACTION_PERMIT,
        FWPS_INJECTION_TYPE_STREAM,
        FWPS_STREAM_FLAG_SEND,
        FWPS_STREAM_FLAG_SEND_DISCONNECT,
    )
    from wfpsim.injection import (
        FwpsAllocateNetBufferAndNetBufferList0,
        FwpsInjectionHandleCreate0,
        Out,
    )
    from wfpsim.objects import Callout, Filter
    from wfpsim.stack.packets import Packet, TcpFlags
    from wfpsim.streams import FwpsStreamInjectAsync0

    engine = Engine()
    handle: Out = Out()
    statuses: list[int] = []

    def fn(fixed, meta, io, ctx, flt, fc, out) -> None:  # type: ignore[no-untyped-def]
        out.action_type = FWP_ACTION_PERMIT
        if io.data_length and not statuses:
            nbl: Out = Out()
            FwpsAllocateNetBufferAndNetBufferList0(None, 0, 0, b"bye", 0, 3, nbl)
            flags = FWPS_STREAM_FLAG_SEND | FWPS_STREAM_FLAG_SEND_DISCONNECT
            statuses.append(
                FwpsStreamInjectAsync0(
                    handle.value, None, 0, meta.flow_handle, flt.action.callout_id,
                    fixed.layer_id, flags, nbl.value, 3, lambda *a: None, None,
                )
            )  # fmt: skip

    key = uuid.UUID("11111111-2222-3333-4444-5555555555ff")
    with engine.kernel_context():
        FwpsInjectionHandleCreate0(0, FWPS_INJECTION_TYPE_STREAM, handle)
        engine.register_callout(key, fn, None, None)
    engine.add_callout(Callout("closer", "STREAM_V4", key))
    engine.add_filter(Filter("closer", "STREAM_V4", "CALLOUT_TERMINATING", callout=key))
    journey = Stack(engine).run("tcp", "outbound", "10.0.0.5:0", "93.184.216.34:80", payload=["hi"])
    assert statuses == [STATUS_SUCCESS] and journey.delivered == b"hibye"
    sent = next(
        s for s in journey.steps if s.layer == "OUTBOUND_TRANSPORT_V4" and s.event == "data"
    )
    assert Packet.from_bytes(sent.packet).transport.flags & TcpFlags.FIN  # type: ignore[union-attr]
    assert any(e.detail.startswith("FIN") for e in journey.streams)


def test_data_injected_outside_classify_into_a_deferred_stream_is_delivered() -> None:
    """A deferred inbound stream takes FwpsStreamInjectAsync0 data from outside classifyFn."""
    from wfpsim.ids import (
        FWPS_INJECTION_TYPE_STREAM,
        FWPS_LAYER_STREAM_V4,
        FWPS_STREAM_FLAG_RECEIVE,
    )
    from wfpsim.injection import (
        FwpsAllocateNetBufferAndNetBufferList0,
        FwpsInjectionHandleCreate0,
        Out,
    )
    from wfpsim.streams import FwpsStreamInjectAsync0

    engine = Engine()
    throttle = ThrottleDriver(engine)
    throttle.driver_entry()
    conv = Stack(engine).open("tcp", "inbound", "10.0.0.5:8080", "198.51.100.9:50000")
    conv.send(b"raw")  # type: ignore[attr-defined]
    flow, callout_id, _, _ = throttle.deferred[0]
    done: list[object] = []
    with engine.kernel_context():
        handle: Out = Out()
        FwpsInjectionHandleCreate0(0, FWPS_INJECTION_TYPE_STREAM, handle)
        nbl: Out = Out()
        FwpsAllocateNetBufferAndNetBufferList0(None, 0, 0, b"scanned", 0, 7, nbl)
        status = FwpsStreamInjectAsync0(
            handle.value, None, 0, flow, callout_id, FWPS_LAYER_STREAM_V4,
            FWPS_STREAM_FLAG_RECEIVE, nbl.value, 7, lambda *a: done.append(a), None,
        )  # fmt: skip
    assert status == STATUS_SUCCESS and conv.journey.delivered == b"scanned" and done


def test_the_players_last_frame_lists_what_the_stream_layer_did() -> None:
    """Data held without an indication shows in the journey's end summary."""
    from wfpsim.viz.inspector import decision_html

    journey = run("stream-edit").traffic[1].journey
    html = decision_html(journey.steps[-1], journey, last=True)
    assert "stream: held at STREAM_V4 (send): 3 bytes" in html
    assert "stream: injected at STREAM_V4 (send): 5 bytes" in html
