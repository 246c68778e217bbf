"""Hidden checks of exercise 07: UDP RDP, every protocol of the updater, inbound SMB."""

from __future__ import annotations

from types import ModuleType

from wfpsim.exercise import expect, public_checks

pub = public_checks(__file__)


def check_rdp_over_udp(m: ModuleType) -> None:
    """inbound RDP over UDP is refused too"""
    engine = pub.build(m)
    j = pub.journey(engine, "udp", "inbound", f"{pub.HOST}:3389", f"{pub.PEER}:51000")
    pub.expect_blocked(engine, j, "no inbound RDP", "an inbound UDP exchange to port 3389")


def check_updater_every_protocol(m: ModuleType) -> None:
    """the updater cannot use UDP or ping either"""
    engine = pub.build(m)
    for kind, local, remote in [
        ("udp", f"{pub.HOST}:0", "8.8.8.8:53"),
        ("icmp", pub.HOST, "8.8.8.8"),
    ]:
        j = pub.journey(engine, kind, "outbound", local, remote, app=pub.UPDATER)
        pub.expect_blocked(
            engine, j, "updater offline", f"updater.exe's {kind.upper()} to {remote}"
        )


def check_inbound_smb_unaffected(m: ModuleType) -> None:
    """this machine still serves SMB, and other ports still connect out"""
    engine = pub.build(m)
    j = pub.journey(engine, "tcp", "inbound", f"{pub.HOST}:445", "198.51.100.20:50000")
    expect(j.verdict == "PERMIT", f"an inbound SMB connection ends {j.verdict}.")
    j = pub.journey(engine, "tcp", "outbound", f"{pub.HOST}:0", "198.51.100.20:443")
    expect(j.verdict == "PERMIT", f"an outbound HTTPS connection ends {j.verdict}.")
