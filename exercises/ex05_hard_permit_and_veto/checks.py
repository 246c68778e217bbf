"""Public checks of exercise 05: a hard permit, a compliance callout that vetoes it."""

from __future__ import annotations

from types import ModuleType

from wfpsim import Condition, Engine, Filter, Sublayer
from wfpsim.exercise import expect, expect_no_faults
from wfpsim.stack import Stack
from wfpsim.trace import Classification, Effect

LAYER = "ALE_AUTH_CONNECT_V4"
VPN_APP = r"C:\Program Files\VPN\vpn.exe"
BROWSER = r"C:\Apps\browser.exe"
LEGACY = r"C:\Tools\legacy-agent.exe"


def corporate_firewall(engine: Engine) -> None:
    """The checks' own copy of the corporate firewall."""
    engine.add_sublayer(Sublayer("Corporate firewall", weight=0x8000))
    engine.add_filter(
        Filter(
            "block test net",
            LAYER,
            "BLOCK",
            [Condition("IP_REMOTE_ADDRESS", "EQUAL", "198.51.100.0/24")],
            sublayer="Corporate firewall",
        )
    )


def reference_vpn_permit(engine: Engine) -> None:
    """A hard VPN permit of the checks' own, so that part 2 is checked on its own."""
    engine.add_sublayer(Sublayer("VPN client", weight=0xF000))
    engine.add_filter(
        Filter(
            "reference vpn permit",
            LAYER,
            "PERMIT",
            [Condition("IP_REMOTE_ADDRESS", "EQUAL", "198.51.100.10")],
            sublayer="VPN client",
            flags=["CLEAR_ACTION_RIGHT"],
        )
    )


def build(m: ModuleType, part: int) -> Engine:
    """The firewall, then part 1 (the student's VPN permit) or part 2 (the student's compliance
    callout below the checks' own hard permit)."""
    engine = Engine()
    corporate_firewall(engine)
    if part == 1:
        m.add_vpn_permit(engine)
    else:
        reference_vpn_permit(engine)
        m.add_compliance(engine)
    return engine


def connect(
    engine: Engine, remote: str, app: str, kind: str = "tcp", auditing: bool = False
) -> tuple[str, Classification]:
    """A connection through the stack: its verdict and the ALE_AUTH_CONNECT_V4 trace."""
    local = "10.0.0.5:0" if kind != "icmp" else "10.0.0.5"
    journey = Stack(engine, auditing=auditing).run(kind, "outbound", local, remote, app=app)
    expect_no_faults(journey)
    step = next(s for s in journey.steps if s.layer == LAYER)
    return journey.verdict, step.classification


def check_vpn_permit_is_hard(m: ModuleType) -> None:
    """the VPN client reaches its server despite the firewall"""
    verdict, c = connect(build(m, 1), "198.51.100.10:443", VPN_APP)
    mine = [st for sub, st in c.steps() if sub.name == "VPN client" and st.matched]
    expect(mine, "none of your filters in 'VPN client' matches TCP to 198.51.100.10:443.")
    expect(
        verdict == "PERMIT",
        f"your permit {mine[0].name!r} matched, but {c.filter_name!r} in a lower sublayer "
        "overrode it.",
    )


def check_firewall_still_blocks(m: ModuleType) -> None:
    """the rest of 198.51.100.0/24 is still the firewall's to block"""
    engine = build(m, 1)
    for remote in ("198.51.100.77:443", "198.51.100.10:80"):
        verdict, c = connect(engine, remote, BROWSER)
        expect(
            verdict == "BLOCK" and c.filter_name == "block test net",
            f"TCP to {remote} must stay blocked by the firewall; it ends {verdict}"
            + (f" by {c.filter_name!r}." if c.filter_name else "."),
        )


def compliance_step(c: Classification) -> Effect | None:
    """What the compliance filter did in a classification (None if it did not run)."""
    steps = [st for sub, st in c.steps() if sub.name == "Compliance"]
    return steps[0].effect if steps else None


def compliance_says(c: Classification) -> str:
    """The compliance filter's effect in words, with the engine's note on the callout's answer."""
    steps = [st for sub, st in c.steps() if sub.name == "Compliance"]
    if not steps:
        return "the compliance sublayer has no filter at this layer"
    st = steps[0]
    note = st.note or (st.callout.note if st.callout else "")
    return f"{st.effect.value}" + (f" ({note})" if note else "")


def check_quarantined_app_blocked(m: ModuleType) -> None:
    """a quarantined application is blocked, and the block is hard"""
    verdict, c = connect(build(m, 2), "203.0.113.5:443", LEGACY)
    expect(
        verdict == "BLOCK",
        f"legacy-agent.exe reaches 203.0.113.5:443 ({c.action.name}); your compliance "
        f"filter: {compliance_says(c)}.",
    )
    expect(c.decision.hard, "your callout blocks, but softly: a lower sublayer could undo it.")


def check_veto(m: ModuleType) -> None:
    """a quarantined application is blocked even after the VPN's hard permit"""
    verdict, c = connect(build(m, 2), "198.51.100.10:443", LEGACY)
    expect(
        verdict == "BLOCK",
        "legacy-agent.exe reaches the VPN server: after a hard permit your callout has no write "
        "right. What does it do then?",
    )
    expect(c.veto, "the connection is blocked, but not by a veto of the hard permit.")


def check_healthy_apps_pass(m: ModuleType) -> None:
    """other applications pass, and the callout answers CONTINUE for them"""
    engine = build(m, 2)
    for remote, app in (("203.0.113.5:443", BROWSER), ("198.51.100.10:443", VPN_APP)):
        verdict, c = connect(engine, remote, app)
        expect(
            verdict == "PERMIT",
            f"{app} to {remote} ends {verdict}, yet it is not quarantined; your compliance "
            f"filter: {compliance_says(c)}.",
        )
        effect = compliance_step(c)
        expect(
            effect == Effect.CONTINUE,
            f"for {app} your compliance filter should continue, but: {compliance_says(c)}.",
        )


def check_static_block_question(m: ModuleType) -> None:
    """STATIC_BLOCK_CAN_VETO"""
    expect(isinstance(m.STATIC_BLOCK_CAN_VETO, bool), "STATIC_BLOCK_CAN_VETO must be a bool.")
    engine = Engine()
    corporate_firewall(engine)
    reference_vpn_permit(engine)
    engine.add_sublayer(Sublayer("static compliance", weight=0x1000))
    engine.add_filter(Filter("static block", LAYER, "BLOCK", sublayer="static compliance"))
    _, c = connect(engine, "198.51.100.10:443", LEGACY)
    expect(
        c.veto == m.STATIC_BLOCK_CAN_VETO,
        "not so: try it — add a static BLOCK in a low sublayer below your hard permit.",
    )
