"""Public checks of exercise 07: each filter does its job at the layer where it is asked."""

from __future__ import annotations

from types import ModuleType

from wfpsim import Engine
from wfpsim.exercise import expect, expect_no_faults
from wfpsim.stack import Journey, Stack

HOST = "10.0.0.5"
PEER = "203.0.113.9"
UPDATER = r"C:\Program Files\Updater\updater.exe"
BROWSER = r"C:\Apps\browser.exe"


def build(m: ModuleType) -> Engine:
    """A fresh engine with the student's policy."""
    engine = Engine()
    m.add_policy(engine)
    return engine


def journey(
    engine: Engine, kind: str, direction: str, local: str, remote: str, app: str = BROWSER
) -> Journey:
    """One connection through the stack."""
    j = Stack(engine).run(kind, direction, local, remote, app=app)
    expect_no_faults(j)
    return j


def not_asked(engine: Engine, j: Journey, name: str) -> str:
    """Feedback when the filter meant to block a connection was never asked."""
    flt = next((f for f in engine.filters() if f.name == name), None)
    if flt is None:
        return f"there is no filter named {name!r} any more."
    where = flt.layer.short_name
    if where not in j.layers:
        return (
            f"{name!r} is at {where}, which this connection never crosses "
            "(journey_table shows the layers it does cross)."
        )
    return f"{name!r} at {where} is asked, but does not match this connection."


def expect_blocked(engine: Engine, j: Journey, name: str, what: str) -> None:
    """The journey must end BLOCK at an ALE authorization layer, by the named filter."""
    expect(j.verdict == "BLOCK", f"{what} ends {j.verdict}: {not_asked(engine, j, name)}")
    expect(
        j.decided_by == name,
        f"{what} is blocked by {j.decided_by!r}, not by {name!r}.",
    )


def check_policy_loads(m: ModuleType) -> None:
    """BFE accepts every filter"""
    engine = build(m)
    names = {f.name for f in engine.filters()}
    for name in ("no inbound RDP", "updater offline", "no SMB out"):
        expect(name in names, f"the policy has no filter named {name!r}.")


def check_no_inbound_rdp(m: ModuleType) -> None:
    """inbound RDP is refused when the connection is authorized; outbound RDP is not"""
    engine = build(m)
    j = journey(engine, "tcp", "inbound", f"{HOST}:3389", f"{PEER}:51000")
    expect_blocked(engine, j, "no inbound RDP", "an inbound TCP connection to port 3389")
    expect(
        j.decided_at is not None and j.decided_at.startswith("ALE_AUTH_"),
        f"inbound RDP is blocked at {j.decided_at}, a packet layer: a connection is authorized "
        "once, at an ALE layer.",
    )
    out = journey(engine, "tcp", "outbound", f"{HOST}:0", f"{PEER}:3389")
    expect(out.verdict == "PERMIT", f"an outbound connection to {PEER}:3389 ends {out.verdict}.")


def check_updater_offline(m: ModuleType) -> None:
    """the updater cannot connect; other applications can"""
    engine = build(m)
    j = journey(engine, "tcp", "outbound", f"{HOST}:0", "198.51.100.50:443", app=UPDATER)
    expect_blocked(engine, j, "updater offline", "updater.exe's HTTPS connection")
    ok = journey(engine, "tcp", "outbound", f"{HOST}:0", "198.51.100.50:443")
    expect(ok.verdict == "PERMIT", f"browser.exe's HTTPS connection ends {ok.verdict}.")


def check_no_smb_out(m: ModuleType) -> None:
    """outbound SMB fails in connect(), before any packet exists"""
    engine = build(m)
    j = journey(engine, "tcp", "outbound", f"{HOST}:0", "198.51.100.20:445")
    expect_blocked(engine, j, "no SMB out", "an outbound SMB connection")
    packets = [s.layer for s in j.steps if s.packet is not None]
    expect(
        not packets,
        f"the SMB connection is blocked at {j.decided_at}, but only after a packet was built "
        f"(it crossed {packets[0] if packets else ''}).",
    )
