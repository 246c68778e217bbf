"""Callouts whose code we do not have: what they *may* answer, never an invented answer.

A ``netsh wfp show state`` dump names every callout and its filters, but holds none of the drivers'
code: an antivirus's stream inspection, a VPN's connect callout, an EDR's flow tracking may
permit, block or continue. :class:`UnknownCallout` stands in for such a callout. On its own (no
assumption in force) it gives its first possible answer — PERMIT for a terminating callout,
CONTINUE for an inspection one: the "drivers are benign" reading, **our choice** for a plain
:meth:`~wfpsim.engine.Engine.classify`; :func:`assume` puts an :class:`Assumption` in force for a
block of code, and every unknown callout reached then answers what the assumption says and is
recorded, so that :mod:`wfpsim.analysis.whatif` can try each possible answer and report a verdict
as PERMIT, BLOCK or **DEPENDS** (with which answer leads to which verdict).

What an unknown callout may answer depends on its filter's action type (Microsoft's
*FWPS_ACTION0* and *Filter Arbitration* pages): a ``CALLOUT_INSPECTION`` callout only inspects
(CONTINUE); a ``CALLOUT_TERMINATING`` or ``CALLOUT_UNKNOWN`` one may answer PERMIT, BLOCK or
CONTINUE. **Our reading**: unknown drivers follow the documented etiquette — without
``FWPS_RIGHT_ACTION_WRITE`` they write nothing (no veto), and an answer holds for every call of
that callout during one journey (a driver that answers differently per packet is not modelled).

>>> from wfpsim.objects import Action
>>> possible_answers(Action.CALLOUT_INSPECTION), possible_answers(Action.CALLOUT_TERMINATING)
(('CONTINUE',), ('PERMIT', 'BLOCK', 'CONTINUE'))
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from wfpsim.callouts import ClassifyOut, IncomingValues, KernelFilter, MetaValues
from wfpsim.ids import FWPS_RIGHT_ACTION_WRITE
from wfpsim.objects import Action

__all__ = ["Assumption", "UnknownCallout", "assume", "possible_answers"]

#: Answer name → the ``FWP_ACTION_TYPE`` written to ``classifyOut.actionType``.
ANSWERS: dict[str, Action] = {
    "PERMIT": Action.PERMIT,
    "BLOCK": Action.BLOCK,
    "CONTINUE": Action.CONTINUE,
}


def possible_answers(filter_action: Action) -> tuple[str, ...]:
    """What a callout of a filter with this action type may answer, the first being the default."""
    if filter_action == Action.CALLOUT_INSPECTION:
        return ("CONTINUE",)
    return ("PERMIT", "BLOCK", "CONTINUE")


@dataclass(frozen=True, slots=True)
class Reached:
    """One unknown callout reached with the write right, and the answer it was given."""

    key: uuid.UUID
    name: str
    answer: str
    choices: tuple[str, ...]
    assumed: bool  # True: fixed by the assumption; False: its default answer


@dataclass(slots=True)
class Assumption:
    """Answers assumed for unknown callouts (by key); the rest get ``default`` or their first."""

    fixed: dict[uuid.UUID, str] = field(default_factory=dict)
    default: str | None = None
    reached: list[Reached] = field(default_factory=list)

    def answer(self, callout: UnknownCallout, choices: tuple[str, ...]) -> str:
        """The answer for this callout, recorded the first time it is reached."""
        for seen in self.reached:
            if seen.key == callout.key:
                return seen.answer
        if callout.key in self.fixed:
            chosen, assumed = self.fixed[callout.key], True
        else:
            chosen = self.default if self.default in choices else choices[0]
            assumed = False
        if chosen not in choices:
            chosen = "CONTINUE"
        self.reached.append(Reached(callout.key, callout.label, chosen, choices, assumed))
        return chosen


_CURRENT: ContextVar[Assumption | None] = ContextVar("wfpsim_unknown_assumption", default=None)


@contextmanager
def assume(assumption: Assumption) -> Iterator[Assumption]:
    """Put an assumption in force for unknown callouts reached inside the ``with`` block."""
    token = _CURRENT.set(assumption)
    try:
        yield assumption
    finally:
        _CURRENT.reset(token)


@dataclass(frozen=True, slots=True)
class UnknownCallout:
    """A classifyFn for a callout whose driver code is not known (a dump's third-party callouts).

    Attributes:
        key: the callout's GUID.
        name: its display name (for the reports).
        layer: the short name of its layer (display names repeat across layers).
    """

    key: uuid.UUID
    name: str
    layer: str = ""

    @property
    def label(self) -> str:
        """``name (LAYER)``: how reports name it."""
        return f"{self.name} ({self.layer})" if self.layer else self.name

    def __call__(
        self,
        in_fixed_values: IncomingValues,
        in_meta_values: MetaValues,
        layer_data: object,
        classify_context: object,
        filter: KernelFilter,
        flow_context: int,
        classify_out: ClassifyOut,
    ) -> None:
        if not classify_out.rights & FWPS_RIGHT_ACTION_WRITE:
            return  # the documented etiquette: without the right, write nothing
        choices = possible_answers(Action(filter.action.type))
        assumption = _CURRENT.get()
        answer = choices[0] if assumption is None else assumption.answer(self, choices)
        classify_out.action_type = ANSWERS[answer]
