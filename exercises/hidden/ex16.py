"""Hidden checks of exercise 16: inbound UDP, loopback, interleaved flows, inbound TCP."""

from __future__ import annotations

from types import ModuleType

from wfpsim.exercise import expect, expect_no_faults, public_checks

pub = public_checks(__file__)


def check_udp_received(m: ModuleType) -> None:
    """an inbound datagram: the offset is at the payload, nothing to subtract"""
    _, stack = pub.installed(m)
    journey = stack.run(
        "udp", "inbound", f"{pub.HOST}:5353", "10.0.0.9:40000", payload=["12345678"]
    )
    expect_no_faults(journey)
    pub.expect_finished(m, {"10.0.0.9:40000": ("UDP", 0, 8)}, "after an inbound datagram")


def check_loopback_two_flows(m: ModuleType) -> None:
    """loopback UDP: one flow per end, each counting its own side"""
    _, stack = pub.installed(m)
    journey = stack.run("udp", "outbound", "127.0.0.1:0", "127.0.0.1:5353", payload=["ab", "c"])
    expect_no_faults(journey)
    rows = sorted((r["sent"], r["received"]) for r in m.FINISHED)
    expect(rows == [(0, 3), (3, 0)], f"loopback records (sent, received): {rows}.")


def check_interleaved(m: ModuleType) -> None:
    """two connections open at once keep their own records"""
    _, stack = pub.installed(m)
    first = stack.open("tcp", "outbound", f"{pub.HOST}:0", "198.51.100.1:443")
    second = stack.open("udp", "outbound", f"{pub.HOST}:0", "198.51.100.2:53")
    first.send(b"a" * 10)  # type: ignore[attr-defined]
    second.send(b"b" * 7)  # type: ignore[attr-defined]
    first.send(b"c" * 4, False)  # type: ignore[attr-defined]
    second.close()  # type: ignore[attr-defined]
    first.close()  # type: ignore[attr-defined]
    expect_no_faults(first.journey, second.journey)
    pub.expect_finished(
        m,
        {"198.51.100.1:443": ("TCP", 10, 4), "198.51.100.2:53": ("UDP", 7, 0)},
        "after two interleaved flows",
    )
    order = [r["remote"] for r in m.FINISHED]
    expect(order == ["198.51.100.2:53", "198.51.100.1:443"], f"FINISHED order: {order}.")


def check_inbound_tcp(m: ModuleType) -> None:
    """an inbound connection counts from this host's point of view"""
    _, stack = pub.installed(m)
    journey = stack.run(
        "tcp", "inbound", f"{pub.HOST}:8080", "203.0.113.9:50000", payload=["hello"]
    )
    expect_no_faults(journey)
    pub.expect_finished(m, {"203.0.113.9:50000": ("TCP", 0, 5)}, "after an inbound connection")
