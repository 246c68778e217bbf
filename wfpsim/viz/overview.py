"""A whole machine on one screen: layers × sublayers, with filter counts by action.

A real machine carries hundreds of filters on dozens of layers; one weight graph per layer is
readable, all of them in one image is not (32,767 pixels tall). :func:`machine_overview` draws a
table instead: one row per layer that holds filters (in run-time id order), one column per
sublayer that holds filters (highest weight first, with its weight), and in each cell how many
PERMIT, BLOCK and callout filters sit there — callout cells marked, since that is where unknown
drivers can change a verdict. Drill down into a layer with
:func:`wfpsim.viz.weights.weight_graph`, or in a notebook with :func:`machine_explorer`: the
overview, its layers as a clickable list, and the chosen layer's weight graph.

>>> from wfpsim.runner import build, find
>>> from wfpsim.scenario import load
>>> pic = machine_overview(build(load(find("rules-that-never-apply"))))
>>> "ALE_AUTH_CONNECT_V4" in pic.source and "Local rules" in pic.source
True
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from wfpsim.catalog import Layer
from wfpsim.catalog import layer as find_layer
from wfpsim.engine import Engine
from wfpsim.objects import Action, Sublayer
from wfpsim.viz.svg import FONT, Picture, colors, html, shorten

__all__ = ["LayerCounts", "counts", "machine_explorer", "machine_overview"]


@dataclass(frozen=True, slots=True)
class LayerCounts:
    """One layer's filters per sublayer: ``{sublayer name: Counter(PERMIT=…, BLOCK=…, …)}``."""

    layer: Layer
    cells: dict[str, Counter[str]]

    @property
    def total(self) -> int:
        """Filters at the layer."""
        return sum(sum(c.values()) for c in self.cells.values())


def _kind(action: Action) -> str:
    if action in (Action.PERMIT, Action.BLOCK):
        return action.name
    return "CALLOUT"


def counts(engine: Engine) -> tuple[list[Sublayer], list[LayerCounts]]:
    """The sublayers that hold filters (by weight) and each layer's counts (by run-time id)."""
    per_layer: dict[str, LayerCounts] = {}
    used: dict[str, Sublayer] = {}
    seen = {find_layer(f.layer).name: find_layer(f.layer) for f in engine.filters()}
    for name, la in seen.items():
        entry = per_layer.setdefault(name, LayerCounts(la, {}))
        for sub, members in engine.evaluation_order(la):
            if members:
                used[sub.name] = sub
            cell = entry.cells.setdefault(sub.name, Counter())
            for flt in members:
                cell[_kind(Action.parse(flt.action))] += 1
    order = sorted(per_layer.values(), key=lambda c: (c.layer.id is None, c.layer.id or 0))
    subs = sorted(used.values(), key=lambda s: (-s.weight, s.name))
    return subs, order


def _cell(counter: Counter[str] | None) -> str:
    if not counter:
        return '<td bgcolor="#fafafa"> </td>'
    parts = []
    for kind, action in (("PERMIT", Action.PERMIT), ("BLOCK", Action.BLOCK),
                         ("CALLOUT", Action.CALLOUT_TERMINATING)):  # fmt: skip
        if counter.get(kind):
            _fill, _border, text = colors(action)
            parts.append(f'<font color="{text}"><b>{counter[kind]}</b></font>')
    fill = colors(Action.CALLOUT_TERMINATING)[0] if counter.get("CALLOUT") else "#ffffff"
    return f'<td bgcolor="{fill}">{" ".join(parts)}</td>'


def machine_overview(engine: Engine, title: str = "") -> Picture:
    """The overview picture of every layer and sublayer holding filters (see the module doc)."""
    subs, rows = counts(engine)
    head = "".join(
        f'<td bgcolor="#eceff1"><font point-size="9">{html(shorten(s.name, 28))}<br/>'
        f"weight {s.weight:#06x}</font></td>"
        for s in subs
    )
    body = []
    for row in rows:
        name = html(row.layer.name.removeprefix("FWPM_LAYER_"))
        label = f'<td align="left" bgcolor="#eceff1"><b>{name}</b> ({row.total})</td>'
        body.append("<tr>" + label + "".join(_cell(row.cells.get(s.name)) for s in subs) + "</tr>")
    permit, block, callout = (colors(a)[2] for a in (Action.PERMIT, Action.BLOCK,
                                                     Action.CALLOUT_TERMINATING))  # fmt: skip
    total = sum(r.total for r in rows)
    caption = html(title or f"{total} filters on {len(rows)} layers, {len(subs)} sublayers")
    legend = (
        f'<font color="{permit}"><b>PERMIT</b></font>  <font color="{block}"><b>BLOCK</b></font>'
        f'  <font color="{callout}"><b>callout</b></font> filters per cell (orange cells hold '
        "callouts); columns: sublayers, highest weight first"
    )
    cols = len(subs) + 1
    table = (
        '<<table border="0" cellborder="1" cellspacing="0" cellpadding="4">'
        f'<tr><td colspan="{cols}" align="left"><b>{caption}</b></td></tr>'
        f'<tr><td colspan="{cols}" align="left"><font point-size="9">{legend}</font></td></tr>'
        f'<tr><td bgcolor="#eceff1"><b>layer (filters)</b></td>{head}</tr>'
        + "".join(body)
        + "</table>>"
    )
    source = (
        f'digraph overview {{\n  graph [fontname="{FONT}"];\n'
        f'  node [shape=plaintext, fontname="{FONT}", fontsize=10];\n'
        f"  table [label={table}];\n}}\n"
    )
    return Picture(source)


def machine_explorer(engine: Engine, layer: str | None = None, max_filters: int = 40) -> Any:
    """A notebook widget to drill down: the overview, the layers holding filters as a list to
    click, and the chosen layer's weight graph (with a sublayer choice).

    Args:
        engine: the machine (a scenario's or an imported dump's engine).
        layer: the layer shown first (default: the one with the most filters).
        max_filters: filters drawn per sublayer before the rest are summed up.

    Returns:
        A :class:`wfpsim.viz.explorer.MachineExplorer` (an ``ipywidgets`` box); display it, click
        a layer, or call its ``select(layer, sublayer)``.

    Raises:
        InvalidParameterError: ``layer`` holds no filter on this machine.
    """
    from wfpsim.viz.explorer import MachineExplorer

    return MachineExplorer(engine, layer, max_filters)
