"""The weight graph: a layer, its sublayers by weight, and their filters by effective weight.

Read it top to bottom and left to right, the way BFE arbitrates: each column is one sublayer
(highest weight on the left), and inside a column the filters are listed by effective weight,
the first one evaluated at the top. Filter boxes are coloured by action: permit green, block
red, terminating (and unknown) callouts orange, inspection callouts blue; the legend says so.

Big policies stay readable: a sublayer with more than ``max_filters`` filters shows the first
ones and one "+N more" box per action for the rest; ``expand`` names sublayers to draw in full.

Every element has a stable SVG id: ``layer-<LAYER>`` for a layer, ``sl-<LAYER>-<slug>`` for a
sublayer (its name in lower case, other characters as ``-``), ``f-<filter id>`` for a filter,
``more-<LAYER>-<slug>-<ACTION>`` for a "+N more" box and ``legend`` for the legend.

>>> from wfpsim import Engine, Filter
>>> engine = Engine()
>>> _ = engine.add_filter(Filter("no telnet", "ALE_AUTH_CONNECT_V4", "BLOCK"))
>>> pic = weight_graph(engine)
>>> 'id="f-1"' in pic.source and 'id="sl-ALE_AUTH_CONNECT_V4-fwpm-sublayer-universal"' in pic.source
True
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from wfpsim.catalog import Layer, layers
from wfpsim.catalog import layer as find_layer
from wfpsim.engine import Engine
from wfpsim.errors import InvalidParameterError
from wfpsim.objects import Filter, Sublayer
from wfpsim.viz.svg import FONT, Picture, quote
from wfpsim.viz.weightboxes import (
    callout_text,
    filter_box,
    layer_box,
    legend_box,
    more_boxes,
    note_box,
    slug,
    sublayer_box,
)


def _slugs(engine: Engine) -> dict[uuid.UUID, str]:
    """Every sublayer's id slug; a repeated slug gets ``-2``, ``-3``… in weight order."""
    seen: dict[str, int] = {}
    out: dict[uuid.UUID, str] = {}
    for sub in engine.sublayers():
        base = slug(sub.name)
        seen[base] = seen.get(base, 0) + 1
        out[sub.key] = base if seen[base] == 1 else f"{base}-{seen[base]}"
    return out


def _matches(engine: Engine, flt: Filter, needle: str) -> bool:
    """The filter's name, condition text or callout name contains ``needle`` (lower case)."""
    texts = [flt.name, *(c.describe() for c in flt.conditions), callout_text(engine, flt)[0]]
    return any(needle in t.lower() for t in texts)


def _expand_keys(engine: Engine, expand: Iterable[str | uuid.UUID]) -> set[uuid.UUID]:
    if isinstance(expand, (str, uuid.UUID)):
        expand = [expand]
    return {engine.sublayer(ref).key for ref in expand}


def _layers_to_draw(engine: Engine, layer: Layer | str | int | None) -> list[Layer]:
    if layer is not None:
        return [find_layer(layer)]
    used = {f.layer for f in engine.filters()}
    return [la for la in layers() if la in used]


@dataclass(frozen=True, slots=True)
class _View:
    """What :func:`weight_graph` was asked to draw, its arguments resolved once."""

    engine: Engine
    wanted: uuid.UUID | None  # only this sublayer's key
    only: str  # that sublayer's name ("" for every sublayer)
    full: frozenset[uuid.UUID]  # sublayers drawn in full
    search: str | None  # as given, for the notes
    needle: str | None  # lower case, for matching
    max_filters: int
    slugs: dict[uuid.UUID, str]


#: A column under a layer: the sublayer, its place in the evaluation order (None when the layer
#: is empty) and the filters drawn in it.
_Column = tuple[Sublayer, int | None, list[Filter]]


def _check_max_filters(max_filters: object) -> int:
    if isinstance(max_filters, bool) or not isinstance(max_filters, int) or max_filters < 0:
        raise InvalidParameterError(
            f"max_filters={max_filters!r} is not valid; use a whole number ≥ 0 "
            "(filters drawn per sublayer before the rest are summed up as '+N more')"
        )
    return max_filters


def _view(
    engine: Engine,
    sublayer: str | uuid.UUID | None,
    search: str | None,
    max_filters: int,
    expand: Iterable[str | uuid.UUID],
) -> _View:
    """The arguments checked and resolved (sublayer names to keys, the search to lower case)."""
    limit = _check_max_filters(max_filters)
    chosen = engine.sublayer(sublayer) if sublayer is not None else None
    return _View(
        engine=engine,
        wanted=chosen.key if chosen is not None else None,
        only=chosen.name if chosen is not None else "",
        full=frozenset(_expand_keys(engine, expand)),
        search=search,
        needle=search.lower() if search is not None else None,
        max_filters=limit,
        slugs=_slugs(engine),
    )


def _header() -> list[str]:
    """The graph's opening lines: graph, node and edge defaults and the legend."""
    return [
        'digraph "weight graph" {',
        f'  graph [id="weights", fontname={quote(FONT)}, rankdir=TB, ordering=out, '
        'nodesep=0.25, ranksep=0.3, charset="UTF-8", bgcolor="white", '
        'tooltip="WFP weight graph"];',
        f"  node [fontname={quote(FONT)}, fontsize=10, shape=box, "
        'style="rounded,filled", margin="0.12,0.06"];',
        '  edge [color="#90a4ae", arrowsize=0.6];',
        "  " + legend_box() + ";",
    ]


def _columns(view: _View, la: Layer) -> tuple[list[_Column], int]:
    """The columns to draw at a layer and the number of filters the layer holds.

    Only the chosen sublayer and the filters matching the search are kept; a layer with no
    filter at all (and no search) shows its sublayers, to say where filters could go.
    """
    order = view.engine.evaluation_order(la)
    total = sum(len(fl) for _, fl in order)
    columns: list[_Column] = []
    for position, (sub, fl) in enumerate(order, start=1):
        if view.wanted is not None and sub.key != view.wanted:
            continue
        if view.needle is not None:
            fl = [f for f in fl if _matches(view.engine, f, view.needle)]
        if fl:
            columns.append((sub, position, fl))
    if not total and view.needle is None:  # an empty layer: show where filters could go
        subs = [s for s in view.engine.sublayers() if view.wanted is None or s.key == view.wanted]
        columns = [(s, None, list[Filter]()) for s in subs]
    return columns, total


def _chain_edges(chain: Sequence[str]) -> list[str]:
    """The edges holding a column together, top to bottom ("+N more" boxes hang loose)."""
    out = []
    for a, b in itertools.pairwise(chain):
        loose = " style=dashed, arrowhead=none," if b.startswith("more-") else ""
        out.append(f"    {quote(a)} -> {quote(b)} [{loose} weight=10];")
    return out


def _column(view: _View, la: Layer, column: _Column, total: int) -> tuple[list[str], list[str]]:
    """One sublayer's cluster: its header, its filters and "+N more" boxes.

    Returns the DOT lines and the chain of node ids from the header down.
    """
    sub, rank, fl = column
    base = f"{la.short_name}-{view.slugs[sub.key]}"
    sl_id = f"sl-{base}"
    out = [
        f"    subgraph {quote('cluster_' + sl_id)} {{",
        f'      graph [id="cluster-{sl_id}", label="", style="rounded,filled", '
        'fillcolor="white", color="#cfd8dc"];',
        "      " + sublayer_box(sl_id, sub, rank, len(fl) if total else None) + ";",
    ]
    limit = len(fl) if sub.key in view.full else view.max_filters
    chain = [sl_id]
    for flt in fl[:limit]:
        out.append("      " + filter_box(view.engine, flt) + ";")
        chain.append(f"f-{flt.filter_id}")
    for node_id, line in more_boxes(base, fl[limit:], sub):
        out.append("      " + line + ";")
        chain.append(node_id)
    out.append("    }")
    return out, chain


def _empty_note(view: _View, la: Layer, layer_id: str) -> tuple[list[str], str]:
    """The note under a layer where nothing is left to draw, and its id."""
    note_id = f"empty-{la.short_name}"
    if view.needle is not None:
        what = f"no filter matches {view.search!r}"
    else:
        what = f"sublayer {view.only!r} holds no filter at this layer"
    lines = ["    " + note_box(note_id, what) + ";", f"    {quote(layer_id)} -> {quote(note_id)};"]
    return lines, note_id


def _layer_cluster(
    view: _View, la: Layer, columns: list[_Column], total: int
) -> tuple[list[str], str]:
    """A layer's cluster: its box and one column per sublayer.

    Returns the DOT lines and the id of the lowest node of its tallest column, the node the
    next layer is placed under.
    """
    layer_id = f"layer-{la.short_name}"
    shown = sum(len(fl) for _, _, fl in columns)
    out = [
        f"  subgraph {quote('cluster_' + la.short_name)} {{",
        f'    graph [id="cluster-{la.short_name}", label="", style="rounded,filled", '
        'fillcolor="#fafafa", color="#b0bec5"];',
        "    " + layer_box(la, shown, total, view.search) + ";",
    ]
    tail, tallest = layer_id, 0
    if not columns:
        lines, tail = _empty_note(view, la, layer_id)
        out += lines
    previous = layer_id
    for column in columns:
        lines, chain = _column(view, la, column, total)
        out += lines
        sl_id = chain[0]
        if total:  # columns side by side under the layer
            out.append(f"    {quote(layer_id)} -> {quote(sl_id)} [penwidth=1.4];")
        else:  # an empty layer: the sublayers one below the other, in order
            out.append(f"    {quote(previous)} -> {quote(sl_id)} [style=dotted];")
            previous = sl_id
        out += _chain_edges(chain)
        if len(chain) > tallest or not total:
            tail, tallest = chain[-1], len(chain)
    out.append("  }")
    return out, tail


def _nothing_drawn(view: _View) -> list[str]:
    """The note shown when no layer has anything to draw."""
    what = "the engine has no filters"
    if view.needle is not None:
        what = f"no filter matches {view.search!r}"
    elif view.only:
        what = f"sublayer {view.only!r} holds no filters"
    return ["  " + note_box("empty", what) + ";", '  "legend" -> "empty" [style=invis];']


def weight_graph(
    engine: Engine,
    layer: Layer | str | int | None = None,
    sublayer: str | uuid.UUID | None = None,
    search: str | None = None,
    max_filters: int = 40,
    expand: Iterable[str | uuid.UUID] = (),
) -> Picture:
    """Draw layers, their sublayers by weight and their filters by effective weight.

    Args:
        engine: the engine to draw (read only).
        layer: one layer (any name :func:`wfpsim.layer` accepts), or None for every layer
            holding filters, one box each.
        sublayer: only this sublayer (name or key).
        search: keep only filters whose name, condition text or callout name contains this
            (case-insensitive).
        max_filters: filters drawn per sublayer; the rest become one "+N more" box per action.
        expand: sublayer names or keys to draw in full, whatever ``max_filters`` says.

    Returns:
        The :class:`~wfpsim.viz.svg.Picture` (same engine and arguments, same DOT text).

    Raises:
        InvalidParameterError: ``max_filters`` is not a whole number ≥ 0.
        LayerNotFoundError, SublayerNotFoundError: an unknown layer, sublayer or ``expand`` name.
    """
    view = _view(engine, sublayer, search, max_filters, expand)
    out = _header()
    above = "legend"
    drawn = 0
    for la in _layers_to_draw(engine, layer):
        columns, total = _columns(view, la)
        if layer is None and not any(fl for _, _, fl in columns):
            continue
        drawn += 1
        lines, tail = _layer_cluster(view, la, columns, total)
        out += lines
        # outside the cluster: an edge inside would pull the node above into it
        out.append(
            f"  {quote(above)} -> {quote('layer-' + la.short_name)} [style=invis, weight=100];"
        )
        above = tail
    if not drawn:
        out += _nothing_drawn(view)
    out.append("}")
    return Picture("\n".join(out) + "\n")
