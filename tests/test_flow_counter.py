"""The per-flow byte counter: flow contexts across STREAM and DATAGRAM_DATA, flowDeleteFn."""

from __future__ import annotations

from wfpsim import Engine
from wfpsim.examples.flow_counter import FlowCounterDriver
from wfpsim.runner import run
from wfpsim.stack import Stack


def _driver() -> tuple[Engine, FlowCounterDriver]:
    engine = Engine()
    driver = FlowCounterDriver(engine)
    assert driver.driver_entry() == 0
    return engine, driver


def test_tcp_bytes_are_counted_at_stream_and_reported_when_the_flow_ends() -> None:
    """Each payload's length is added at STREAM_V4; flowDeleteFn reports and frees the record."""
    engine, driver = _driver()
    journey = Stack(engine).run(
        "tcp", "outbound", "10.0.0.5:0", "93.184.216.34:80", payload=["abc", "de"]
    )
    assert journey.log == ["flow 1 (TCP to 93.184.216.34:80): 5 bytes sent, 0 received"]
    assert driver.records == {} and [r.sent for r in driver.finished] == [5]
    assert [d.layer_id for d in engine.kernel.flow_deletes] == [20]  # FWPS_LAYER_STREAM_V4


def test_udp_counts_payload_not_the_udp_header() -> None:
    """Outbound DATAGRAM_DATA starts at the UDP header: the counter subtracts its size."""
    engine, driver = _driver()
    Stack(engine).run("udp", "outbound", "10.0.0.5:0", "198.51.100.53:53", payload=["12345678"])
    assert [(r.protocol, r.sent, r.received) for r in driver.finished] == [("UDP", 8, 0)]


def test_loopback_counts_each_end_on_its_own_flow() -> None:
    """Both ends are on this host: two flows, two contexts, two reports."""
    engine, driver = _driver()
    Stack(engine).run("udp", "outbound", "127.0.0.1:0", "127.0.0.1:5353", payload=["ab", "c"])
    assert [(r.sent, r.received) for r in driver.finished] == [(3, 0), (0, 3)]


def test_a_flow_that_is_never_established_gets_no_record() -> None:
    """A refused connection never reaches FLOW_ESTABLISHED: nothing to count or report."""
    engine, driver = _driver()
    Stack(engine).run("tcp", "outbound", "10.0.0.5:0", "93.184.216.34:81", listening=False)
    assert driver.finished == [] and driver.records == {}


def test_flow_counter_scenario_holds() -> None:
    """`wfpsim run flow-counter` checks itself."""
    assert run("flow-counter").ok
