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


DEFENDER = """<?xml version="1.0" encoding="UTF-8"?>
<wfpstate><providers/><subLayers/>
<layers numItems="1"><item>
 <layer><layerKey>FWPM_LAYER_DATAGRAM_DATA_V4</layerKey></layer>
 <callouts numItems="1"><item>
  <calloutKey>{9d5e5b0e-6a3c-4a6e-a9f1-6e3b3c0d7a01}</calloutKey>
  <displayData><name>windefend_datagram_v4</name><description/></displayData>
  <flags numItems="1"><item>FWPM_CALLOUT_FLAG_REGISTERED</item></flags>
  <providerKey/><applicableLayer>FWPM_LAYER_DATAGRAM_DATA_V4</applicableLayer>
  <calloutId>301</calloutId></item></callouts>
 <filters numItems="1"><item>
  <filterKey>{9d5e5b0e-6a3c-4a6e-a9f1-6e3b3c0d7a02}</filterKey>
  <displayData><name>windefend_datagram_v4</name><description/></displayData>
  <flags/><providerKey/><layerKey>FWPM_LAYER_DATAGRAM_DATA_V4</layerKey>
  <subLayerKey>FWPM_SUBLAYER_UNIVERSAL</subLayerKey>
  <weight><type>FWP_EMPTY</type></weight><filterCondition/>
  <action><type>FWP_ACTION_CALLOUT_TERMINATING</type>
   <filterType>{9d5e5b0e-6a3c-4a6e-a9f1-6e3b3c0d7a01}</filterType></action>
  <filterId>70001</filterId>
  <effectiveWeight><type>FWP_UINT64</type><uint64>0</uint64></effectiveWeight>
 </item></filters>
</item></layers></wfpstate>
"""


def test_defender_style_callouts_make_udp_depend_on_them(tmp_path: Path) -> None:
    """A dump whose registered third-party callout sits at DATAGRAM_DATA (as Defender's do):
    UDP is DEPENDS by default and PERMIT with --callouts permit — never blocked by invention."""
    from wfpsim.netsh import load_netsh

    dump = tmp_path / "defender.xml"
    dump.write_text(DEFENDER)
    engine, report = load_netsh(dump)
    assert report.to_json()["callouts"] == {"in_file": 1, "imported": 1}
    flow = ("udp", "outbound", "10.0.0.5:0", "198.51.100.7:53")
    depends = explain_flow(engine, *flow)
    assert depends.verdict == "DEPENDS"
    assert {p["verdict"] for p in depends.whatif.possible()} == {"PERMIT", "BLOCK"}
    assert explain_flow(engine, *flow, callouts="permit").verdict == "PERMIT"
    assert explain_flow(engine, *flow, callouts="block").verdict == "BLOCK"


def test_an_unregistered_dump_callout_stays_unregistered(tmp_path: Path) -> None:
    """Without FWPM_CALLOUT_FLAG_REGISTERED the callout is not registered: its terminating
    filter acts as a BLOCK filter, as Windows documents."""
    from wfpsim.netsh import load_netsh

    dump = tmp_path / "unregistered.xml"
    dump.write_text(DEFENDER.replace("<item>FWPM_CALLOUT_FLAG_REGISTERED</item>", ""))
    engine, _report = load_netsh(dump)
    assert not engine.is_registered(engine.callouts()[0].key)
    flow = ("udp", "outbound", "10.0.0.5:0", "198.51.100.7:53")
    assert explain_flow(engine, *flow).verdict == "BLOCK"


@pytest.mark.skipif(not DUMPS.is_dir(), reason="the shared dumps are not beside the checkout")
def test_a_real_machine_with_third_party_callouts_depends_on_them() -> None:
    """Third-party callouts on a real dump: DEPENDS by default, PERMIT when they permit;
    Windows' own callouts get their documented models, not UnknownCallout."""
    from wfpsim.netsh import load_netsh
    from wfpsim.windows_callouts import CalloutModel

    engine, _report = load_netsh(DUMPS / "python_pi_burner_wfpstate.xml")
    silent = next(c for c in engine.callouts() if c.name.startswith("WFP Built-in Silent Drop"))
    assert isinstance(engine.registration(silent.key).classify, CalloutModel)
    flow = ("udp", "outbound", "10.0.0.5:0", "198.51.100.7:53")
    assert explain_flow(engine, *flow).verdict == "DEPENDS"
    assert explain_flow(engine, *flow, callouts="permit").verdict == "PERMIT"


def test_a_callout_registered_without_a_classify_function_is_a_fault() -> None:
    """register_callout(key, None) is allowed (a notify-only registration), but traffic that
    reaches its filter is a fault of that callout: blocked, said in the trace, no traceback."""
    engine = Engine()
    engine.add_callout(Callout("w", AT))
    engine.register_callout("w", None)
    engine.add_filter(Filter("f", AT, "CALLOUT_TERMINATING", callout="w"))
    result = engine.classify(AT, {})
    assert result.action.name == "BLOCK"
    assert any("without a callable classifyFn" in f for f in result.faults)


# twins: combinations not run because they provably end like a run already made ---------------
def _two_unknowns() -> Engine:
    """Two CALLOUT_UNKNOWN callouts (connect and datagram data): PERMIT and CONTINUE both let a
    datagram on, BLOCK stops it — so most combinations end like another."""
    engine = Engine()
    for name, at in (("vpn connect", AT), ("av datagram", "DATAGRAM_DATA_V4")):
        c = engine.add_callout(Callout(name, at))
        engine.register_callout(c.key, UnknownCallout(c.key, name, at))
        engine.add_filter(Filter(name, at, "CALLOUT_UNKNOWN", callout=name))
    return engine


def _branches(result: object) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    return [(b.verdict, tuple((r.name, r.answer) for r in b.answers)) for b in result.branches]  # type: ignore[attr-defined]


def test_twins_give_exactly_the_branches_of_running_every_combination() -> None:
    """With the replay test, fewer journeys run, and the branches — answers and verdicts — are
    those of running every combination."""
    from wfpsim.analysis.replay import Replays
    from wfpsim.stack import Stack

    engine = _two_unknowns()
    flow = ("udp", "outbound", "10.0.0.5:0", "198.51.100.7:53")
    runs: list[int] = []

    def run() -> object:
        runs.append(1)
        return Stack(engine).run(*flow)

    full = explore(run, lambda j: str(j.verdict))  # type: ignore[attr-defined]
    every = len(runs)
    runs.clear()
    fast = explore(run, lambda j: str(j.verdict), same=Replays(engine).same)  # type: ignore[attr-defined]
    assert _branches(fast) == _branches(full) and fast.verdict == full.verdict == "DEPENDS"
    assert len(runs) < every == len(full.branches)
    assert sum(not b.twin for b in fast.branches) == len(runs)


def test_the_player_shows_each_answer_even_for_twins() -> None:
    """A twin shares another run's journey, yet the step lists what its own answer does there:
    CONTINUE leaves no decision where PERMIT permits — both let the datagram on (no DEPENDS)."""
    engine = _two_unknowns()
    j = explain_flow(engine, "udp", "outbound", "10.0.0.5:0", "198.51.100.7:53").journey
    step = j.at("DATAGRAM_DATA_V4")
    got = {answers[0][1]: (action, verdict) for answers, action, verdict in
           ((a.answers, a.action, a.verdict) for a in step.depends)}  # fmt: skip
    assert got == {
        "PERMIT": ("PERMIT", "PERMIT"),
        "BLOCK": ("BLOCK", "BLOCK"),
        "CONTINUE": ("NONE", "PERMIT"),
    }
    assert step.result == "DEPENDS"
    connect = j.at(AT)
    assert {a.action for a in connect.depends} == {"PERMIT", "BLOCK", "NONE"}


@pytest.mark.skipif(not DUMPS.is_dir(), reason="the shared dumps are not beside the checkout")
def test_twins_match_every_combination_on_a_real_machine() -> None:
    """On the dump with the most third-party callouts, explain_flow's branches equal those of
    running every combination, with far fewer journeys."""
    from wfpsim.netsh import load_netsh
    from wfpsim.stack import Stack

    engine, _report = load_netsh(DUMPS / "astralwfp_filters.xml")
    flow = ("udp", "outbound", "10.0.0.5:0", "198.51.100.7:53")
    full = explore(lambda: Stack(engine).run(*flow), lambda j: str(j.verdict))
    fast = explain_flow(engine, *flow).whatif
    assert _branches(fast) == _branches(full)
    assert sum(not b.twin for b in fast.branches) < len(full.branches) / 2
