"""The analyst's questions: which filters never take effect (lint), what changed (diff)."""

from __future__ import annotations

import itertools
import uuid
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wfpsim import Condition, Engine, Filter, Sublayer
from wfpsim.analysis.coverage import Coverage, covers, may_overlap
from wfpsim.analysis.diff import diff
from wfpsim.analysis.lint import lint
from wfpsim.catalog import layer
from wfpsim.conditions import filter_matches, resolve
from wfpsim.runner import build, find
from wfpsim.scenario import load
from wfpsim.values import DataType, Value

DUMPS = Path(__file__).resolve().parents[2] / "shared" / "data" / "wfp-dumps"
AT = layer("ALE_AUTH_CONNECT_V4")


def test_lint_reports_exactly_the_planted_mistakes() -> None:
    """The built-in 'rules-that-never-apply' scenario: each planted mistake, nothing else."""
    engine = build(load(find("rules-that-never-apply")))
    names = {f.filter_id: f.name for f in engine.filters()}
    got = {(f.kind, f.name, tuple(names[i] for i in f.by), f.certain) for f in lint(engine)}
    assert got == {
        ("shadowed", "block http", ("web ports",), True),
        ("redundant", "allow ssh", ("web ports",), True),
        ("overridden", "soft permit 8080", ("block 8080",), True),
        ("overridden", "block admin host", ("hard permit admin network",), True),
        ("redundant", "service B", ("service A",), False),
        ("unregistered-callout", "kids' games", (), True),
    }


def test_lint_json_has_the_documented_keys() -> None:
    """`wfpsim lint --json` rows: kind, filter_id, name, layer, sublayer, by, why."""
    engine = build(load(find("rules-that-never-apply")))
    row = lint(engine)[0].to_json()
    assert {"kind", "filter_id", "name", "layer", "sublayer", "by", "why"} <= set(row)
    assert row["layer"] == "ALE_AUTH_CONNECT_V4"


def test_a_partial_cover_is_no_finding() -> None:
    """A block of a /24 under a hard permit of one host in it still decides for the rest."""
    engine = build(load(find("hard-permit-and-veto")))
    assert [f for f in lint(engine) if f.kind != "unregistered-callout"] == []


def test_a_callout_above_makes_overriding_unknown() -> None:
    """A registered callout that may answer anything above a block: no 'overridden' claim."""
    engine = Engine()
    engine.add_sublayer(Sublayer("top", weight=0xF000))
    engine.add_sublayer(Sublayer("bottom", weight=0x10))
    engine.add_callout(__import__("wfpsim").Callout("ask", "ALE_AUTH_CONNECT_V4"))
    engine.register_callout("ask", lambda *args: None)
    engine.add_filter(
        Filter(
            "ask", "ALE_AUTH_CONNECT_V4", "CALLOUT_TERMINATING", [], sublayer="top", callout="ask"
        )
    )
    engine.add_filter(
        Filter(
            "allow",
            "ALE_AUTH_CONNECT_V4",
            "PERMIT",
            [Condition("IP_REMOTE_PORT", "EQUAL", 80)],
            sublayer="bottom",
        )
    )
    assert lint(engine) == []


# Coverage against the matching rules themselves (an oracle lint did not write) ----------------
PORT = st.integers(0, 70)
ADDR = st.integers(0, 255).map(lambda n: f"10.0.0.{n}")


def _port_condition() -> st.SearchStrategy[Condition]:
    ordered = st.sampled_from(
        ["EQUAL", "NOT_EQUAL", "GREATER", "LESS", "GREATER_OR_EQUAL", "LESS_OR_EQUAL"]
    )
    return st.one_of(
        st.builds(lambda m, v: Condition("IP_REMOTE_PORT", m, v), ordered, PORT),
        st.builds(
            lambda a, b: Condition("IP_REMOTE_PORT", "RANGE", (min(a, b), max(a, b))), PORT, PORT
        ),
    )


def _addr_condition() -> st.SearchStrategy[Condition]:
    return st.one_of(
        st.builds(lambda a: Condition("IP_REMOTE_ADDRESS", "EQUAL", a), ADDR),
        st.builds(
            lambda n, bits: Condition("IP_REMOTE_ADDRESS", "EQUAL", f"10.0.0.{n}/{bits}"),
            st.integers(0, 255),
            st.integers(24, 32),
        ),
        st.builds(
            lambda m, v: Condition("FLAGS", m, v),
            st.sampled_from(["FLAGS_ALL_SET", "FLAGS_ANY_SET", "FLAGS_NONE_SET"]),
            st.integers(1, 15),
        ),
    )


CONDITIONS = st.lists(st.one_of(_port_condition(), _addr_condition()), max_size=4).map(
    lambda cs: [resolve(AT, c) for c in cs]
)


def _probes(*groups: list[Condition]) -> list[dict[str, Value]]:
    """Incoming values at and around every boundary the conditions name."""
    ports = {0, 1, 65535}
    addrs = {0x0A000000, 0x0A0000FF, 0x0B000000}
    for group in groups:
        for cond in group:
            data = cond.typed.data
            if cond.field.endswith("PORT"):
                numbers = [data.low.data, data.high.data] if hasattr(data, "low") else [data]
                ports.update(n + d for n in numbers for d in (-1, 0, 1) if 0 <= n + d <= 65535)
            elif hasattr(data, "mask"):
                net = data.addr & data.mask
                addrs.update({net, net - 1, net | (~data.mask & 0xFFFFFFFF), net + 256})
            elif isinstance(data, int) and cond.field.endswith("ADDRESS"):
                addrs.update({data - 1, data, data + 1})
    used = {c.field for group in groups for c in group}
    axes: list[list[tuple[str, Value]]] = []
    if "FWPM_CONDITION_IP_REMOTE_PORT" in used:
        axes.append([("FWPM_CONDITION_IP_REMOTE_PORT", Value.u16(p)) for p in sorted(ports)])
    if "FWPM_CONDITION_IP_REMOTE_ADDRESS" in used:
        axes.append(
            [
                ("FWPM_CONDITION_IP_REMOTE_ADDRESS", Value(DataType.UINT32, a & 0xFFFFFFFF))
                for a in sorted(addrs)
            ]
        )
    if "FWPM_CONDITION_FLAGS" in used:
        axes.append([("FWPM_CONDITION_FLAGS", Value(DataType.UINT32, f)) for f in range(16)])
    return [dict(combo) for combo in itertools.product(*axes)]


@settings(max_examples=200, deadline=None)
@given(CONDITIONS, CONDITIONS)
def test_coverage_claims_hold_for_every_probe(
    general: list[Condition], specific: list[Condition]
) -> None:
    """covers() = YES: whatever `specific` matches, `general` matches; may_overlap() = False:
    nothing matches both — checked with filter_matches on boundary values."""
    answer = covers(general, specific)
    overlap = may_overlap(general, specific)
    for values in _probes(general, specific):
        hit_specific = filter_matches(specific, values).matched
        hit_general = filter_matches(general, values).matched
        if answer == Coverage.YES and hit_specific:
            assert hit_general, values
        if not overlap:
            assert not (hit_specific and hit_general), values


def test_identical_unknown_conditions_cover_each_other() -> None:
    """Two identical PREFIX conditions cover each other, though PREFIX sets are not computed."""
    cond = [resolve(AT, Condition("ALE_APP_ID", "PREFIX", "chrome.exe"))]
    assert covers(cond, cond) == Coverage.YES
    other = [resolve(AT, Condition("ALE_APP_ID", "PREFIX", "firefox.exe"))]
    assert covers(cond, other) == Coverage.POSSIBLY


# diff ------------------------------------------------------------------------------------------
def _engine(weight: int, conditions: list[Condition], key: uuid.UUID) -> Engine:
    engine = Engine()
    engine.add_filter(
        Filter("rule", "ALE_AUTH_CONNECT_V4", "BLOCK", conditions, weight=weight, key=key)
    )
    return engine


def test_diff_names_the_changed_fields_and_ignores_condition_order() -> None:
    """Same key: weight changes are named; conditions in another order are no change."""
    key = uuid.UUID(int=7)
    a = [Condition("IP_REMOTE_PORT", "EQUAL", 23), Condition("IP_PROTOCOL", "EQUAL", 6)]
    before = _engine(5, a, key)
    assert not diff(before, _engine(5, list(reversed(a)), key))
    change = diff(before, _engine(9, a, key)).filters.changed
    assert [(c.name, c.fields) for c in change] == [("rule", ("weight", "effective_weight"))]
    assert change[0].before["weight"] != change[0].after["weight"]


def test_diff_json_shape() -> None:
    """Per kind: added, removed, changed ({key, name, fields})."""
    before = _engine(5, [], uuid.UUID(int=1))
    after = _engine(5, [], uuid.UUID(int=2))
    after.add_sublayer(Sublayer("new", weight=3))
    out = diff(before, after).to_json()
    assert set(out) == {"providers", "sublayers", "callouts", "filters"}
    assert [f["key"] for f in out["filters"]["added"]] == [str(uuid.UUID(int=2))]  # type: ignore[index]
    assert [f["key"] for f in out["filters"]["removed"]] == [str(uuid.UUID(int=1))]  # type: ignore[index]
    assert [s["name"] for s in out["sublayers"]["added"]] == ["new"]  # type: ignore[index]


@pytest.mark.skipif(not DUMPS.is_dir(), reason="the shared dumps are not beside the checkout")
@pytest.mark.parametrize("name", ["fanyi_wfpstate.xml", "python_pi_burner_wfpstate.xml"])
def test_lint_and_diff_on_real_dumps(name: str) -> None:
    """On a real machine: findings name filters higher in the same sublayer; a dump equals itself."""
    from wfpsim.netsh import load_netsh

    loaded = load_netsh(DUMPS / name)
    engine = loaded[0] if isinstance(loaded, tuple) else getattr(loaded, "engine", loaded)
    findings = lint(engine)
    assert findings
    for finding in findings:
        if finding.kind in ("shadowed", "redundant"):
            mine, theirs = engine.filter(finding.filter_id), engine.filter(finding.by[0])
            assert mine.sublayer == theirs.sublayer
            assert theirs.effective_weight >= mine.effective_weight
    assert not diff(engine, engine)


# events ----------------------------------------------------------------------------------------
def _logged() -> tuple[Engine, str]:
    from wfpsim.stack import Stack
    from wfpsim.stack.events import to_netsh_xml

    engine = build(load(find("rules-that-never-apply")))
    stack = Stack(engine)
    stack.run("tcp", "outbound", "10.0.0.5:0", "198.51.100.7:8080")
    stack.run("tcp", "outbound", "10.0.0.5:0", "198.51.100.7:80")
    return engine, to_netsh_xml(stack.net_events)


def test_a_drop_event_is_explained_by_its_filter() -> None:
    """The simulated machine's own drop event names 'block 8080' at ALE_AUTH_CONNECT_V4."""
    from wfpsim.analysis.events import explain_events, read_netevents

    engine, xml = _logged()
    explained = explain_events(engine, read_netevents(xml))
    assert [(e.event.layer, e.filter.name if e.filter else None) for e in explained] == [
        ("ALE_AUTH_CONNECT_V4", "block 8080")
    ]
    assert explained[0].event.remote == "198.51.100.7:8080"
    assert "IP_REMOTE_PORT == 8080" in explained[0].text()


def test_an_event_from_another_boot_is_said_to_be_absent() -> None:
    """A filter id the dump does not hold: a note, not an error."""
    from wfpsim.analysis.events import explain_events, read_netevents

    engine, xml = _logged()
    other = xml.replace("<filterId>4</filterId>", "<filterId>987654</filterId>")
    (only,) = explain_events(engine, read_netevents(other))
    assert only.filter is None and "another time" in only.note


def test_netevents_in_utf16_and_hostile_xml() -> None:
    """PowerShell's UTF-16 is read; a DOCTYPE is refused with a message that says so."""
    from wfpsim.analysis.events import read_netevents
    from wfpsim.errors import InvalidParameterError

    xml = _logged()[1]
    assert read_netevents(xml.encode("utf-16")) == read_netevents(xml)
    bomb = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><netEvents/>'
    with pytest.raises(InvalidParameterError, match="DOCTYPE"):
        read_netevents(bomb)
    with pytest.raises(InvalidParameterError, match="no <netEvents>"):
        read_netevents("<wfpstate/>")


# the overview picture --------------------------------------------------------------------------
def test_machine_overview_counts_every_filter_by_layer_and_sublayer() -> None:
    """Counts per cell add up to the engine's filters; callout cells are marked."""
    from wfpsim.viz.overview import counts, machine_overview

    engine = build(load(find("rules-that-never-apply")))
    subs, rows = counts(engine)
    assert [s.name for s in subs] == ["Policy", "Local rules"]
    (row,) = rows
    assert dict(row.cells["Policy"]) == {"PERMIT": 3, "BLOCK": 2}
    assert dict(row.cells["Local rules"]) == {"PERMIT": 3, "BLOCK": 1, "CALLOUT": 1}
    assert row.total == len(engine.filters())
    assert "weight 0xf000" in machine_overview(engine).source


# the commands ----------------------------------------------------------------------------------
def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    from wfpsim.cli import main

    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_lint_command_json(capsys: pytest.CaptureFixture[str]) -> None:
    """`wfpsim lint NAME --json`: the planted findings with the documented keys."""
    import json

    status, out, _err = _cli(capsys, "lint", "rules-that-never-apply", "--json")
    rows = json.loads(out)
    assert status == 0
    assert {r["name"] for r in rows if r["certain"]} == {
        "block http", "allow ssh", "soft permit 8080", "block admin host", "kids' games",
    }  # fmt: skip
    assert all(
        {"kind", "filter_id", "name", "layer", "sublayer", "by", "why"} <= set(r) for r in rows
    )


def test_explain_command_flow_filter_and_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    """`wfpsim explain`: a flow's JSON, a filter by id, and exit 2 naming what is missing."""
    import json

    status, out, _err = _cli(
        capsys, "explain", "rules-that-never-apply", "--kind", "tcp", "--local", "10.0.0.5:0",
        "--remote", "198.51.100.7:8080", "--json",
    )  # fmt: skip
    doc = json.loads(out)
    assert status == 0
    assert (doc["verdict"], doc["decided_by"]) == ("BLOCK", "block 8080")
    assert {"verdict", "decided_at", "decided_by", "filter_id", "possible", "layers"} <= set(doc)
    status, out, _err = _cli(
        capsys, "explain", "rules-that-never-apply", "--filter-id", "2", "--json"
    )
    doc = json.loads(out)
    assert {"filter_id", "name", "layer", "sublayer", "provider", "action", "effective_weight",
            "conditions", "preempted_by"} <= set(doc)  # fmt: skip
    assert doc["preempted_by"][0]["name"] == "web ports"
    status, _out, err = _cli(capsys, "explain", "rules-that-never-apply", "--filter-id", "999")
    assert status == 2 and "no filter with id 999" in err
    status, _out, err = _cli(capsys, "explain", "rules-that-never-apply")
    assert status == 2 and "--local" in err


def test_diff_command_with_flows(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """`wfpsim diff A B --flows F --json`: objects by key, and the flows that change verdict."""
    import json

    source = Path(find("rules-that-never-apply")).read_text()
    changed = tmp_path / "after.toml"
    changed.write_text(source.replace('name = "block 8080"', 'name = "block 8080 (off)"').replace(
        "conditions = [{ field = \"IP_REMOTE_PORT\", value = 8080 }]",
        "conditions = [{ field = \"IP_REMOTE_PORT\", value = 8081 }]",
    ))  # fmt: skip
    flows = tmp_path / "flows.toml"
    flows.write_text(
        '[[traffic]]\nname = "web proxy"\nkind = "tcp"\ndirection = "outbound"\n'
        'local = "10.0.0.5:0"\nremote = "198.51.100.7:8080"\n'
    )
    status, out, _err = _cli(
        capsys, "diff", "rules-that-never-apply", str(changed), "--flows", str(flows), "--json"
    )
    doc = json.loads(out)
    assert status == 0
    assert doc["filters"]["added"] and doc["filters"]["removed"]  # keys differ: new objects
    assert doc["flows"] == [
        {"flow": "web proxy", "before": "BLOCK", "after": "PERMIT", "changed": True}
    ]


@pytest.mark.skipif(not DUMPS.is_dir(), reason="the shared dumps are not beside the checkout")
def test_import_command_counts_equal_the_file(capsys: pytest.CaptureFixture[str]) -> None:
    """`wfpsim import DUMP --json`: per kind in_file and imported; nothing skipped silently."""
    import json
    import re

    path = DUMPS / "python_pi_burner_wfpstate.xml"
    status, out, _err = _cli(capsys, "import", str(path), "--json")
    doc = json.loads(out)
    text = path.read_text(encoding="utf-8")
    assert status == 0
    assert doc["filters"]["in_file"] == len(re.findall(r"<filterKey>", text)) == 1050
    assert doc["callouts"]["in_file"] == len(re.findall(r"<calloutKey>", text))
    for kind in ("providers", "sublayers", "callouts", "filters"):
        part = doc[kind]
        skipped = [s for s in doc["skipped"] if s["kind"] == kind]
        assert part["imported"] + len(skipped) == part["in_file"], kind


def test_analyses_refuse_what_is_not_a_policy_with_a_wfp_error() -> None:
    """lint, diff and explain_filter name the bad argument with FWP_E_INVALID_PARAMETER."""
    from wfpsim.analysis.filters import explain_filter
    from wfpsim.errors import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="lint takes an Engine, got str"):
        lint("policy.xml")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="after must be an Engine, got NoneType"):
        diff(Engine(), None)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="got '7'"):
        explain_filter(Engine(), "7")  # type: ignore[arg-type]
