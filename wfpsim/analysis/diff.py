"""What changed between two policies: providers, sublayers, callouts and filters by object key.

Objects are matched by their GUID key, as the BFE identifies them (a filter's run-time id differs
from boot to boot and machine to machine, so it is shown but never compared). For a changed
object the report names the fields that differ (``weight``, ``conditions``, ``action``, ``flags``,
``sublayer``, …) with their values before and after. Conditions are compared as a set: the
same conditions in another order are the same filter.

>>> from wfpsim import Condition, Engine, Filter
>>> before, after = Engine(), Engine()
>>> rule = Filter("no telnet", "ALE_AUTH_CONNECT_V4", "BLOCK",
...               [Condition("IP_REMOTE_PORT", "EQUAL", 23)], weight=5)
>>> _ = before.add_filter(rule)
>>> _ = after.add_filter(Filter("no telnet", "ALE_AUTH_CONNECT_V4", "BLOCK",
...     [Condition("IP_REMOTE_PORT", "EQUAL", 23)], weight=9, key=before.filters()[0].key))
>>> change = diff(before, after)
>>> [(c.name, c.fields) for c in change.filters.changed]
[('no telnet', ('weight', 'effective_weight'))]
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from wfpsim.catalog import layer
from wfpsim.engine import Engine
from wfpsim.errors import InvalidParameterError
from wfpsim.objects import Callout, Filter, Provider, Sublayer

#: The kinds of object a policy holds.
Obj = Provider | Sublayer | Callout | Filter

__all__ = ["Change", "KindDiff", "PolicyDiff", "diff", "flows_diff"]

#: The object kinds compared, in report order.
KINDS = ("providers", "sublayers", "callouts", "filters")

#: The fields compared for each kind (a filter's id and a callout's run-time id are not).
FIELDS: dict[str, tuple[str, ...]] = {
    "providers": ("name", "description", "flags", "service_name"),
    "sublayers": ("name", "description", "weight", "flags", "provider"),
    "callouts": ("name", "description", "layer", "flags", "provider"),
    "filters": (
        "name",
        "description",
        "layer",
        "action",
        "sublayer",
        "callout",
        "provider",
        "weight",
        "effective_weight",
        "flags",
        "conditions",
        "raw_context",
    ),
}


@dataclass(frozen=True, slots=True)
class Change:
    """One object present in both policies whose compared fields differ."""

    key: uuid.UUID
    name: str
    fields: tuple[str, ...]
    before: Mapping[str, str] = field(default_factory=dict)
    after: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        """``{"key", "name", "fields", "before", "after"}``."""
        return {
            "key": str(self.key),
            "name": self.name,
            "fields": list(self.fields),
            "before": dict(self.before),
            "after": dict(self.after),
        }


@dataclass(frozen=True, slots=True)
class KindDiff:
    """Added, removed and changed objects of one kind."""

    added: tuple[dict[str, object], ...] = ()
    removed: tuple[dict[str, object], ...] = ()
    changed: tuple[Change, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def to_json(self) -> dict[str, object]:
        """``{"added": [...], "removed": [...], "changed": [{"key", "name", "fields"}]}``."""
        return {
            "added": list(self.added),
            "removed": list(self.removed),
            "changed": [c.to_json() for c in self.changed],
        }


@dataclass(frozen=True, slots=True)
class PolicyDiff:
    """The whole comparison, one :class:`KindDiff` per kind."""

    providers: KindDiff
    sublayers: KindDiff
    callouts: KindDiff
    filters: KindDiff

    def __bool__(self) -> bool:
        return any(self.kind(k) for k in KINDS)

    def kind(self, name: str) -> KindDiff:
        """The part of the diff for ``providers``, ``sublayers``, ``callouts`` or ``filters``."""
        part: KindDiff = getattr(self, name)
        return part

    def to_json(self) -> dict[str, object]:
        """Per kind ``{"added", "removed", "changed"}``."""
        return {k: self.kind(k).to_json() for k in KINDS}

    def text(self) -> str:
        """A report for people: one line per object, the changed fields spelled out."""
        lines: list[str] = []
        for name in KINDS:
            part = self.kind(name)
            counts = f"{len(part.added)} added, {len(part.removed)} removed"
            lines.append(f"{name}: {counts}, {len(part.changed)} changed")
            lines += [f"  + {_label(item)}" for item in part.added]
            lines += [f"  - {_label(item)}" for item in part.removed]
            for change in part.changed:
                lines.append(f"  ~ {change.name!r} {{{change.key}}}")
                lines += [
                    f"      {f}: {change.before.get(f, '')} -> {change.after.get(f, '')}"
                    for f in change.fields
                ]
        return "\n".join(lines)


def _label(item: Mapping[str, object]) -> str:
    where = f" at {item['layer']}" if "layer" in item else ""
    ident = f" (filter {item['filter_id']})" if "filter_id" in item else ""
    return f"{item['name']!r}{where}{ident} {{{item['key']}}}"


def _show(value: object, names: Callable[[uuid.UUID], str]) -> str:
    """A field's value as comparable text (keys by name where the policy knows it)."""
    if value is None:
        return ""
    if isinstance(value, uuid.UUID):
        return names(value)
    if isinstance(value, (list, tuple)):
        return " AND ".join(sorted(_show(v, names) for v in value))
    describe = getattr(value, "describe", None)
    if callable(describe):
        return str(describe())
    short = getattr(value, "short_name", None)
    if isinstance(short, str):
        return short
    fwp = getattr(value, "fwp_name", None)
    if isinstance(fwp, str):
        return fwp
    if isinstance(value, int) and not isinstance(value, bool) and value > 9:
        return f"{value:#x}"
    return str(value)


def _objects(engine: Engine, kind: str) -> dict[uuid.UUID, Obj]:
    items: Iterable[Obj]
    if kind == "providers":
        items = engine.providers()
    elif kind == "sublayers":
        items = engine.sublayers()
    elif kind == "callouts":
        items = engine.callouts()
    else:
        items = engine.filters()
    return {o.key: o for o in items}


def _summary(obj: Obj) -> dict[str, object]:
    out: dict[str, object] = {"key": str(obj.key), "name": obj.name}
    if isinstance(obj, (Callout, Filter)):
        out["layer"] = layer(obj.layer).short_name
    if isinstance(obj, Filter):
        out["filter_id"] = obj.filter_id
    return out


def _namer(engine: Engine) -> Callable[[uuid.UUID], str]:
    known: dict[uuid.UUID, str] = {}
    for kind in ("providers", "sublayers", "callouts"):
        known.update({k: o.name for k, o in _objects(engine, kind).items()})
    return lambda key: known.get(key, str(key))


def _kind(a: Engine, b: Engine, kind: str) -> KindDiff:
    left, right = _objects(a, kind), _objects(b, kind)
    name_a, name_b = _namer(a), _namer(b)
    changed: list[Change] = []
    for key in sorted(left.keys() & right.keys(), key=lambda k: right[k].name):
        before = {f: _show(getattr(left[key], f, None), name_a) for f in FIELDS[kind]}
        after = {f: _show(getattr(right[key], f, None), name_b) for f in FIELDS[kind]}
        differ = tuple(f for f in FIELDS[kind] if before[f] != after[f])
        if differ:
            shown_b = {f: before[f] for f in differ}
            shown_a = {f: after[f] for f in differ}
            name = right[key].name
            changed.append(Change(key, name, differ, shown_b, shown_a))
    added = [_summary(right[k]) for k in right.keys() - left.keys()]
    removed = [_summary(left[k]) for k in left.keys() - right.keys()]
    order = lambda item: (str(item.get("layer", "")), str(item["name"]), str(item["key"]))  # noqa: E731
    return KindDiff(
        tuple(sorted(added, key=order)), tuple(sorted(removed, key=order)), tuple(changed)
    )


def diff(before: Engine, after: Engine) -> PolicyDiff:
    """Compare two engines (two dumps, two scenarios, or one machine before and after a change).

    Raises:
        InvalidParameterError: either argument is not an :class:`~wfpsim.engine.Engine`.
    """
    for what, engine in (("before", before), ("after", after)):
        if not isinstance(engine, Engine):
            raise InvalidParameterError(
                f"diff: {what} must be an Engine, got {type(engine).__name__}"
            )
    parts = {kind: _kind(before, after, kind) for kind in KINDS}
    return PolicyDiff(**parts)


def flows_diff(before: Engine, after: Engine, traffic_file: str) -> list[dict[str, Any]]:
    """Run each ``[[traffic]]`` entry of a scenario file on both policies; compare verdicts.

    Verdicts are PERMIT, BLOCK, DROP or DEPENDS (unknown callouts, see
    :mod:`wfpsim.analysis.whatif`). Returns one row per flow:
    ``{"flow", "before", "after", "changed"}``.
    """
    from wfpsim.analysis.flows import explain_flow
    from wfpsim.runner import find
    from wfpsim.scenario import load

    rows: list[dict[str, Any]] = []
    for t in load(find(traffic_file)).traffic:
        verdicts = []
        for engine in (before, after):
            flow = explain_flow(
                engine, t.kind, t.direction, t.local, t.remote, app=t.app, user=t.user,
                listening=t.listening, payload=t.payload,
            )  # fmt: skip
            verdicts.append(flow.verdict)
        name = t.name or f"{t.kind} {t.direction} {t.local} -> {t.remote}"
        rows.append(
            {"flow": name, "before": verdicts[0], "after": verdicts[1],
             "changed": verdicts[0] != verdicts[1]}
        )  # fmt: skip
    return rows
