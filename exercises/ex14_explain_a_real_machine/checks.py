"""Public checks of exercise 14: five verdicts and where they were decided, a pre-empted filter,
the shadowed filters at ALE_AUTH_CONNECT_V4.

Every expected answer is computed here, when the checks run, by wfpsim's own analysis of the dump
(``explain_flow`` and ``lint``); none is stored.
"""

from __future__ import annotations

import functools
from pathlib import Path
from types import ModuleType
from typing import Any

from wfpsim.analysis.flows import FlowExplanation, explain_flow
from wfpsim.analysis.lint import lint
from wfpsim.engine import Engine
from wfpsim.errors import WfpError
from wfpsim.exercise import expect
from wfpsim.netsh import load_netsh

DUMP = Path(__file__).with_name("wfpstate.xml")
SYSTEM32 = "\\device\\harddiskvolume3\\windows\\system32\\"
WEATHER = "\\device\\harddiskvolume3\\program files\\windowsapps\\contoso.weather\\weather.exe"
PACKAGE = "S-1-15-2-2967553933-3217682302-1494388624-1520441230-1286441420-3166565081-2547287883"
VERDICTS = ("PERMIT", "BLOCK", "DROP", "DEPENDS")
LAYER = "ALE_AUTH_CONNECT_V4"
PREEMPTED = "Block outbound traffic from deviceenroller.exe"

#: The connections of the questions: explain_flow's arguments.
CASES: dict[str, dict[str, Any]] = {
    "a": {
        "kind": "udp", "direction": "outbound", "local": "10.0.0.5:0",
        "remote": "203.0.113.10:53", "app": SYSTEM32 + "deviceenroller.exe",
    },
    "b": {
        "kind": "tcp", "direction": "outbound", "local": "10.0.0.5:0",
        "remote": "203.0.113.10:443", "app": SYSTEM32 + "deviceenroller.exe",
    },
    "c": {
        "kind": "tcp", "direction": "inbound", "local": "10.0.0.5:23554",
        "remote": "203.0.113.9:50000", "app": SYSTEM32 + "mdeserver.exe",
    },
    "d": {
        "kind": "tcp", "direction": "inbound", "local": "10.0.0.5:8080",
        "remote": "203.0.113.9:50000", "app": SYSTEM32 + "mdeserver.exe",
    },
    "e": {
        "kind": "tcp", "direction": "outbound", "local": "10.0.0.5:0",
        "remote": "203.0.113.10:443", "app": WEATHER, "package": PACKAGE,
    },
}  # fmt: skip
#: Each connection in words (the feedback names the connection, never the answer).
WORDS = {
    "a": "deviceenroller.exe, UDP to 203.0.113.10:53",
    "b": "deviceenroller.exe, TCP to 203.0.113.10:443",
    "c": "TCP from 203.0.113.9 to mdeserver.exe on port 23554",
    "d": "TCP from 203.0.113.9 to mdeserver.exe on port 8080",
    "e": "the packaged weather app, TCP to 203.0.113.10:443",
}
HINTS = {
    "a": "Service Hardening allows a service what its rules name and blocks the rest: which "
    "rules name this program, and which of them match UDP?",
    "b": "Two filters of one sublayer match this connection: which of them is asked first?",
    "c": "Inbound connections are authorized at ALE_AUTH_RECV_ACCEPT: which rules name this "
    "program, and which of them match its port?",
    "d": "Does any filter match this connection at any layer? When no filter decides, what does "
    "the stack do?",
    "e": "A packaged application carries a package id: which filters test ALE_PACKAGE_ID, and "
    "what else do they require?",
}

#: The checks read only these answers: they are judged in a process where student.py never ran.
STUDENT_DATA = ("VERDICTS", "PREEMPTED_BY", "SHADOWED")


@functools.cache
def machine() -> Engine:
    """The dump, imported once per check run."""
    engine, _report = load_netsh(DUMP)
    return engine


@functools.cache
def explained(case: str) -> FlowExplanation:
    """wfpsim's explanation of one case on the dump."""
    return explain_flow(machine(), **CASES[case])


def expected(case: str) -> tuple[str, str | None, int | None]:
    """(verdict, deciding layer, deciding filter id) of one case, as wfpsim explains it."""
    doc = explained(case).to_json()
    return doc["verdict"], doc["decided_at"], doc["filter_id"]


def answer(m: ModuleType, case: str) -> tuple[str, str | None, int | None]:
    """The student's answer for a case, checked for shape (layers may carry FWPM_LAYER_)."""
    got = m.VERDICTS.get(case)
    expect(
        isinstance(got, tuple) and len(got) == 3,
        f"VERDICTS[{case!r}] must be a triple (verdict, layer, filter_id).",
    )
    verdict, layer, filter_id = got
    expect(verdict is not None, f"case {case} ({WORDS[case]}): no verdict yet.")
    expect(verdict in VERDICTS, f"case {case}: {verdict!r} is not one of {VERDICTS}.")
    expect(
        layer is None or isinstance(layer, str),
        f"case {case}: the layer must be a layer's name (a str) or None, not {layer!r}.",
    )
    expect(
        filter_id is None or (isinstance(filter_id, int) and not isinstance(filter_id, bool)),
        f"case {case}: the filter must be its run-time id (an int) or None, not {filter_id!r}.",
    )
    short = layer.removeprefix("FWPM_LAYER_") if layer else None
    return verdict, short, filter_id


def shadowed_by() -> dict[int, tuple[frozenset[int], str]]:
    """Every shadowed filter of the dump: id → (the ids that shadow it, its layer)."""
    return {
        f.filter_id: (frozenset(f.by), f.layer)
        for f in lint(machine())
        if f.kind == "shadowed" and f.certain
    }


def never_effective() -> dict[int, str]:
    """Every filter lint finds never taking effect, whatever the kind: id → kind."""
    return {f.filter_id: f.kind for f in lint(machine()) if f.certain}


def student_shadowed(m: ModuleType) -> dict[int, int]:
    """The student's SHADOWED, checked for shape."""
    got = m.SHADOWED
    expect(got is not None, "SHADOWED: no answer yet.")
    expect(
        isinstance(got, dict)
        and all(isinstance(k, int) and isinstance(v, int) for k, v in got.items()),
        "SHADOWED must be a dict {shadowed filter id: id of the filter that shadows it}.",
    )
    return dict(got)


def judge_shadowed(m: ModuleType, layers: set[str] | None) -> None:
    """The student's SHADOWED against lint's, at some layers (None: the whole dump)."""
    truth = shadowed_by()
    mine = student_shadowed(m)
    engine = machine()
    where = "at " + ", ".join(sorted(layers)) if layers else "in the dump"
    for fid, by in sorted(mine.items()):
        try:
            layer = engine.filter(fid).layer.short_name
        except WfpError:
            expect(False, f"SHADOWED names filter {fid}, and the dump has no filter of that id.")
        if layers is not None and layer not in layers:
            continue
        if fid not in truth:
            other = never_effective().get(fid)
            expect(
                other is None,
                f"filter {fid} never takes effect, but it is {other}, not shadowed: read again "
                "what the filter above it does.",
            )
            expect(
                False,
                f"filter {fid} ({layer}) is not shadowed: it decides some connection. A filter "
                "above it that matches only part of its traffic leaves the rest to it.",
            )
        expect(
            by in truth[fid][0],
            f"filter {fid} is shadowed, but not by filter {by}: the shadowing filter is higher "
            "in the same sublayer and matches all of its traffic.",
        )
    wanted = {fid for fid, (_, layer) in truth.items() if layers is None or layer in layers}
    missing = wanted - set(mine)
    expect(
        not missing,
        f"SHADOWED misses {len(missing)} of the {len(wanted)} shadowed filters {where}: look at "
        "the filters that share the highest weights of a sublayer.",
    )


def check_verdicts(m: ModuleType) -> None:
    """the verdict of each connection"""
    for case in CASES:
        verdict, _, _ = answer(m, case)
        right = expected(case)[0]
        expect(
            verdict == right,
            f"case {case} ({WORDS[case]}): the verdict is not {verdict}. {HINTS[case]}",
        )


def check_deciding_layers(m: ModuleType) -> None:
    """the layer that decided each connection"""
    for case in CASES:
        _, layer, _ = answer(m, case)
        right = expected(case)[1]
        if right is None:
            expect(
                layer is None,
                f"case {case} ({WORDS[case]}): no filter at {layer} decides this connection. "
                f"{HINTS[case]}",
            )
        else:
            expect(
                layer is not None,
                f"case {case} ({WORDS[case]}): a filter does decide this connection somewhere. "
                f"{HINTS[case]}",
            )
            expect(
                layer == right,
                f"case {case} ({WORDS[case]}): it was not decided at {layer}. {HINTS[case]}",
            )


def check_preempted_by(m: ModuleType) -> None:
    """the filter that keeps the deviceenroller block from deciding case b"""
    got = m.PREEMPTED_BY
    expect(got is not None, "PREEMPTED_BY: no answer yet.")
    expect(isinstance(got, int), f"PREEMPTED_BY must be a filter's run-time id, not {got!r}.")
    step = explained("b").journey.at(LAYER)
    blocker = next(f.filter_id for f in machine().filters(LAYER) if f.name == PREEMPTED)
    for sub in step.classification.sublayers:
        ids = [st.filter_id for st in sub.steps]
        if blocker in ids:
            ender = next(st.filter_id for st in sub.steps if st.effect.name == "DECIDED")
            expect(
                got != blocker,
                f"PREEMPTED_BY: filter {got} is the block itself; which filter decides before "
                "it in case b?",
            )
            expect(
                got == ender,
                f"PREEMPTED_BY: filter {got} is not the one. The block loses inside its own "
                "sublayer: which filter there is asked first and ends the sublayer?",
            )
            return
    expect(False, f"the block {PREEMPTED!r} is not asked in case b: report this to your teacher")


def check_shadowed_at_connect(m: ModuleType) -> None:
    """the shadowed filters at ALE_AUTH_CONNECT_V4"""
    judge_shadowed(m, {LAYER})


def reveal(m: ModuleType) -> str:
    """wfpsim's explanation of each connection (shown once every check passes)."""
    parts = [f"{case}. {explained(case).text()}" for case in CASES]
    return "How wfpsim explains each connection\n\n" + "\n\n".join(parts)
