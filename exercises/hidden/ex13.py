"""Hidden checks of exercise 13: the filter that decided each connection."""

from __future__ import annotations

from types import ModuleType

from wfpsim.exercise import expect, public_checks

pub = public_checks(__file__)


def check_deciding_filters(m: ModuleType) -> None:
    """the filter that decided each connection"""
    answers = pub.engine_answers()
    for case in pub.CASES:
        _, name = pub.prediction(m, case)
        expect(
            name == answers[case].filter_name,
            f"case {case}: {name!r} is not the filter that decided. {pub.hint(case)}",
        )
