"""Unknown driver code is unknown: verdicts that depend on what a callout answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from wfpsim import Callout, Engine, Filter, Sublayer
from wfpsim.analysis.flows import explain_flow
from wfpsim.analysis.whatif import explore
from wfpsim.errors import InvalidParameterError
from wfpsim.runner import build, find
from wfpsim.scenario import load
from wfpsim.unknown import UnknownCallout

DUMPS = Path(__file__).resolve().parents[2] / "shared" / "data" / "wfp-dumps"
AT = "ALE_AUTH_CONNECT_V4"


def _engine(action: str = "CALLOUT_TERMINATING", hard_permit_above: bool = False) -> Engine:
    engine = Engine()
    engine.add_sublayer(Sublayer("vpn", weight=0xF000))
    engine.add_sublayer(Sublayer("edr", weight=0x100))
    edr = engine.add_callout(Callout("edr connect", AT))
    engine.register_callout(edr.key, UnknownCallout(edr.key, "edr connect", AT))
    engine.add_filter(Filter("edr watch", AT, action, callout="edr connect", sublayer="edr"))
    if hard_permit_above:
        engine.add_filter(
            Filter("tunnel", AT, "PERMIT", [], sublayer="vpn", flags="CLEAR_ACTION_RIGHT")
        )
    return engine


def _classify(engine: Engine) -> str:
    return engine.classify(AT, {"IP_REMOTE_PORT": 443}).action.name


def test_a_terminating_unknown_callout_makes_the_verdict_depend_on_it() -> None:
    """PERMIT if it permits, BLOCK if it blocks (or returns CONTINUE, which the engine reads
    as BLOCK for a terminating callout)."""
    result = explore(lambda: _classify(_engine()), lambda v: v)
    assert result.verdict == "DEPENDS"
    assert result.possible() == [
        {"verdict": "PERMIT", "if": [{"callout": f"edr connect ({AT})", "returns": "PERMIT"}]},
        {"verdict": "BLOCK", "if": [{"callout": f"edr connect ({AT})", "returns": "BLOCK"}]},
        {"verdict": "BLOCK", "if": [{"callout": f"edr connect ({AT})", "returns": "CONTINUE"}]},
    ]
    assert "DEPENDS" in result.text() and "PERMIT in 1 of 3" in result.text()


def test_assumed_answers_give_one_verdict() -> None:
    """--callouts permit / block: one run, the answer assumed for every unknown callout."""
    engine = _engine()
    assert explore(lambda: _classify(engine), lambda v: v, mode="permit").verdict == "PERMIT"
    assert explore(lambda: _classify(engine), lambda v: v, mode="block").verdict == "BLOCK"
    with pytest.raises(InvalidParameterError, match="valid: unknown, permit, block"):
        explore(lambda: _classify(engine), lambda v: v, mode="maybe")


def test_an_inspection_callout_never_branches() -> None:
    """An inspection callout can only CONTINUE: nothing depends on it."""
    result = explore(lambda: _classify(_engine("CALLOUT_INSPECTION")), lambda v: v)
    assert [b.verdict for b in result.branches] == ["NONE"]
    assert result.verdict == "NONE"


def test_a_callout_without_the_write_right_is_not_asked() -> None:
    """Below a hard permit the unknown callout has no right to write: one verdict, PERMIT."""
    result = explore(lambda: _classify(_engine(hard_permit_above=True)), lambda v: v)
    assert result.verdict == "PERMIT"
    assert result.first.answers == ()


def test_a_plain_classification_gets_the_benign_answer() -> None:
    """Without an assumption in force an unknown terminating callout permits (our choice)."""
    assert _classify(_engine()) == "PERMIT"


def test_explain_flow_names_the_deciding_filter() -> None:
    """A blocked flow: decided at ALE_AUTH_CONNECT by 'block 8080'; a permitted one by the
    authorizing permit."""
    engine = build(load(find("rules-that-never-apply")))
    blocked = explain_flow(engine, "tcp", "outbound", "10.0.0.5:0", "198.51.100.7:8080").to_json()
    assert (blocked["verdict"], blocked["decided_at"], blocked["decided_by"]) == (
        "BLOCK",
        "ALE_AUTH_CONNECT_V4",
        "block 8080",
    )
    assert blocked["filter_id"] == engine.filter("block 8080").filter_id
    assert {"layer", "action", "filter", "filter_id", "sublayer"} <= set(blocked["layers"][0])
    permitted = explain_flow(engine, "tcp", "outbound", "10.0.0.5:0", "203.0.113.5:9000")
    assert permitted.to_json()["decided_by"] == "hard permit admin network"
    text = permitted.text()
    assert "PERMIT by 'hard permit admin network'" in text
    assert "IP_REMOTE_PORT == 80 (value 9000)" in text


@pytest.mark.skipif(not DUMPS.is_dir(), reason="the shared dumps are not beside the checkout")
def test_a_real_machine_with_third_party_callouts_depends_on_them() -> None:
    """Third-party callouts on a real dump: DEPENDS by default, PERMIT when they permit."""
    from wfpsim.netsh import load_netsh

    engine, _report = load_netsh(DUMPS / "python_pi_burner_wfpstate.xml")
    for c in engine.callouts():
        if engine.is_registered(c.key):
            engine.unregister_callout(c.key)
            engine.register_callout(c.key, UnknownCallout(c.key, c.name, c.layer.short_name))
    flow = ("udp", "outbound", "10.0.0.5:0", "198.51.100.7:53")
    assert explain_flow(engine, *flow).verdict == "DEPENDS"
    assert explain_flow(engine, *flow, callouts="permit").verdict == "PERMIT"
