"""Plain tables of engine state, for the terminal (``str``) and notebooks (``_repr_html_``).

>>> from wfpsim import Engine, Filter
>>> engine = Engine()
>>> _ = engine.add_filter(Filter("web", "STREAM_V4", weight=10))
>>> print(filters_table(engine))
id  name  layer      action  weight          effective weight    sublayer
--  ----  ---------  ------  --------------  ------------------  -----------------------
1   web   STREAM_V4  PERMIT  FWP_UINT64 0xa  0x000000000000000a  FWPM_SUBLAYER_UNIVERSAL
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from wfpsim.catalog import Layer, builtin_sublayers

if TYPE_CHECKING:  # the tables import the engine only when drawn (``wfpsim layers`` never)
    from wfpsim.engine import Engine
    from wfpsim.objects import Filter, Sublayer
    from wfpsim.trace import Classification


@dataclass(frozen=True, slots=True)
class Table:
    """Rows under a header; prints as aligned text and shows as HTML in Jupyter."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    title: str = ""

    def __str__(self) -> str:
        return text_table([self.header, *self.rows]) if self.rows else "(empty)"

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        head = "".join(f"<th style='text-align:left'>{html.escape(h)}</th>" for h in self.header)
        body = "".join(
            "<tr>"
            + "".join(f"<td style='text-align:left'>{html.escape(c)}</td>" for c in r)
            + "</tr>"
            for r in self.rows
        )
        caption = f"<caption>{html.escape(self.title)}</caption>" if self.title else ""
        return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def __len__(self) -> int:
        return len(self.rows)


def text_table(rows: Sequence[Sequence[str]]) -> str:
    """Align rows in columns, with a dashed line under the first row."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def filters_table(
    source: Engine | Iterable[Filter], layer: Layer | str | int | None = None
) -> Table:
    """One row per filter: id, name, layer, action, weight as given, effective weight, sublayer.

    ``source`` is an engine (all its filters, or one layer's, sorted by weight) or any list of
    filters.
    """
    from wfpsim.engine import Engine

    names = {s.guid: s.name for s in builtin_sublayers()}
    if isinstance(source, Engine):
        names.update({s.key: s.name for s in source.sublayers()})
        filters: Iterable[Filter] = source.filters(layer)
    else:
        filters = source
    rows = []
    for f in filters:
        action = f.action_type.name
        if f.is_callout and f.callout is not None:
            action += " (callout)"
        rows.append(
            (
                str(f.filter_id),
                f.name,
                f.layer.short_name,
                action,
                f.weight.describe(),
                f"{f.effective_weight:#018x}",
                names.get(f.sublayer, str(f.sublayer)),  # type: ignore[arg-type]
            )
        )
    header = ("id", "name", "layer", "action", "weight", "effective weight", "sublayer")
    return Table(header, tuple(rows), "filters")


def sublayers_table(sublayers: Iterable[Sublayer]) -> Table:
    """One row per sublayer: weight, name, key, built in or added."""
    rows = tuple(
        (str(s.weight), s.name, f"{{{s.key}}}", "built-in" if s.builtin else "added")
        for s in sublayers
    )
    return Table(("weight", "name", "key", "origin"), rows, "sublayers, highest weight first")


def order_table(engine: Engine, layer: Layer | str | int) -> Table:
    """The order arbitration visits a layer's filters: sublayer by sublayer, by weight."""
    rows = []
    for sub, filters in engine.evaluation_order(layer):
        for f in filters:
            rows.append(
                (
                    f"{sub.name} ({sub.weight})",
                    str(f.filter_id),
                    f.name,
                    f.action_type.name,
                    f"{f.effective_weight:#018x}",
                )
            )
    header = ("sublayer (weight)", "id", "filter", "action", "effective weight")
    return Table(header, tuple(rows), "evaluation order")


def fields_table(layer: Layer) -> Table:
    """A layer's ``FWPS_FIELD_*`` enumeration with condition keys and data types."""
    rows = tuple(
        (
            str(f.index),
            f.name,
            f.condition or "(reserved)",
            f.type.fwp_name if f.type else "-",
        )
        for f in layer.fields
    )
    return Table(("index", "field", "condition", "type"), rows, layer.name)


def trace_table(c: Classification) -> Table:
    """Every filter a classification considered, sublayer by sublayer, with what it did."""
    rows = []
    for sub in c.sublayers:
        for step in sub.steps:
            what = step.effect.value
            if step.failed_condition:
                what += f": {step.failed_condition}"
            call = step.callout
            callout = ""
            if call:
                right = "with" if call.had_write_right else "without"
                callout = f"{call.callout} ({right} right) -> {call.normalized.name}"
            rows.append(
                (
                    f"{sub.name} ({sub.weight})",
                    str(step.filter_id),
                    step.name,
                    step.action.name,
                    what,
                    callout,
                )
            )
        rows.append(("", "", f"=> sublayer result {sub.result.name}", "", "", ""))
    header = ("sublayer (weight)", "id", "filter", "action", "what happened", "callout")
    return Table(header, tuple(rows), f"{c.layer}: {c.action.name}")
