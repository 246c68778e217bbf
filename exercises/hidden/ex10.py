"""Hidden checks of exercise 10: UDP, the server side, blocked and silent connections, loopback."""

from __future__ import annotations

from types import ModuleType

from wfpsim import Condition, Filter
from wfpsim.exercise import expect, expect_no_faults, public_checks
from wfpsim.stack import Stack

pub = public_checks(__file__)


def check_tcp_only(m: ModuleType) -> None:
    """UDP and ICMP flows get no record"""
    engine = pub.installed(m)
    stack = Stack(engine)
    journeys = [
        stack.run("udp", "outbound", f"{pub.HOST}:0", "8.8.8.8:53", payload=["query"]),
        stack.run("icmp", "outbound", pub.HOST, "8.8.8.8"),
    ]
    expect_no_faults(*journeys)
    expect(not m.FINISHED and not m.RECORDS, f"UDP/ICMP left records: {m.FINISHED or m.RECORDS}.")


def check_server_side(m: ModuleType) -> None:
    """an inbound connection is counted from this host's point of view"""
    engine = pub.installed(m)
    conv = pub.talk(
        Stack(engine),
        "tcp",
        "inbound",
        f"{pub.HOST}:8443",
        "203.0.113.9:50000",
        [(b"hello server", True), (b"hi", False)],
    )
    pub.close(conv)
    pub.expect_finished(m, {"203.0.113.9:50000": (2, 12)}, "after an inbound connection")


def check_blocked_and_silent(m: ModuleType) -> None:
    """a blocked connection gets no record; a silent one a record of zeros"""
    engine = pub.installed(m)
    engine.add_filter(
        Filter("no 25", "ALE_AUTH_CONNECT_V4", "BLOCK", [Condition("IP_REMOTE_PORT", "EQUAL", 25)])
    )
    stack = Stack(engine)
    blocked = stack.run("tcp", "outbound", f"{pub.HOST}:0", "198.51.100.3:25")
    silent = stack.run("tcp", "outbound", f"{pub.HOST}:0", "198.51.100.3:22")
    expect_no_faults(blocked, silent)
    pub.expect_finished(m, {"198.51.100.3:22": (0, 0)}, "after a blocked and a silent connection")


def check_loopback_two_records(m: ModuleType) -> None:
    """a loopback connection is two connections on this host, one per end"""
    engine = pub.installed(m)
    conv = pub.talk(
        Stack(engine), "tcp", "outbound", "127.0.0.1:0", "127.0.0.1:8080", [(b"ping", True)]
    )
    pub.close(conv)
    pub.expect_finished(
        m, {"127.0.0.1:8080": (4, 0), "127.0.0.1:49152": (0, 4)}, "after a loopback connection"
    )
