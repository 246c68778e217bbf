"""Hidden checks of exercise 05: every quarantined path, exact paths, UDP, counters, audit."""

from __future__ import annotations

from types import ModuleType

from wfpsim.exercise import expect, public_checks

pub = public_checks(__file__)


def check_every_quarantined_path(m: ModuleType) -> None:
    """both quarantined applications, in any case of the path, over TCP and UDP"""
    engine = pub.build(m, 2)
    for remote, app, kind in [
        ("203.0.113.5:443", r"C:\USERS\PUBLIC\UNPATCHED.EXE", "tcp"),
        ("8.8.8.8:53", r"c:\tools\legacy-agent.exe", "udp"),
        ("198.51.100.10:443", r"C:\Users\Public\unpatched.exe", "tcp"),
    ]:
        verdict, _ = pub.connect(engine, remote, app, kind)
        expect(verdict == "BLOCK", f"{kind.upper()} from {app} to {remote} ends {verdict}.")


def check_exact_paths_only(m: ModuleType) -> None:
    """an application with the same file name elsewhere is not quarantined"""
    engine = pub.build(m, 2)
    verdict, _ = pub.connect(engine, "203.0.113.5:443", r"C:\Other\legacy-agent.exe")
    expect(verdict == "PERMIT", "C:\\Other\\legacy-agent.exe is not in QUARANTINED but is blocked.")


def check_vpn_permit_is_narrow(m: ModuleType) -> None:
    """the hard permit is TCP port 443 to the VPN server only"""
    engine = pub.build(m, 1)
    verdict, _ = pub.connect(engine, "198.51.100.10:443", pub.BROWSER, kind="udp")
    expect(verdict == "BLOCK", "UDP to 198.51.100.10:443 passes: the permit is for TCP only.")
    verdict, _ = pub.connect(engine, "198.51.100.11:443", pub.VPN_APP)
    expect(verdict == "BLOCK", "TCP to 198.51.100.11:443 passes: the VPN server is .10.")


def check_veto_is_counted_and_audited(m: ModuleType) -> None:
    """the veto is counted (classifyVetoCount) and audited (event 5153)"""
    engine = pub.build(m, 2)
    _, c = pub.connect(engine, "198.51.100.10:443", pub.LEGACY, auditing=True)
    expect(engine.statistics(pub.LAYER).classify_veto_count == 1, "no veto was counted.")
    expect(c.veto, "the connection was not vetoed.")
