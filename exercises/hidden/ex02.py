"""Hidden checks of exercise 02: who decided, and which outcomes are vetoes."""

from __future__ import annotations

from types import ModuleType

from wfpsim.exercise import expect, public_checks

pub = public_checks(__file__)


def check_deciding_filters(m: ModuleType) -> None:
    """the filter that decided each case"""
    answers = pub.engine_answers()
    wrong = []
    for case in "abcdefg":
        _, name = pub.prediction(m, case)
        if name != answers[case].filter_name:
            wrong.append(f"case {case}: {name!r} is not the filter that decided. {pub.hint(case)}")
    expect(not wrong, "\n".join(wrong))


def check_vetoes(m: ModuleType) -> None:
    """the cases that are vetoes"""
    expect(isinstance(m.VETOES, (set, frozenset)), "VETOES must be a set of case letters.")
    actual = {case for case, c in pub.engine_answers().items() if c.veto}
    wrong = sorted(m.VETOES - actual)
    expect(not wrong, f"case {', '.join(wrong)}: not a veto. Who held the write right there?")
    expect(
        not actual - m.VETOES,
        "a veto is missing from VETOES: which callout blocked after a hard permit?",
    )
