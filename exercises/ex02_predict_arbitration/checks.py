"""Public checks of exercise 02: the predicted actions, compared with the engine's."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from wfpsim.exercise import expect
from wfpsim.exercise.variants import labels
from wfpsim.runner import RunResult, report_text, run
from wfpsim.trace import Classification

POLICY = Path(__file__).with_name("policy.toml")
ACTIONS = ("PERMIT", "BLOCK", "NONE", "NONE_NO_MATCH")

#: The checks read only these answers: they are judged in a process where student.py never ran.
STUDENT_DATA = ("PREDICTIONS", "VETOES")

#: What to look at again when a prediction is wrong (a direction, not the answer).
HINTS = {
    "a": "Which sublayers have a matching filter? What does an inspection filter make of a "
    "callout that writes BLOCK?",
    "b": "Two filters of 'Firewall' match. Which one is asked first? Compare their weights.",
    "c": "Is the VPN client's permit soft or hard? What may a static filter below it do?",
    "d": "The compliance callout writes even without FWPS_RIGHT_ACTION_WRITE. What happens "
    "when a callout blocks after a hard permit?",
    "e": "Only one filter matches, and it is an inspection filter: look again at what such a "
    "filter may do with its callout's answer (notebook 05).",
    "f": "Two filters of 'Firewall' match. Which one is asked first? Compare their weight ranges.",
    "g": "Which sublayers decide anything here, and does the compliance callout hold the write "
    "right this time?",
}


def prediction(m: ModuleType, case: str) -> tuple[str | None, str | None]:
    """The student's prediction for one case, checked for shape."""
    got = m.PREDICTIONS.get(case)
    expect(
        isinstance(got, tuple) and len(got) == 2,
        f"PREDICTIONS[{case!r}] must be a pair (action, filter name or None).",
    )
    action, name = got
    expect(action is not None, f"case {case}: no prediction yet.")
    expect(action in ACTIONS, f"case {case}: {action!r} is not an action; use one of {ACTIONS}.")
    return action, name


def engine_answers() -> dict[str, Classification]:
    """The engine's classification of each case, under the student's case letters (a student's
    variant relabels the cases: ``wfpsim exercise variant ex02 --seed ID``)."""
    by_name = {r.name: r.classification for r in run(POLICY).classifications}
    return {mine: by_name[theirs] for mine, theirs in labels("ex02").items()}


def hint(case: str) -> str:
    """The hint for one of the student's cases."""
    return HINTS[labels("ex02")[case]]


def actions_match(m: ModuleType, cases: str) -> None:
    """Compare the predicted actions of ``cases`` with the engine's, one hint per miss."""
    answers = engine_answers()
    for case in cases:
        action, _ = prediction(m, case)
        expect(
            action == answers[case].action.name,
            f"case {case}: the engine does not answer {action}. {hint(case)}",
        )


def check_case_a(m: ModuleType) -> None:
    """case a: the predicted action"""
    actions_match(m, "a")


def check_case_b(m: ModuleType) -> None:
    """case b: the predicted action"""
    actions_match(m, "b")


def check_case_c(m: ModuleType) -> None:
    """case c: the predicted action"""
    actions_match(m, "c")


def check_case_d(m: ModuleType) -> None:
    """case d: the predicted action"""
    actions_match(m, "d")


def check_case_e(m: ModuleType) -> None:
    """case e: the predicted action"""
    actions_match(m, "e")


def check_case_f(m: ModuleType) -> None:
    """case f: the predicted action"""
    actions_match(m, "f")


def check_case_g(m: ModuleType) -> None:
    """case g: the predicted action"""
    actions_match(m, "g")


def reveal(m: ModuleType) -> str:
    """The engine's trace of every case (shown once every check passes)."""
    result: RunResult = run(POLICY)
    text = report_text(result).replace(str(POLICY), POLICY.name)  # not the grader's temporary copy
    return "What the engine did (also: wfpsim run policy.toml)\n\n" + text
