"""Immutable records of one classification, and their plain-English explanation.

The engine writes these; pictures, players and reports only read them. What decided is
recorded during the walk; the full trace (every filter's fate) is built on first read.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from wfpsim.conditions import filter_matches
from wfpsim.ids import FWPS_CLASSIFY_OUT_FLAG_ABSORB, FWPS_RIGHT_ACTION_WRITE
from wfpsim.objects import Action, Filter, Sublayer
from wfpsim.values import Value, display_field

WRITE = FWPS_RIGHT_ACTION_WRITE
ABSORB = FWPS_CLASSIFY_OUT_FLAG_ABSORB


class Effect(enum.Enum):
    """What one filter did to the classification."""

    NO_MATCH = "conditions did not match"
    SKIPPED = "not evaluated: an earlier filter in the sublayer ended it"
    DECIDED = "set the decision"
    KEPT = "confirmed the decision already taken (nothing written)"
    IGNORED = "would have decided, but the write right was gone"
    VETO = "vetoed a hard permit"
    CONTINUE = "continue: passed to the next filter"
    UNREGISTERED_SKIPPED = "callout not registered: inspection filter ignored"
    FAULT = "callout raised an exception: blocked"
    NO_FLOW_CONTEXT = "CONDITIONAL_ON_FLOW callout, no context on this flow: not called"


@dataclass(frozen=True, slots=True)
class CalloutCall:
    """One classifyFn call: what it saw in ``classify_out``, what it left there."""

    callout: str
    saw_action: Action
    saw_rights: int
    returned_action: int
    returned_rights: int
    returned_flags: int
    normalized: Action
    note: str = ""
    fault: str = ""

    @property
    def had_write_right(self) -> bool:
        """The callout was called with ``FWPS_RIGHT_ACTION_WRITE``."""
        return bool(self.saw_rights & WRITE)

    @property
    def left_alone(self) -> bool:
        """The callout wrote nothing: ``classify_out`` is as handed over (flags start at 0)."""
        returned = (self.returned_action, self.returned_rights, self.returned_flags)
        return returned == (int(self.saw_action), self.saw_rights, 0)


@dataclass(frozen=True, slots=True)
class FilterStep:
    """One filter of a sublayer, in evaluation order."""

    filter_id: int
    name: str
    action: Action
    weight: int
    effect: Effect
    failed_condition: str = ""
    callout: CalloutCall | None = None
    note: str = ""

    @property
    def matched(self) -> bool:
        """The filter's conditions matched (so it was considered)."""
        return self.effect not in (Effect.NO_MATCH, Effect.SKIPPED)


@dataclass(frozen=True, slots=True)
class Decision:
    """The action carried from sublayer to sublayer, with its write right."""

    action: Action = Action.NONE
    rights: int = WRITE
    flags: int = 0
    filter_id: int = 0
    filter_name: str | None = None
    sublayer: str | None = None
    source: str = ""

    @property
    def hard(self) -> bool:
        """The write right is cleared: lower sublayers cannot override (except by veto)."""
        return not self.rights & WRITE

    def strength(self) -> str:
        """``soft permit``, ``hard block``…"""
        return f"{'hard' if self.hard else 'soft'} {self.action.name.lower()}"


@dataclass(frozen=True, slots=True)
class SublayerTrace:
    """One sublayer: every filter considered, its own result and the decision after it."""

    name: str
    weight: int
    steps: tuple[FilterStep, ...]
    result: Action
    result_filter: str | None
    after: Decision


@dataclass(frozen=True, slots=True)
class SublayerRecord:
    """What arbitration records while it walks one sublayer: the filters that *matched*.

    Filters that did not match, and those after the one that ended the sublayer, are not
    recorded: :meth:`WalkRecord.build` describes them only when someone asks.
    """

    sublayer: Sublayer
    matched: Mapping[int, FilterStep]
    ender: int | None
    result: Action
    result_filter: str | None
    after: Decision


@dataclass(frozen=True, slots=True)
class WalkRecord:
    """Everything needed to build the full trace later: the order walked and the records."""

    order: Sequence[tuple[Sublayer, Sequence[Filter]]]
    values: Mapping[str, Value]
    records: tuple[SublayerRecord, ...]

    def build(self) -> tuple[SublayerTrace, ...]:
        """Every filter's fate, sublayer by sublayer, with the failed condition's text."""
        out = []
        for (sub, filters), rec in zip(self.order, self.records, strict=True):
            steps: list[FilterStep] = []
            ended = False
            for flt in filters:
                recorded = rec.matched.get(flt.filter_id)
                if recorded is not None:
                    steps.append(recorded)
                    ended = flt.filter_id == rec.ender
                elif ended:
                    steps.append(filter_step(flt, Effect.SKIPPED))
                else:
                    steps.append(_no_match(flt, self.values))
            out.append(
                SublayerTrace(
                    sub.name, sub.weight, tuple(steps), rec.result, rec.result_filter, rec.after
                )
            )
        return tuple(out)


def filter_step(flt: Filter, effect: Effect, **extra: object) -> FilterStep:
    """A :class:`FilterStep` for a filter."""
    weight = flt.effective_weight
    return FilterStep(flt.filter_id, flt.name, flt.action_type, weight, effect, **extra)  # type: ignore[arg-type]


def _no_match(flt: Filter, values: Mapping[str, Value]) -> FilterStep:
    match = filter_matches(flt.conditions, values)
    failed = " OR ".join(c.describe() for c in match.failed)
    field_name = match.failed[0].field if match.failed else ""
    got = display_field(field_name, match.incoming) if match.incoming else "FWP_EMPTY"
    return filter_step(flt, Effect.NO_MATCH, failed_condition=f"{failed} (value {got})")


@dataclass(frozen=True, slots=True, repr=False)
class Classification:
    """The outcome of classifying at one layer, with the full trace (built when first read).

    Arbitration records what decided (the decision, each sublayer's result, rights, vetoes,
    callout calls); :attr:`sublayers` — every filter's fate and the condition that failed —
    is built from that record the first time :meth:`explain`, a table, a picture or the
    player reads it, and kept.
    """

    layer: str
    layer_id: int | None
    values: Mapping[str, Value]
    walk: WalkRecord = field(repr=False, compare=False)
    action: Action = Action.NONE_NO_MATCH
    decision: Decision = field(default_factory=Decision)
    veto: bool = False
    absorbed: bool = False
    callouts_invoked: tuple[str, ...] = ()
    faults: tuple[str, ...] = ()
    choices: tuple[str, ...] = field(default=())
    #: the hard permit a veto overrode (its filter name), when :attr:`veto` is set
    vetoed: str = ""
    _built: list[tuple[SublayerTrace, ...]] = field(
        default_factory=list, init=False, repr=False, compare=False
    )

    @property
    def sublayers(self) -> tuple[SublayerTrace, ...]:
        """Every sublayer holding filters at the layer, each filter's fate (built on demand)."""
        if not self._built:
            self._built.append(self.walk.build())
        return self._built[0]

    @property
    def sublayer_results(self) -> tuple[SublayerRecord, ...]:
        """What each sublayer returned and the decision after it, without the full trace."""
        return self.walk.records

    def matched_steps(self) -> list[FilterStep]:
        """The filters whose conditions matched, in evaluation order (no full trace built)."""
        return [st for rec in self.walk.records for st in rec.matched.values()]

    @property
    def filter_id(self) -> int:
        """``classifyOut->filterId``: the filter that set the final action (0 if none)."""
        return self.decision.filter_id if self.action in (Action.PERMIT, Action.BLOCK) else 0

    @property
    def filter_name(self) -> str | None:
        """The name of the filter that set the final action."""
        return self.decision.filter_name if self.filter_id else None

    @property
    def permitted(self) -> bool:
        """Traffic passes: PERMIT, or no decision (NONE / NONE_NO_MATCH, our choice)."""
        return self.action != Action.BLOCK

    def steps(self) -> list[tuple[SublayerTrace, FilterStep]]:
        """Every filter step in evaluation order, with its sublayer."""
        return [(s, st) for s in self.sublayers for st in s.steps]

    def explain(self) -> str:
        """A plain-English account of why the classification came out this way."""
        from wfpsim.explain import explain

        return explain(self)

    def __str__(self) -> str:
        return self.explain()

    def _repr_html_(self) -> str:
        """In a notebook: the explanation, then every filter considered."""
        import html

        from wfpsim.report import trace_table

        text = html.escape(self.explain()).replace("\n", "<br>")
        return f"<p>{text}</p>" + trace_table(self)._repr_html_()

    def __repr__(self) -> str:
        from wfpsim.explain import headline

        return f"<Classification at {self.layer}: {headline(self)}>"
