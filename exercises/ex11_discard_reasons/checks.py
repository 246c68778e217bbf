"""Public checks of exercise 11: closed ports stay silent, every discard is logged."""

from __future__ import annotations

from types import ModuleType

from wfpsim import Condition, Engine, Filter, layer
from wfpsim.exercise import expect, expect_no_faults
from wfpsim.stack import Journey, Stack

HOST = "10.0.0.5"
SCANNER = "203.0.113.66"


def installed(m: ModuleType) -> Engine:
    """A fresh engine with the student's logging and stealth."""
    engine = Engine()
    m.install(engine)
    return engine


def probe(engine: Engine, kind: str, port: int, listening: bool = False) -> Journey:
    """The scanner sends one SYN (tcp) or datagram (udp) to a port of this host."""
    j = Stack(engine).run(
        kind, "inbound", f"{HOST}:{port}", f"{SCANNER}:40000", listening=listening
    )
    expect_no_faults(j)
    return j


def answered(j: Journey) -> list[str]:
    """What left the host in answer (events of the steps at OUTBOUND_IPPACKET_V4)."""
    return [s.event for s in j.steps if s.layer == "OUTBOUND_IPPACKET_V4"]


def expect_logged(m: ModuleType, want: list[tuple[str, int, int, int]], what: str) -> None:
    """DISCARDS must be exactly ``want`` (layer names turned into run-time ids)."""
    wanted = [(layer(name).id, mod, reason, fid) for name, mod, reason, fid in want]
    shown = [
        f"{layer(lid).short_name if isinstance(lid, int) else lid}, {rest}"
        for lid, *rest in m.DISCARDS
    ]
    expect(
        wanted == m.DISCARDS,
        f"{what}: DISCARDS is {m.DISCARDS} ({'; '.join(shown) or 'empty'}), but "
        f"{len(wanted)} indication(s) reached the logged layers "
        f"({', '.join(name for name, *_ in want)}): was your logging filter asked there?",
    )


def check_closed_tcp_port(m: ModuleType) -> None:
    """a SYN to a closed port: no RST, and one log entry"""
    j = probe(installed(m), "tcp", 81)
    expect(not answered(j), f"the host answered the SYN to closed port 81: {answered(j)}.")
    expect_logged(m, [("INBOUND_TRANSPORT_V4_DISCARD", 1, 4, 0)], "after a SYN to closed port 81")


def check_closed_udp_port(m: ModuleType) -> None:
    """a datagram to a closed port: no ICMP error, and one log entry"""
    j = probe(installed(m), "udp", 9)
    expect(not answered(j), f"the host answered the datagram to closed port 9: {answered(j)}.")
    expect_logged(m, [("INBOUND_IPPACKET_V4_DISCARD", 0, 4, 0)], "after a datagram to port 9")


def check_filter_blocks_logged(m: ModuleType) -> None:
    """a filter's block is logged with the filter's id"""
    engine = installed(m)
    telnet = engine.add_filter(
        Filter(
            "no telnet out",
            "ALE_AUTH_CONNECT_V4",
            "BLOCK",
            [Condition("IP_REMOTE_PORT", "EQUAL", 23)],
        )
    )
    j = Stack(engine).run("tcp", "outbound", f"{HOST}:0", "198.51.100.7:23")
    expect_no_faults(j)
    expect(j.verdict == "BLOCK", f"the telnet connection ends {j.verdict}.")
    expect_logged(
        m, [("ALE_AUTH_CONNECT_V4_DISCARD", 2, 0, telnet.filter_id)], "after a blocked connection"
    )


def check_open_ports_and_metadata(m: ModuleType) -> None:
    """open ports still answer; an indication without discard metadata is not logged"""
    engine = installed(m)
    for kind in ("tcp", "udp"):
        j = probe(engine, kind, 8443, listening=True)
        expect(
            j.verdict == "PERMIT",
            f"a {kind.upper()} exchange with open port 8443 ends {j.verdict}.",
        )
    expect_no_faults(engine.classify("INBOUND_TRANSPORT_V4_DISCARD", {"IP_LOCAL_PORT": 81}))
    expect_logged(m, [], "after traffic to an open port and an indication without metadata")
