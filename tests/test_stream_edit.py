"""Stream editing: FwpsStreamInjectAsync0, the stmedit-style editor, the request inspector and
their scenarios (wfpsim.examples.stream_edit, wfpsim.examples.stream_inspect)."""

from __future__ import annotations

import pytest

from wfpsim import Engine
from wfpsim.examples.stream_edit import DoubleEditDriver, StreamEditDriver
from wfpsim.examples.stream_inspect import HastyInspectorDriver, RequestInspectorDriver
from wfpsim.ids import (
    FWPS_INJECTION_TYPE_STREAM,
    FWPS_LAYER_STREAM_V4,
    FWPS_STREAM_FLAG_RECEIVE_DISCONNECT,
    FWPS_STREAM_FLAG_SEND,
    STATUS_FWP_INVALID_PARAMETER,
    STATUS_FWP_TCPIP_NOT_READY,
    STATUS_INVALID_PARAMETER,
)
from wfpsim.injection import (
    FwpsAllocateNetBufferAndNetBufferList0,
    FwpsInjectionHandleCreate0,
    InjectionHandle,
    Out,
)
from wfpsim.runner import run
from wfpsim.stack import Stack
from wfpsim.stack.layerdata import NetBufferList
from wfpsim.streams import FwpsStreamInjectAsync0


def journey_with(driver_class: type, payload: list[str]):  # type: ignore[no-untyped-def]
    engine = Engine()
    driver = driver_class(engine)
    assert driver.driver_entry() == 0
    return Stack(engine).run("tcp", "outbound", "10.0.0.5:0", "93.184.216.34:80", payload=payload)


def test_the_editor_replaces_a_string_in_one_segment() -> None:
    """Permit up to the match, inject the replacement, block the match, permit the rest."""
    journey = journey_with(StreamEditDriver, ["the weather is rainy today"])
    assert journey.delivered == b"the weather is sunny today"
    kinds = [e.kind for e in journey.streams]
    assert kinds[:4] == ["partial", "injected", "partial", "blocked"]
    assert journey.verdict == "PERMIT" and journey.faults == []


def test_the_editor_replaces_a_match_split_across_two_segments() -> None:
    """'rai' + 'ny': the tail is held (NEED_MORE_DATA) and edited with the next segment."""
    journey = journey_with(StreamEditDriver, ["it is rai", "ny and cold"])
    assert journey.delivered == b"it is sunny and cold"
    held = [e for e in journey.streams if e.kind == "held"]
    assert [e.data for e in held] == [b"rai"]
    assert "StreamEdit: 3 bytes may start a match: need more data" in journey.log


def test_a_partial_match_at_the_end_of_the_stream_is_let_go() -> None:
    """No more data will come (FIN): the held tail is permitted as it is."""
    journey = journey_with(StreamEditDriver, ["no match here", "rain"])
    assert journey.delivered == b"no match hererain" and journey.faults == []


def test_injected_data_is_not_indicated_to_the_injecting_callout() -> None:
    """A replacement that contains the pattern is not edited again by the same callout."""

    class Grow(StreamEditDriver):
        replace = b"very rainy"

    journey = journey_with(Grow, ["a rainy day"])
    assert journey.delivered == b"a very rainy day"


def test_a_lower_sublayer_re_edits_injected_data_without_the_state_check() -> None:
    """The pitfall: the second callout, lower down, sees the replacement and edits it again."""
    journey = journey_with(DoubleEditDriver, ["a rainy day"])
    assert journey.delivered == b"a very very rainy day"
    assert journey.log.count("DoubleEdit: replaced rainy with very rainy") == 2


def test_the_injection_state_check_lets_the_drivers_own_data_pass() -> None:
    """FwpsQueryPacketInjectionState0 on the stream data: INJECTED_BY_SELF, let it go."""

    class Checked(DoubleEditDriver):
        check_injection_state = True

    journey = journey_with(Checked, ["a rainy day"])
    assert journey.delivered == b"a very rainy day"


def test_stream_injection_refuses_bad_arguments() -> None:
    """Wrong layer, a disconnect flag without its direction, no deferred stream outside."""
    assert (
        FwpsStreamInjectAsync0(None, None, 0, 1, 1, 20, FWPS_STREAM_FLAG_SEND, None, 0, print, None)  # type: ignore[arg-type]
        == STATUS_FWP_TCPIP_NOT_READY
    )
    engine = Engine()
    Stack(engine).run("tcp", "outbound", "10.0.0.5:0", "93.184.216.34:80", payload=["x"])
    with engine.kernel_context():
        handle: Out[InjectionHandle] = Out()
        FwpsInjectionHandleCreate0(0, FWPS_INJECTION_TYPE_STREAM, handle)
        nbl: Out[NetBufferList] = Out()
        FwpsAllocateNetBufferAndNetBufferList0(None, 0, 0, b"abc", 0, 3, nbl)
        h, data = handle.value, nbl.value
        assert h is not None and data is not None

        def inject(layer: int, flags: int) -> int:
            return FwpsStreamInjectAsync0(h, None, 0, 1, 1, layer, flags, data, 3, print, None)

        assert inject(44, FWPS_STREAM_FLAG_SEND) == STATUS_INVALID_PARAMETER
        bad = FWPS_STREAM_FLAG_SEND | FWPS_STREAM_FLAG_RECEIVE_DISCONNECT
        assert inject(FWPS_LAYER_STREAM_V4, bad) == STATUS_FWP_INVALID_PARAMETER
        # outside a classifyFn only a deferred stream takes data
        assert inject(FWPS_LAYER_STREAM_V4, FWPS_STREAM_FLAG_SEND) == STATUS_INVALID_PARAMETER


def test_the_inspector_waits_for_the_whole_request_line() -> None:
    """'GET /ad' + 'min …': held, then the full line is seen and the connection dropped."""
    journey = journey_with(
        RequestInspectorDriver, ["GET /ad", "min HTTP/1.1\r\n", "Host: x\r\n\r\n"]
    )
    assert journey.verdict == "BLOCK" and journey.decided_at == "STREAM_V4"
    assert journey.delivered == b"" and [e.kind for e in journey.streams][:2] == ["held", "dropped"]
    assert "RequestInspector: GET /admin HTTP/1.1: dropped" in journey.log


def test_the_hasty_inspector_misses_a_split_request() -> None:
    """The pitfall: deciding on the first piece lets the forbidden request through."""
    journey = journey_with(HastyInspectorDriver, ["GET /ad", "min HTTP/1.1\r\n"])
    assert journey.verdict == "PERMIT" and journey.delivered.startswith(b"GET /admin")


@pytest.mark.parametrize("name", ["stream-inspect", "stream-edit"])
def test_the_stream_scenarios_check_themselves(name: str) -> None:
    """`wfpsim run stream-inspect` / `stream-edit` hold every expectation."""
    result = run(name)
    assert result.ok, [t.failures for t in result.traffic]
