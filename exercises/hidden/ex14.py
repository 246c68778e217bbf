"""Hidden checks of exercise 14: the deciding filters' ids, the shadowed filters of the whole
dump (IPv6 included, redundant filters left out)."""

from __future__ import annotations

from types import ModuleType

from wfpsim.exercise import expect, public_checks

pub = public_checks(__file__)


def check_deciding_filters(m: ModuleType) -> None:
    """the filter that decided each connection"""
    for case in pub.CASES:
        _, _, filter_id = pub.answer(m, case)
        right = pub.expected(case)[2]
        words = pub.WORDS[case]
        if right is None:
            expect(
                filter_id is None,
                f"case {case} ({words}): filter {filter_id} does not decide it. {pub.HINTS[case]}",
            )
        else:
            expect(
                filter_id == right,
                f"case {case} ({words}): {filter_id!r} is not the run-time id of the filter that "
                f"decided. {pub.HINTS[case]}",
            )


def check_shadowed_in_the_whole_dump(m: ModuleType) -> None:
    """the shadowed filters of the whole dump"""
    pub.judge_shadowed(m, None)
