"""Claims the tutorials make in prose, checked against the engine (so the prose cannot drift)."""

from __future__ import annotations

from wfpsim import Callout, Engine, Filter


def unregistered(flags: list[str]) -> Engine:
    engine = Engine()
    engine.add_callout(Callout("guard", "ALE_AUTH_CONNECT_V4"))
    engine.add_filter(
        Filter("g", "ALE_AUTH_CONNECT_V4", "CALLOUT_TERMINATING", callout="guard", flags=flags)
    )
    return engine


def test_unregistered_callout_filters_follow_the_static_rules() -> None:
    """05: BLOCK is hard; PERMIT_IF_CALLOUT_UNREGISTERED is soft, hard with CLEAR_ACTION_RIGHT."""
    block = unregistered([]).classify("ALE_AUTH_CONNECT_V4")
    assert block.action.name == "BLOCK" and block.decision.hard
    permit = unregistered(["PERMIT_IF_CALLOUT_UNREGISTERED"]).classify("ALE_AUTH_CONNECT_V4")
    assert permit.action.name == "PERMIT" and not permit.decision.hard
    assert "soft" in permit.explain() and "permit soft" in permit.explain()
    hard = unregistered(["PERMIT_IF_CALLOUT_UNREGISTERED", "CLEAR_ACTION_RIGHT"])
    assert hard.classify("ALE_AUTH_CONNECT_V4").decision.hard
