"""Hidden checks of exercise 06: reauthorization, ICMP, inbound, loopback."""

from __future__ import annotations

from types import ModuleType

from wfpsim import Condition, Filter
from wfpsim.exercise import expect, expect_no_faults, public_checks
from wfpsim.stack import Stack

pub = public_checks(__file__)


def check_reauthorization_is_not_a_new_connection(m: ModuleType) -> None:
    """a live connection reauthorized after a policy change is still one connection"""
    engine = pub.installed(m)
    conv = Stack(engine).open("tcp", "outbound", pub.HERE, "93.184.216.34:443")
    conv.send(b"first")
    engine.add_filter(
        Filter("unrelated", pub.LAYER, "BLOCK", [Condition("IP_REMOTE_PORT", "EQUAL", 25)])
    )
    conv.send(b"second")
    expect_no_faults(conv.journey)
    expect(
        any(s.event.startswith("reauthorize") for s in conv.journey.steps),
        "(checker) the connection was not reauthorized",
    )
    pub.expect_counts(m, {(6, 443): 1}, "one connection, reauthorized once")


def check_icmp_and_inbound_not_counted(m: ModuleType) -> None:
    """pings and inbound connections are not counted"""
    engine = pub.installed(m)
    stack = Stack(engine)
    journeys = [
        stack.run("icmp", "outbound", "10.0.0.5", "8.8.8.8"),
        stack.run("tcp", "inbound", "10.0.0.5:443", "203.0.113.9:51000"),
        stack.run("udp", "outbound", pub.HERE, "8.8.4.4:53", payload=["q"]),
    ]
    expect_no_faults(*journeys)
    pub.expect_counts(m, {(17, 53): 1}, "after a ping, an inbound connection and one DNS query")


def check_loopback_counted_once(m: ModuleType) -> None:
    """a loopback connection is one outbound connection"""
    engine = pub.installed(m)
    journey = Stack(engine).run("tcp", "outbound", "127.0.0.1:0", "127.0.0.1:8080")
    expect_no_faults(journey)
    pub.expect_counts(m, {(6, 8080): 1}, "after one loopback connection")
