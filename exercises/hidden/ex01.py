"""Hidden checks of exercise 01: boundaries, protocols, case and real traffic."""

from __future__ import annotations

from types import ModuleType

from wfpsim.exercise import expect, public_checks
from wfpsim.stack import Stack

pub = public_checks(__file__)
BROWSER, LEGACY = pub.BROWSER, pub.LEGACY


def check_network_boundaries(m: ModuleType) -> None:
    """rule 1 covers exactly 192.168.100.0/24"""
    pub.verdicts(
        m,
        [
            (6, "192.168.100.0", 80, BROWSER, True, "rule 1: first address of the network"),
            (6, "192.168.100.255", 80, BROWSER, True, "rule 1: last address of the network"),
            (6, "192.168.99.255", 80, BROWSER, False, "just below the network"),
            (6, "192.168.100.7", 52, BROWSER, True, "rule 1: 52 is not DNS"),
            (17, "192.168.100.7", 54, BROWSER, True, "rule 1: 54 is not DNS"),
        ],
    )


def check_telnet_is_tcp_only(m: ModuleType) -> None:
    """rule 2 blocks TCP port 23 only"""
    pub.verdicts(
        m,
        [
            (17, "203.0.113.5", 23, BROWSER, False, "UDP port 23 is not telnet"),
            (6, "198.51.100.9", 23, LEGACY, True, "rule 2"),
            (6, "203.0.113.5", 24, BROWSER, False, "port 24 is not telnet"),
        ],
    )


def check_legacy_boundaries(m: ModuleType) -> None:
    """rule 3: 8000 and 8999 included, 7999 and 9000 not; any case of the path"""
    pub.verdicts(
        m,
        [
            (6, "203.0.113.5", 8000, LEGACY, False, "rule 3 allows 8000"),
            (6, "203.0.113.5", 8999, LEGACY, False, "rule 3 allows 8999"),
            (6, "203.0.113.5", 7999, LEGACY, True, "rule 3"),
            (17, "203.0.113.5", 9000, LEGACY, True, "rule 3"),
            (6, "203.0.113.5", 1, LEGACY, True, "rule 3"),
            (6, "203.0.113.5", 65535, LEGACY, True, "rule 3"),
            (6, "203.0.113.5", 443, r"C:\LAB\LEGACY.EXE", True, "rule 3: app ids ignore case"),
            (6, "203.0.113.5", 443, r"C:\Lab\other.exe", False, "rule 3 is about legacy.exe"),
        ],
    )


def check_rules_combine(m: ModuleType) -> None:
    """a connection one rule blocks stays blocked"""
    pub.verdicts(
        m,
        [
            (17, "192.168.100.1", 53, LEGACY, True, "rule 3 blocks legacy.exe's DNS"),
            (6, "192.168.100.1", 8080, LEGACY, True, "rule 1 blocks the network"),
        ],
    )


def check_real_traffic(m: ModuleType) -> None:
    """through the stack: DNS passes, ping and HTTPS to the network do not"""
    engine = pub.build(m)
    stack = Stack(engine)
    dns = stack.run("udp", "outbound", "10.0.0.5:0", "192.168.100.1:53", payload=["q"])
    expect(dns.verdict == "PERMIT", f"a DNS query to 192.168.100.1 ends {dns.verdict}.")
    ping = stack.run("icmp", "outbound", "10.0.0.5", "192.168.100.1")
    expect(
        ping.verdict == "BLOCK",
        f"a ping to 192.168.100.1 ends {ping.verdict}: rule 1 lets only DNS reach the network.",
    )
    web = stack.run("tcp", "outbound", "10.0.0.5:0", "192.168.100.9:443", app=BROWSER)
    expect(web.decided_at == "ALE_AUTH_CONNECT_V4", "HTTPS to 192.168.100.9 is not blocked.")
