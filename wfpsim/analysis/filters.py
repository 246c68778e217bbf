"""One filter in words: where it stands, what can pre-empt it, and the traffic it matches.

This answers the question an event 5157 or a ``CLASSIFY_DROP`` net event raises: it names a
filter id; what is that filter, and could another one have decided first? The answer reads the
policy (as :func:`wfpsim.analysis.lint` does) and never classifies.

A filter can be **pre-empted** by (our reading of Microsoft's *Filter Arbitration* page):

* a filter higher in the same sublayer that may match some of its traffic: the first matching
  PERMIT or BLOCK ends the sublayer, and a callout there may decide first;
* a filter in a higher-weight sublayer that makes a hard decision (a static BLOCK, a PERMIT with
  ``CLEAR_ACTION_RIGHT``, or a callout) on some of its traffic: a lower sublayer may override only
  a soft decision;
* for a soft PERMIT, a BLOCK (static or by a callout) in any other sublayer on some of its traffic.

>>> from wfpsim.runner import build, find
>>> from wfpsim.scenario import load
>>> engine = build(load(find("rules-that-never-apply")))
>>> report = explain_filter(engine, 2)
>>> [(p["name"], p["covers"]) for p in report.preempted_by]
[('web ports', 'all')]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from wfpsim.analysis.coverage import Coverage, covers, may_overlap
from wfpsim.analysis.lint import Finding, is_hard, lint
from wfpsim.catalog import layer
from wfpsim.conditions import describe_conditions, group_by_field
from wfpsim.engine import Engine
from wfpsim.errors import FilterNotFoundError, InvalidParameterError
from wfpsim.ids import FWPM_AUTO_WEIGHT_BITS
from wfpsim.objects import Action, Filter, FilterFlag, Sublayer

__all__ = ["FilterExplanation", "explain_filter"]


@dataclass(frozen=True, slots=True)
class FilterExplanation:
    """What ``wfpsim explain DUMP --filter-id N`` shows."""

    filter_id: int
    name: str
    layer: str
    layer_id: int | None
    sublayer: str
    sublayer_weight: int
    provider: str | None
    action: str
    callout: str | None
    weight: str
    effective_weight: int
    flags: tuple[str, ...]
    conditions: tuple[str, ...]
    position: int
    of: int
    preempted_by: tuple[dict[str, object], ...] = ()
    findings: tuple[Finding, ...] = field(default=())

    def to_json(self) -> dict[str, object]:
        """Keys ``filter_id, name, layer, sublayer, provider, action, effective_weight,
        conditions, preempted_by`` (and a few more: weight, flags, callout, position, lint)."""
        return {
            "filter_id": self.filter_id,
            "name": self.name,
            "layer": self.layer,
            "layer_id": self.layer_id,
            "sublayer": self.sublayer,
            "sublayer_weight": self.sublayer_weight,
            "provider": self.provider,
            "action": self.action,
            "callout": self.callout,
            "weight": self.weight,
            "effective_weight": f"{self.effective_weight:#018x}",
            "flags": list(self.flags),
            "conditions": list(self.conditions),
            "position": self.position,
            "of": self.of,
            "preempted_by": [dict(p) for p in self.preempted_by],
            "lint": [f.to_json() for f in self.findings],
        }

    def text(self) -> str:
        """The explanation in words."""
        eff = self.effective_weight
        top = eff >> FWPM_AUTO_WEIGHT_BITS
        lines = [
            f"Filter {self.filter_id} {self.name!r}",
            f"  layer:     {self.layer} (run-time id {self.layer_id})",
            f"  sublayer:  {self.sublayer!r} (weight {self.sublayer_weight:#06x})",
            f"  provider:  {self.provider or '(none)'}",
            f"  action:    {self.action}"
            + (f" -> callout {self.callout!r}" if self.callout else ""),
            f"  weight:    {self.weight}; effective {eff:#018x} (range {top}, "
            f"low 60 bits {eff & ((1 << FWPM_AUTO_WEIGHT_BITS) - 1):#x})",
            f"  flags:     {', '.join(self.flags) or 'none'}",
            "  matches:   "
            + (" AND ".join(self.conditions) if self.conditions else "all traffic at the layer"),
            f"  position:  {self.position} of {self.of} filters in its sublayer, by weight",
        ]
        if self.preempted_by:
            lines.append("  can be pre-empted by:")
            for p in self.preempted_by:
                lines.append(
                    f"    - filter {p['filter_id']} {p['name']!r} ({p['action']}, sublayer "
                    f"{p['sublayer']!r}) on {p['covers']} of its traffic: {p['why']}"
                )
        else:
            lines.append("  can be pre-empted by: nothing (no other filter may decide first)")
        for finding in self.findings:
            lines.append(f"  never takes effect: {finding}")
        return "\n".join(lines)


def _may_decide_hard(flt: Filter) -> bool:
    """A hard decision (:func:`~wfpsim.analysis.lint.is_hard`), or a callout that may clear the
    write right itself."""
    return is_hard(flt) or flt.action.is_callout


def _row(flt: Filter, sub: Sublayer, target: Filter, why: str) -> dict[str, object]:
    whole = covers(flt.conditions, target.conditions) == Coverage.YES
    return {
        "filter_id": flt.filter_id,
        "name": flt.name,
        "sublayer": sub.name,
        "action": flt.action.name,
        "covers": "all" if whole else "some",
        "why": why,
    }


def _preempting(
    order: Sequence[tuple[Sublayer, Sequence[Filter]]], home: Sublayer, target: Filter
) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    above = True
    soft_permit = target.action == Action.PERMIT and not _may_decide_hard(target)
    for sub, filters in order:
        if sub.key == home.key:
            above = False
            for flt in filters:
                if flt is target:
                    break
                if may_overlap(flt.conditions, target.conditions):
                    why = "higher in the same sublayer: it is evaluated first"
                    if flt.action == Action.CALLOUT_INSPECTION:
                        continue
                    rows.append(_row(flt, sub, target, why))
            continue
        for flt in filters:
            if not may_overlap(flt.conditions, target.conditions):
                continue
            action = flt.action
            if above and _may_decide_hard(flt) and action != Action.CALLOUT_INSPECTION:
                rows.append(_row(flt, sub, target, "a hard decision in a higher sublayer"))
            elif soft_permit and (action == Action.BLOCK or action.is_callout):
                if action == Action.CALLOUT_INSPECTION:
                    continue
                where = "higher" if above else "lower"
                rows.append(
                    _row(flt, sub, target, f"a block in a {where} sublayer overrides a soft permit")
                )
    return rows


def explain_filter(engine: Engine, filter_id: int) -> FilterExplanation:
    """Explain one filter of an engine by its run-time id (as events 5152/5157 name it).

    Raises:
        FilterNotFoundError: no filter has that id (the dump may be from another time).
        InvalidParameterError: ``filter_id`` is not a whole number.
    """
    if isinstance(filter_id, bool) or not isinstance(filter_id, int):
        raise InvalidParameterError(
            f"explain_filter: filter_id must be a whole number (a run-time filter id), "
            f"got {filter_id!r}"
        )
    try:
        target = engine.filter(filter_id)
    except FilterNotFoundError:
        raise FilterNotFoundError(
            f"no filter with id {filter_id} in this policy ({len(engine.filters())} filters; "
            "filter ids change at every boot: was the dump taken at the time of the event?)"
        ) from None
    lay = layer(target.layer)
    order = engine.evaluation_order(lay)
    home, peers = next(
        (s, fs) for s, fs in order if any(f is target or f.filter_id == filter_id for f in fs)
    )
    position = next(i for i, f in enumerate(peers, 1) if f.filter_id == filter_id)
    target = peers[position - 1]
    provider = None
    if target.provider is not None:
        provider = next(
            (p.name for p in engine.providers() if p.key == target.provider), str(target.provider)
        )
    callout = None
    if target.callout is not None:
        callout = next(
            (c.name for c in engine.callouts() if c.key == target.callout), str(target.callout)
        )
    flags = target.flags
    findings = tuple(f for f in lint(engine, lay) if f.filter_id == filter_id)
    return FilterExplanation(
        filter_id=filter_id,
        name=target.name,
        layer=lay.short_name,
        layer_id=lay.id,
        sublayer=home.name,
        sublayer_weight=home.weight,
        provider=provider,
        action=target.action.name,
        callout=callout,
        weight=target.weight.describe(),
        effective_weight=target.effective_weight,
        flags=tuple(f.name for f in FilterFlag if f and f in flags and f.name),
        conditions=tuple(
            describe_conditions(g) for g in group_by_field(target.conditions).values()
        ),
        position=position,
        of=len(peers),
        preempted_by=tuple(_preempting(order, home, target)),
        findings=findings,
    )
