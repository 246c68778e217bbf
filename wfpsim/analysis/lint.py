"""Filters that never take effect: shadowed, redundant, overridden, or waiting for a callout.

The rules follow Microsoft's *Filter Arbitration* page, as :mod:`wfpsim.arbitration` does:
inside a sublayer the first matching PERMIT or BLOCK ends the sublayer, so a filter whose traffic
a higher-weight static filter of the same sublayer always matches is never reached (**shadowed**;
**redundant** when the earlier filter gives the same decision). Across sublayers a static BLOCK is
hard, a static PERMIT soft (hard with ``FWPM_FILTER_FLAG_CLEAR_ACTION_RIGHT``), and a lower
sublayer may override a soft decision only; a filter whose decision, on all of its traffic, is
replaced by another sublayer's is **overridden** (a soft permit under a covering block, or a block
that a covering hard permit in a higher sublayer makes unreachable). A callout filter whose
callout no driver registered acts as a block filter (or a permit with
``PERMIT_IF_CALLOUT_UNREGISTERED``) and is listed as **unregistered-callout**.

Coverage is exact for EQUAL, RANGE, address masks and prefixes on the same fields and unknown
elsewhere (:mod:`wfpsim.analysis.coverage`): an unknown answer becomes a finding with
``certain=False`` ("possibly shadowed"), never a false claim. Only static filters are taken to
end a sublayer for sure; a callout that may return CONTINUE, PERMIT or BLOCK makes the outcome
unknown and no "overridden" finding is made through it.

>>> from wfpsim import Condition, Engine, Filter
>>> engine = Engine()
>>> _ = engine.add_filter(Filter("web", "ALE_AUTH_CONNECT_V4", "PERMIT",
...     [Condition("IP_REMOTE_PORT", "RANGE", (1, 1023))], weight=10))
>>> _ = engine.add_filter(Filter("no http", "ALE_AUTH_CONNECT_V4", "BLOCK",
...     [Condition("IP_REMOTE_PORT", "EQUAL", 80)], weight=5))
>>> [(f.kind, f.name, f.by) for f in lint(engine)]
[('shadowed', 'no http', (1,))]
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from wfpsim.analysis.coverage import Coverage, covers, may_overlap
from wfpsim.catalog import Layer, layer
from wfpsim.engine import Engine
from wfpsim.errors import InvalidParameterError
from wfpsim.objects import Action, Filter, FilterFlag, Sublayer

__all__ = ["Finding", "lint"]

#: The kinds of finding, in the order a report lists them.
KINDS = ("shadowed", "redundant", "overridden", "unregistered-callout")


@dataclass(frozen=True, slots=True)
class Finding:
    """One filter that never takes effect, the filters responsible and why."""

    kind: str
    filter_id: int
    name: str
    layer: str
    sublayer: str
    by: tuple[int, ...]
    why: str
    certain: bool = True

    def to_json(self) -> dict[str, object]:
        """The JSON shape of ``wfpsim lint --json``."""
        return {
            "kind": self.kind,
            "filter_id": self.filter_id,
            "name": self.name,
            "layer": self.layer,
            "sublayer": self.sublayer,
            "by": list(self.by),
            "why": self.why,
            "certain": self.certain,
        }

    def __str__(self) -> str:
        hedge = "" if self.certain else "possibly "
        return (
            f"{hedge}{self.kind}: filter {self.filter_id} {self.name!r} at {self.layer}: {self.why}"
        )


# What a filter decides, shared by the analyses (lint here, explain_filter in filters.py) ----
def is_static(flt: Filter) -> bool:
    """A PERMIT or BLOCK filter: it decides without a callout."""
    return flt.action in (Action.PERMIT, Action.BLOCK)


def is_hard(flt: Filter) -> bool:
    """Its decision clears the write right: a BLOCK, or a filter with CLEAR_ACTION_RIGHT."""
    return flt.action == Action.BLOCK or bool(flt.flags & FilterFlag.CLEAR_ACTION_RIGHT)


def says(flt: Filter) -> str:
    """What the filter decides, in words: ``hard BLOCK``, ``soft PERMIT``, ``… callout``."""
    if not is_static(flt):
        return f"{flt.action.name} callout"
    return f"{'hard' if is_hard(flt) else 'soft'} {flt.action.name}"


def _named(flt: Filter) -> str:
    return f"{flt.name!r} (filter {flt.filter_id})"


def _within_sublayer(where: str, sub: Sublayer, filters: Sequence[Filter]) -> Iterator[Finding]:
    """Shadowed and redundant filters: an earlier static filter of the sublayer covers them."""
    for i, flt in enumerate(filters):
        maybe: Filter | None = None
        for earlier in filters[:i]:
            if not is_static(earlier):
                continue
            answer = covers(earlier.conditions, flt.conditions)
            if answer == Coverage.YES:
                yield _shadow(where, sub, flt, earlier, certain=True)
                break
            if answer == Coverage.POSSIBLY and maybe is None:
                maybe = earlier
        else:
            if maybe is not None:
                yield _shadow(where, sub, flt, maybe, certain=False)


def _shadow(where: str, sub: Sublayer, flt: Filter, earlier: Filter, certain: bool) -> Finding:
    same = is_static(flt) and says(flt) == says(earlier)
    kind = "redundant" if same else "shadowed"
    covered = "matches all of its traffic" if certain else "may match all of its traffic"
    ends = "gives the same decision" if same else f"ends the sublayer with a {says(earlier)}"
    why = (
        f"{_named(earlier)}, higher in sublayer {sub.name!r}, {covered} and {ends} first"
        f" (this filter: {says(flt)})"
    )
    return Finding(
        kind, flt.filter_id, flt.name, where, sub.name, (earlier.filter_id,), why, certain
    )


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What one sublayer does with all of a filter's traffic: decided, no match, or unknown."""

    decider: Filter | None
    known: bool
    by_callout: bool = False


def _sublayer_outcome(filters: Sequence[Filter], target: Filter) -> _Outcome:
    for flt in filters:
        if not may_overlap(flt.conditions, target.conditions):
            continue
        if flt.action == Action.CALLOUT_INSPECTION:
            continue  # an inspection callout answers CONTINUE
        if is_static(flt) and covers(flt.conditions, target.conditions) == Coverage.YES:
            return _Outcome(flt, True)
        return _Outcome(None, False, by_callout=not is_static(flt))
    return _Outcome(None, True)


def _overridden(
    where: str, order: Sequence[tuple[Sublayer, Sequence[Filter]]]
) -> Iterator[Finding]:
    for sub, filters in order:
        for flt in filters:
            if is_static(flt):
                finding = _carry(where, order, sub, flt)
                if finding is not None:
                    yield finding


def _carry(
    where: str, order: Sequence[tuple[Sublayer, Sequence[Filter]]], home: Sublayer, flt: Filter
) -> Finding | None:
    """Arbitrate symbolically over the traffic where ``flt`` decides its own sublayer."""
    decider: Filter | None = None
    writable = True
    for sub, filters in order:
        outcome = _Outcome(flt, True) if sub.key == home.key else _sublayer_outcome(filters, flt)
        if not outcome.known:
            if writable or (outcome.by_callout and decider and decider.action == Action.PERMIT):
                return None  # the unknown sublayer may change the result (or veto)
            continue
        if outcome.decider is not None and writable:
            decider = outcome.decider
            writable = not is_hard(decider)
    if decider is None or decider is flt or decider.action == flt.action:
        return None
    how = (
        f"its {says(flt)} is always replaced by the {says(decider)} of {_named(decider)}"
        f" in sublayer {_sublayer_of(order, decider)!r}"
    )
    return Finding(
        "overridden", flt.filter_id, flt.name, where, home.name, (decider.filter_id,), how
    )


def _sublayer_of(order: Sequence[tuple[Sublayer, Sequence[Filter]]], flt: Filter) -> str:
    return next(sub.name for sub, filters in order if any(f is flt for f in filters))


def _layers_with_filters(engine: Engine) -> list[Layer]:
    """The layers holding filters, by run-time id (layers without one last, by name)."""
    seen: dict[str, Layer] = {}
    for flt in engine.filters():
        seen.setdefault(flt.layer.name, flt.layer)
    return sorted(seen.values(), key=lambda la: (la.id is None, la.id or 0, la.name))


def _registered(engine: Engine, flt: Filter) -> bool:
    """The filter calls no callout, or its callout is registered."""
    return flt.callout is None or engine.is_registered(flt.callout)


def lint(engine: Engine, at: Layer | str | int | None = None) -> list[Finding]:
    """Every filter of an engine (or of one layer, ``at``) that never takes effect.

    Returns findings grouped by layer (by run-time id) and kind, then by filter id, each with
    the filters responsible and the reason.

    Raises:
        InvalidParameterError: ``engine`` is not an :class:`~wfpsim.engine.Engine`.
        LayerNotFoundError: ``at`` names no layer.
    """
    if not isinstance(engine, Engine):
        raise InvalidParameterError(f"lint takes an Engine, got {type(engine).__name__}")
    found: list[Finding] = []
    chosen = _layers_with_filters(engine) if at is None else [layer(at)]
    for lay in chosen:
        where = lay.short_name
        order = engine.evaluation_order(lay)
        per_layer: list[Finding] = []
        reported: set[int] = set()
        for sub, filters in order:
            for finding in _within_sublayer(where, sub, filters):
                per_layer.append(finding)
                reported.add(finding.filter_id)
        for finding in _overridden(where, order):
            if finding.filter_id not in reported:
                per_layer.append(finding)
        for _sub, filters in order:
            for flt in filters:
                if flt.action.is_callout and not _registered(engine, flt):
                    per_layer.append(_unregistered(where, _sub, flt))
        per_layer.sort(key=lambda f: (KINDS.index(f.kind), f.filter_id))
        found.extend(per_layer)
    return found


def _unregistered(where: str, sub: Sublayer, flt: Filter) -> Finding:
    if flt.action == Action.CALLOUT_INSPECTION:
        acts = "it is skipped (an inspection callout that is not registered)"
    elif flt.flags & FilterFlag.PERMIT_IF_CALLOUT_UNREGISTERED:
        acts = "it acts as a PERMIT filter (PERMIT_IF_CALLOUT_UNREGISTERED)"
    else:
        acts = "it acts as a BLOCK filter"
    why = f"its callout is not registered by any driver: {acts}"
    return Finding("unregistered-callout", flt.filter_id, flt.name, where, sub.name, (), why)
