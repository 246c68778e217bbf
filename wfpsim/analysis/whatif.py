"""Verdicts with unknown callouts: PERMIT, BLOCK, or DEPENDS on what a driver answers.

On a real machine's dump, third-party callouts are :class:`~wfpsim.unknown.UnknownCallout`\\ s: the
dump names them, not their code. :func:`explore` runs a journey (or anything that yields a
verdict) once per combination of answers the unknown callouts it actually reaches may give —
depth first: the first run gives every callout its first possible answer, and each callout reached
with a default answer is then tried with its other answers. A callout that is never reached, or
reached only without the write right, costs nothing. The result is one verdict when every branch
agrees, else ``DEPENDS`` with the branches: which callout answered what, and the verdict it led
to.

``callouts="permit"`` and ``"block"`` assume one answer for every unknown callout instead (the
"drivers are benign" and "worst case" views): a single run.

Runs are the cost (a journey through a real machine's stack), so a combination is not run when it
provably ends like one already run: given ``same(result, answers, key, other)`` — "answering
``other`` instead for callout ``key`` changes nothing the run depends on" (for journeys:
:func:`wfpsim.analysis.flows.same_path`, which re-classifies the steps where that callout was
asked) — the branch is recorded as a *twin* of that run: the same verdict and result, its own
answers. The branches, their answers and their verdicts are exactly those of running every
combination; only the runs are fewer.

>>> from wfpsim import Callout, Engine, Filter
>>> from wfpsim.unknown import UnknownCallout
>>> engine = Engine()
>>> edr = engine.add_callout(Callout("edr", "ALE_AUTH_CONNECT_V4"))
>>> _ = engine.register_callout(edr.key, UnknownCallout(edr.key, "edr"))
>>> _ = engine.add_filter(
...     Filter("watch", "ALE_AUTH_CONNECT_V4", "CALLOUT_TERMINATING", callout="edr"))
>>> result = explore(lambda: engine.classify("ALE_AUTH_CONNECT_V4"), lambda c: c.action.name)
>>> result.verdict, result.possible()[1]
('DEPENDS', {'verdict': 'BLOCK', 'if': [{'callout': 'edr', 'returns': 'BLOCK'}]})
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Generic, TypeVar

from wfpsim.errors import InvalidParameterError
from wfpsim.unknown import Assumption, Reached, assume

__all__ = ["MODES", "Branch", "WhatIf", "explore"]

T = TypeVar("T")

#: The ``--callouts`` modes: explore, assume PERMIT, assume BLOCK (``unregistered`` is an import
#: option: the callouts are then not registered at all, and their filters act as block filters).
MODES = ("unknown", "permit", "block", "unregistered")

#: At most this many branches (3 unknown callouts reached with the write right: 27).
LIMIT = 81


@dataclass(frozen=True, slots=True)
class Branch(Generic[T]):
    """One run: the answers the unknown callouts reached gave, the verdict, and the result.

    ``twin`` is True when the combination was not run because it provably ends as the run whose
    ``result`` it shares (see the module doc).
    """

    verdict: str
    answers: tuple[Reached, ...]
    result: T
    twin: bool = False

    def condition(self) -> list[dict[str, str]]:
        """``[{"callout", "returns"}]``: the answers this verdict depends on (callouts that could
        give only one answer, such as inspection callouts, are left out)."""
        return [
            {"callout": r.name, "returns": r.answer} for r in self.answers if len(r.choices) > 1
        ]


@dataclass(frozen=True, slots=True)
class WhatIf(Generic[T]):
    """Every branch explored; ``complete`` is False when :data:`LIMIT` cut the exploration."""

    branches: tuple[Branch[T], ...]
    complete: bool = True
    mode: str = "unknown"

    @property
    def verdict(self) -> str:
        """The verdict when all branches agree, else ``DEPENDS``."""
        verdicts = {b.verdict for b in self.branches}
        return verdicts.pop() if len(verdicts) == 1 and self.complete else "DEPENDS"

    @property
    def first(self) -> Branch[T]:
        """The branch where every unknown callout gave its first (default) answer."""
        return self.branches[0]

    def possible(self) -> list[dict[str, object]]:
        """``[{"verdict", "if": [{"callout", "returns"}]}]``, one entry per branch."""
        return [{"verdict": b.verdict, "if": b.condition()} for b in self.branches]

    def text(self, most: int = 4) -> str:
        """The verdicts and the answers they depend on (at most ``most`` branches per verdict)."""
        reached = sorted({r.name for b in self.branches for r in b.answers if len(r.choices) > 1})
        if self.mode in ("permit", "block"):
            asked = f" ({', '.join(reached)})" if reached else ""
            return f"{self.verdict}, assuming unknown callouts answer {self.mode.upper()}{asked}"
        if self.verdict != "DEPENDS":
            note = f" whatever {', '.join(reached)} answer" if reached else ""
            return f"{self.verdict}{note}"
        by_verdict: dict[str, list[Branch[T]]] = {}
        for b in self.branches:
            by_verdict.setdefault(b.verdict, []).append(b)
        total = len(self.branches)
        lines = [f"DEPENDS on what unknown callouts answer ({total} combinations tried):"]
        for verdict, group in by_verdict.items():
            lines.append(f"  {verdict} in {len(group)} of {total}, for example:")
            for b in group[:most]:
                cond = ", ".join(f"{c['callout']} -> {c['returns']}" for c in b.condition())
                lines.append(f"    if {cond or 'no unknown callout is reached'}")
        if not self.complete:
            lines.append(f"  (stopped after {len(self.branches)} combinations: more exist)")
        return "\n".join(lines)


#: ``same(result, answers, key, other)``: answering ``other`` for ``key`` instead of what
#: ``answers`` says provably leaves the run ``result`` unchanged in everything its verdict rests on.
Same = Callable[[T, dict[uuid.UUID, str], uuid.UUID, str], bool]


def _twin(
    branches: list[Branch[T]], fixed: dict[uuid.UUID, str], same: Same[T]
) -> Branch[T] | None:
    """A branch for ``fixed`` copied from a run that provably ends the same, if there is one."""
    for key, other in fixed.items():
        for done in branches:
            told = {r.key: r.answer for r in done.answers}
            if told.get(key, other) == other:
                continue  # that run did not reach this callout, or answered the same
            if any(k != key and told.get(k, v) != v for k, v in fixed.items()):
                continue
            if not same(done.result, told, key, other):
                continue
            answers = tuple(
                replace(r, answer=fixed.get(r.key, r.answer), assumed=r.key in fixed)
                for r in done.answers
            )
            return Branch(done.verdict, answers, done.result, twin=True)
    return None


def explore(
    run: Callable[[], T],
    verdict_of: Callable[[T], str],
    mode: str = "unknown",
    limit: int = LIMIT,
    same: Same[T] | None = None,
) -> WhatIf[T]:
    """Run ``run`` once per combination of answers of the unknown callouts it reaches.

    Args:
        run: builds a fresh result (a journey) each call; it must not depend on earlier calls.
        verdict_of: the verdict of a result (``journey.verdict``).
        mode: ``unknown`` (explore), ``permit`` or ``block`` (assume that answer; inspection
            callouts always CONTINUE), ``unregistered`` (a single run: the import already left
            the callouts unregistered).
        limit: at most this many branches.
        same: when given, a combination that provably ends like a run already made is recorded
            as its twin instead of being run (see the module doc).

    Raises:
        InvalidParameterError: an unknown ``mode``.
    """
    if mode not in MODES:
        raise InvalidParameterError(f"callouts mode {mode!r}; valid: {', '.join(MODES)}")
    if mode != "unknown":
        fixed = Assumption(default=mode.upper() if mode in ("permit", "block") else None)
        with assume(fixed):
            result = run()
        return WhatIf((Branch(verdict_of(result), tuple(fixed.reached), result),), mode=mode)
    branches: list[Branch[T]] = []
    pending: list[dict[uuid.UUID, str]] = [{}]
    while pending:
        if len(branches) >= limit:
            return WhatIf(tuple(branches), complete=False)
        fixed_answers = pending.pop(0)
        branch = _twin(branches, fixed_answers, same) if same is not None else None
        if branch is None:
            assumption = Assumption(dict(fixed_answers))
            with assume(assumption):
                result = run()
            branch = Branch(verdict_of(result), tuple(assumption.reached), result)
        branches.append(branch)
        chosen = dict(fixed_answers)
        for reached in branch.answers:
            if not reached.assumed:
                for other in reached.choices[1:]:
                    pending.append({**chosen, reached.key: other})
            chosen[reached.key] = reached.answer
    return WhatIf(tuple(branches))
