"""Hidden checks of exercise 03: narrow permit, other ports, a later block, the trace."""

from __future__ import annotations

from types import ModuleType

from wfpsim.exercise import expect, public_checks
from wfpsim.trace import Effect

pub = public_checks(__file__)


def check_permit_is_narrow(m: ModuleType) -> None:
    """only SMB to the backup server is opened"""
    engine = pub.build(m)
    pub.require_the_fix(m, engine)
    for remote in ("10.20.0.50:80", "10.20.0.50:139"):
        verdict, _ = pub.connect(engine, remote, pub.BACKUP_APP)
        expect(verdict == "PERMIT", f"{remote} should pass as before, not end {verdict}.")
    verdict, _ = pub.connect(engine, "10.20.0.5:445", pub.BACKUP_APP)
    expect(verdict == "BLOCK", "SMB to 10.20.0.5 (not the backup server) must stay blocked.")


def check_firewall_is_overruled_not_skipped(m: ModuleType) -> None:
    """the firewall still runs and would block: the permit wins by being hard"""
    engine = pub.build(m)
    _, c = pub.connect(engine, "10.20.0.50:445", pub.BACKUP_APP)
    steps = [st for sub, st in c.steps() if sub.name == pub.FIREWALL]
    expect(
        steps and steps[0].effect == Effect.IGNORED,
        "the firewall's 'no SMB out' should match and be unable to change the result.",
    )
    expect(c.decision.hard, "the final decision should be a hard permit.")


def check_case_of_the_path(m: ModuleType) -> None:
    """the application path matches in any case"""
    engine = pub.build(m)
    verdict, _ = pub.connect(engine, "10.20.0.50:445", pub.BACKUP_APP.upper())
    expect(verdict == "PERMIT", "the backup agent, its path in capitals, is blocked.")
