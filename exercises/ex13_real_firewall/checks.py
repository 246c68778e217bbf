"""Public checks of exercise 13: the excerpt's order, its weight ranges, five actions."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

from wfpsim import Engine
from wfpsim.exercise import expect
from wfpsim.exercise.variants import labels
from wfpsim.runner import build
from wfpsim.scenario import load
from wfpsim.trace import Classification

EXCERPT = Path(__file__).with_name("excerpt.toml")
LAYER = "ALE_AUTH_CONNECT_V4"
SYSTEM32 = "\\device\\harddiskvolume3\\windows\\system32\\"
ACTIONS = ("PERMIT", "BLOCK", "NONE", "NONE_NO_MATCH")
PRIVATE = {"ORIGINAL_PROFILE_ID": 2, "CURRENT_PROFILE_ID": 2, "FLAGS": 0}
WEB = {"IP_PROTOCOL": 6, "IP_REMOTE_ADDRESS": "203.0.113.10", "IP_REMOTE_PORT": 443}

#: The connections of the questions, as the fields ALE_AUTH_CONNECT_V4 would be handed.
CASES: dict[str, dict[str, Any]] = {
    "a": {**PRIVATE, **WEB, "ALE_APP_ID": SYSTEM32 + "deviceenroller.exe"},
    "b": {
        **PRIVATE,
        **WEB,
        "ALE_APP_ID": SYSTEM32 + "deviceenroller.exe",
        "IP_PROTOCOL": 17,
        "IP_REMOTE_PORT": 53,
    },
    "c": {
        **PRIVATE,
        **WEB,
        "ALE_APP_ID": SYSTEM32 + "searchfilterhost.exe",
        "IP_REMOTE_ADDRESS": "127.0.0.1",
        "IP_REMOTE_PORT": 8080,
        "FLAGS": 0x1,
    },
    "d": {
        **WEB,
        "ALE_APP_ID": SYSTEM32 + "notepad.exe",
        "ORIGINAL_PROFILE_ID": 1,
        "CURRENT_PROFILE_ID": 1,
        "FLAGS": 0,
    },
    "e": {**PRIVATE, **WEB, "ALE_APP_ID": SYSTEM32 + "notepad.exe", "ALE_PACKAGE_ID": "S-1-15-2-1"},
}
HINTS = {
    "a": "Two sublayers have a filter that matches. Is the first decision soft or hard?",
    "b": "Which filters of the Service Hardening sublayer match a UDP connection?",
    "c": "The loopback permit has the highest weight there is. Is it hard?",
    "d": "Which filters need the private profile?",
    "e": "A packaged application has a package id: which filter tests it?",
}


#: The checks read only these answers: they are judged in a process where student.py never ran.
STUDENT_DATA = ("SUBLAYER_ORDER", "FIRST_IN_WSH", "RANGES", "PREDICTIONS")


def excerpt() -> Engine:
    """The eight filters in a fresh engine."""
    return build(load(EXCERPT))


def engine_answers() -> dict[str, Classification]:
    """The engine's classification of each case, under the student's case letters."""
    engine = excerpt()
    by_case = {case: engine.classify(LAYER, values) for case, values in CASES.items()}
    return {mine: by_case[theirs] for mine, theirs in labels("ex13").items()}


def hint(case: str) -> str:
    """The hint for one of the student's cases (a variant relabels them)."""
    return HINTS[labels("ex13")[case]]


def prediction(m: ModuleType, case: str) -> tuple[str, str | None]:
    """The student's prediction for a case, checked for shape."""
    got = m.PREDICTIONS.get(case)
    expect(isinstance(got, tuple) and len(got) == 2, f"PREDICTIONS[{case!r}] must be a pair.")
    action, name = got
    expect(action is not None, f"case {case}: no prediction yet.")
    expect(action in ACTIONS, f"case {case}: {action!r} is not one of {ACTIONS}.")
    return action, name


def check_sublayer_order(m: ModuleType) -> None:
    """the order of the sublayers"""
    order = [sub.name for sub, _ in excerpt().evaluation_order(LAYER)]
    expect(m.SUBLAYER_ORDER is not None, "SUBLAYER_ORDER: no answer yet.")
    expect(
        sorted(m.SUBLAYER_ORDER) == sorted(order),
        f"SUBLAYER_ORDER must name the excerpt's three sublayers: {sorted(order)}.",
    )
    expect(order == m.SUBLAYER_ORDER, "SUBLAYER_ORDER: not the order arbitration asks them in.")


def check_first_in_wsh(m: ModuleType) -> None:
    """the first filter asked in the Service Hardening sublayer"""
    wsh = dict(excerpt().evaluation_order(LAYER))
    names = [f.name for sub, filters in wsh.items() if sub.name.endswith("WSH") for f in filters]
    expect(
        m.FIRST_IN_WSH in names,
        f"FIRST_IN_WSH must be the name of one of the WSH filters: {sorted(names)}.",
    )
    expect(names[0] == m.FIRST_IN_WSH, "FIRST_IN_WSH: compare the effective weights again.")


def check_weight_ranges(m: ModuleType) -> None:
    """the weight ranges of the two Default Outbound filters"""
    engine = excerpt()
    for name, got in m.RANGES.items():
        flt = engine.filter(name)
        expect(got is not None, f"RANGES[{name!r}]: no answer yet.")
        expect(
            got == flt.effective_weight >> 60,
            f"RANGES[{name!r}] = {got}: read the top of its effective weight again.",
        )


def check_actions(m: ModuleType) -> None:
    """the action of each connection"""
    answers = engine_answers()
    for case in CASES:
        action, _ = prediction(m, case)
        expect(
            action == answers[case].action.name,
            f"case {case}: not {action}. {hint(case)}",
        )


def reveal(m: ModuleType) -> str:
    """The engine's account of each connection (shown once every check passes)."""
    answers = engine_answers()
    return "What the engine decided\n\n" + "\n\n".join(
        f"{case}. {c.explain()}" for case, c in answers.items()
    )
