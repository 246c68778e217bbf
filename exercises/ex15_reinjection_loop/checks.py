"""Public checks of exercise 15: each mDNS query leaves once, tagged once, silently, no leak."""

from __future__ import annotations

from types import ModuleType

from wfpsim import Engine
from wfpsim.exercise import expect, expect_no_faults
from wfpsim.injection import injection_state
from wfpsim.stack import Journey, Stack
from wfpsim.stack.packets import Packet

LOCAL = "127.0.0.1:0"
MDNS = "127.0.0.1:5353"


def installed(m: ModuleType) -> tuple[Engine, Stack]:
    """A fresh engine with the student's driver, and a stack on it."""
    engine = Engine()
    m.install(engine)
    return engine, Stack(engine)


def received(journey: Journey) -> list[bytes]:
    """The payloads the receiving socket got (loopback: inbound DATAGRAM_DATA)."""
    out = []
    for step in journey.steps:
        if step.layer == "DATAGRAM_DATA_V4" and step.side == "server" and step.packet:
            out.append(Packet.from_bytes(step.packet).payload)
    return out


def check_leaves_once_tagged(m: ModuleType) -> None:
    """a query leaves once, tagged once, and no loop is reported"""
    _, stack = installed(m)
    journey = stack.run("udp", "outbound", LOCAL, MDNS, payload=["who has printer.local?"])
    expect_no_faults(journey)
    expect(
        journey.verdict == "PERMIT",
        f"the query ends {journey.verdict} at {journey.decided_at} (by {journey.decided_by!r}).",
    )
    sent = journey.layers.count("OUTBOUND_IPPACKET_V4")
    expect(sent == 1, f"the query left {sent} times (OUTBOUND_IPPACKET_V4); it must leave once.")
    got = received(journey)
    want = b"who has printer.local?" + m.TAG
    expect(got == [want], f"the receiver got {got!r}; it should get [{want!r}].")


def check_absorbed(m: ModuleType) -> None:
    """the original is dropped silently: no drop event, no discard layer"""
    _, stack = installed(m)
    journey = stack.run("udp", "outbound", LOCAL, MDNS, payload=["q"])
    expect_no_faults(journey)
    discards = [s.layer for s in journey.steps if s.is_discard]
    expect(not discards, f"the original shows at {discards}: a drop everyone sees.")
    expect(
        not stack.net_events,
        f"{len(stack.net_events)} drop event(s) recorded for a query that did leave.",
    )


def check_copies_freed(m: ModuleType) -> None:
    """every injected copy is freed once its injection completed"""
    engine, stack = installed(m)
    journey = stack.run("udp", "outbound", LOCAL, MDNS, payload=["a", "b"])
    expect_no_faults(journey)
    made = injection_state(engine.kernel).made
    expect(made, "the driver injected nothing.")
    leaked = sum(1 for i in made if not i.net_buffer_list.freed)
    expect(not leaked, f"{leaked} of {len(made)} injected copies were never freed.")


def tagged_once(m: ModuleType, stack: Stack) -> None:
    """An mDNS query on ``stack`` leaves once, tagged once, without a fault."""
    journey = stack.run("udp", "outbound", LOCAL, MDNS, payload=["q"])
    expect_no_faults(journey)
    got = received(journey)
    expect(got == [b"q" + m.TAG], f"an mDNS query arrived as {got!r}.")


def check_other_traffic_untouched(m: ModuleType) -> None:
    """a DNS query (port 53) is not the tagger's, an mDNS query beside it is"""
    _, stack = installed(m)
    journey = stack.run("udp", "outbound", LOCAL, "127.0.0.1:53", payload=["example.com?"])
    expect_no_faults(journey)
    expect(not journey.injections, f"traffic to port 53 was injected: {journey.injections}.")
    expect(received(journey) == [b"example.com?"], "the DNS query arrived changed.")
    tagged_once(m, stack)
