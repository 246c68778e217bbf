"""Public checks of exercise 03: the backup gets through, nothing else changes."""

from __future__ import annotations

from types import ModuleType

from wfpsim import Condition, Engine, Filter, Sublayer
from wfpsim.exercise import expect
from wfpsim.stack import Stack
from wfpsim.trace import Classification, Effect

LAYER = "ALE_AUTH_CONNECT_V4"
FIREWALL = "Corporate firewall"
BACKUP_APP = r"C:\Program Files\Backup\agent.exe"
OTHER_APP = r"C:\Windows\explorer.exe"


def corporate_firewall(engine: Engine) -> None:
    """The checks' own copy of the firewall (the student's copy is not trusted)."""
    engine.add_sublayer(Sublayer(FIREWALL, weight=0x8000))
    engine.add_filter(
        Filter(
            "no SMB out",
            LAYER,
            "BLOCK",
            [Condition("IP_REMOTE_PORT", "EQUAL", 445)],
            sublayer=FIREWALL,
        )
    )


def build(m: ModuleType) -> Engine:
    """The firewall, then the student's product."""
    engine = Engine()
    corporate_firewall(engine)
    m.add_backup_rules(engine)
    return engine


def connect(engine: Engine, remote: str, app: str) -> tuple[str, Classification]:
    """A TCP connection through the stack: its verdict and the ALE_AUTH_CONNECT_V4 trace."""
    journey = Stack(engine).run("tcp", "outbound", "10.0.0.5:0", remote, app=app)
    step = next(s for s in journey.steps if s.layer == LAYER)
    return journey.verdict, step.classification


def diagnose(c: Classification, sublayer: str) -> str:
    """Why the student's filters did not carry the connection (from the trace)."""
    mine = [st for sub, st in c.steps() if sub.name == sublayer]
    if not mine:
        return f"no filter of yours in {sublayer!r} is at {LAYER}."
    decided = [st for st in mine if st.effect == Effect.DECIDED]
    if not decided:
        failed = [f"{st.name!r} ({st.failed_condition})" for st in mine if st.failed_condition]
        return "none of your filters matches it" + (
            ": the condition that failed: " + ", ".join(failed) + "." if failed else "."
        )
    return (
        f"your filter {decided[0].name!r} permitted it, but {c.filter_name!r} in a lower "
        "sublayer overrode the decision."
    )


def require_the_fix(m: ModuleType, engine: Engine) -> None:
    """Fail unless the backup connection passes: a check of what must *not* change counts only
    once something has changed (the untouched file changes nothing and earns nothing)."""
    verdict, _ = connect(engine, "10.20.0.50:445", BACKUP_APP)
    expect(
        verdict == "PERMIT",
        "this check counts once the backup agent reaches 10.20.0.50:445 (it is still blocked).",
    )


def check_structure(m: ModuleType) -> None:
    """your filters stay in your own sublayer"""
    engine = build(m)
    require_the_fix(m, engine)
    firewall = engine.filters(sublayer=FIREWALL)
    expect(
        [f.name for f in firewall] == ["no SMB out"],
        "the corporate firewall's sublayer must hold exactly its own filter 'no SMB out'.",
    )
    expect(m.SUBLAYER in {s.name for s in engine.sublayers()}, f"no sublayer {m.SUBLAYER!r}.")
    for f in engine.filters(LAYER):
        expect(
            f.name == "no SMB out" or f.sublayer == engine.sublayer(m.SUBLAYER).key,
            f"filter {f.name!r} is not in your sublayer {m.SUBLAYER!r}.",
        )


def check_backup_reaches_its_server(m: ModuleType) -> None:
    """the backup agent reaches 10.20.0.50:445"""
    engine = build(m)
    verdict, c = connect(engine, "10.20.0.50:445", BACKUP_APP)
    expect(verdict == "PERMIT", f"the backup connection is blocked: {diagnose(c, m.SUBLAYER)}")


def check_other_smb_still_blocked(m: ModuleType) -> None:
    """other SMB connections are still blocked by the firewall"""
    engine = build(m)
    require_the_fix(m, engine)
    for remote, app, who in [
        ("10.20.0.51:445", BACKUP_APP, "the backup agent to another server"),
        ("10.20.0.50:445", OTHER_APP, "another application to the backup server"),
    ]:
        verdict, c = connect(engine, remote, app)
        expect(
            verdict == "BLOCK" and c.filter_name == "no SMB out",
            f"SMB from {who} ({remote}) must still be blocked by 'no SMB out'; it ends "
            f"{verdict}" + (f" by {c.filter_name!r}." if c.filter_name else "."),
        )
