"""Hidden checks of exercise 15: several queries, replies, other hosts, other drivers' copies."""

from __future__ import annotations

from types import ModuleType

from wfpsim.exercise import expect, expect_no_faults, public_checks
from wfpsim.injection import injection_state

pub = public_checks(__file__)


def check_each_query_once(m: ModuleType) -> None:
    """three queries on one socket: each leaves once, tagged once"""
    _, stack = pub.installed(m)
    journey = stack.run("udp", "outbound", pub.LOCAL, pub.MDNS, payload=["1", "22", "333"])
    expect_no_faults(journey)
    got = pub.received(journey)
    expect(got == [p + m.TAG for p in (b"1", b"22", b"333")], f"the receiver got {got!r}.")
    expect(len(journey.injections) == 3, f"{len(journey.injections)} injections for 3 queries.")


def check_remote_network(m: ModuleType) -> None:
    """a query to another host: leaves once, no drop event"""
    _, stack = pub.installed(m)
    journey = stack.run("udp", "outbound", "10.0.0.5:0", "224.0.0.251:5353", payload=["q"])
    expect_no_faults(journey)
    expect(journey.verdict == "PERMIT", f"the query ends {journey.verdict}.")
    expect(journey.layers.count("OUTBOUND_IPPACKET_V4") == 1, "the query did not leave once.")
    expect(not stack.net_events, "a drop event was recorded.")


def check_incoming_not_tagged(m: ModuleType) -> None:
    """a query arriving from another host is not the tagger's business"""
    _, stack = pub.installed(m)
    journey = stack.run("udp", "inbound", "10.0.0.5:5353", "10.0.0.9:5353", payload=["q"])
    expect_no_faults(journey)
    expect(not journey.injections, "an incoming query was injected.")
    pub.tagged_once(m, stack)


def check_empty_query(m: ModuleType) -> None:
    """an empty datagram is tagged once too, and its copy freed"""
    engine, stack = pub.installed(m)
    journey = stack.run("udp", "outbound", pub.LOCAL, pub.MDNS, payload=[""])
    expect_no_faults(journey)
    expect(pub.received(journey) == [m.TAG], f"the receiver got {pub.received(journey)!r}.")
    made = injection_state(engine.kernel).made
    expect(made and all(i.net_buffer_list.freed for i in made), "a copy was not freed.")
