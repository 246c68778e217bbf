"""Hidden checks of exercise 11: a scan, inbound filter blocks, every answer suppressed."""

from __future__ import annotations

from types import ModuleType

from wfpsim import Condition, Filter, Weight
from wfpsim.exercise import expect, public_checks

pub = public_checks(__file__)


def check_port_scan(m: ModuleType) -> None:
    """a scan of ten ports: ten silent drops, ten log entries, in order"""
    engine = pub.installed(m)
    want = []
    for port in range(20, 30):
        kind = "tcp" if port % 2 else "udp"
        j = pub.probe(engine, kind, port)
        expect(not pub.answered(j), f"the host answered {kind.upper()} port {port}.")
        want.append(
            ("INBOUND_TRANSPORT_V4_DISCARD", 1, 4, 0)
            if kind == "tcp"
            else ("INBOUND_IPPACKET_V4_DISCARD", 0, 4, 0)
        )
    pub.expect_logged(m, want, "after a scan of ports 20-29")


def check_inbound_filter_block(m: ModuleType) -> None:
    """an inbound connection a filter refuses is logged at the accept layer's twin"""
    engine = pub.installed(m)
    rdp = engine.add_filter(
        Filter(
            "no RDP",
            "ALE_AUTH_RECV_ACCEPT_V4",
            "BLOCK",
            [Condition("IP_LOCAL_PORT", "EQUAL", 3389)],
            weight=Weight.range(15),
        )
    )
    j = pub.probe(engine, "tcp", 3389, listening=True)
    expect(j.verdict == "BLOCK", f"the inbound RDP connection ends {j.verdict}.")
    pub.expect_logged(
        m,
        [("ALE_AUTH_RECV_ACCEPT_V4_DISCARD", 2, 0, rdp.filter_id)],
        "after a refused RDP connection",
    )


def check_silence_is_not_a_block_elsewhere(m: ModuleType) -> None:
    """outbound traffic and replies still flow"""
    engine = pub.installed(m)
    from wfpsim.stack import Stack

    stack = Stack(engine)
    for kind, local, remote in [
        ("tcp", f"{pub.HOST}:0", "198.51.100.7:443"),
        ("udp", f"{pub.HOST}:0", "8.8.8.8:53"),
        ("icmp", pub.HOST, "8.8.8.8"),
    ]:
        j = stack.run(kind, "outbound", local, remote, payload=["x"])
        expect(j.verdict == "PERMIT", f"outbound {kind.upper()} to {remote} ends {j.verdict}.")
    pub.expect_logged(m, [], "after ordinary outbound traffic")
