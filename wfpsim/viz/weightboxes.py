"""The boxes of the weight graph: layer, sublayer, filter, "+N more", legend and note nodes.

Each function returns one DOT node line (HTML label, colours by action, a stable SVG id); the
layout that places them is :mod:`wfpsim.viz.weights`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from wfpsim.catalog import Layer
from wfpsim.conditions import describe_conditions, group_by_field
from wfpsim.engine import Engine
from wfpsim.errors import WfpError
from wfpsim.objects import Action, Filter, Sublayer
from wfpsim.viz.svg import GREY, LEGEND, attrs, colors, html, quote, shorten

#: Conditions listed in a filter box before "+N more conditions".
MAX_CONDITIONS = 3

#: The order of the "+N more" boxes under a collapsed sublayer.
ACTION_ORDER = (
    Action.PERMIT,
    Action.BLOCK,
    Action.CALLOUT_TERMINATING,
    Action.CALLOUT_UNKNOWN,
    Action.CALLOUT_INSPECTION,
)

_LEFT = '<BR ALIGN="LEFT"/>'


def slug(name: str) -> str:
    """A sublayer name as an id fragment: lower case, runs of other characters as ``-``.

    >>> slug("FWPM_SUBLAYER_UNIVERSAL"), slug("VPN client (v2)")
    ('fwpm-sublayer-universal', 'vpn-client-v2')
    """
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "sublayer"


def css_class(action: Action) -> str:
    """The SVG class of an action: ``permit``, ``block``, ``callout-terminating``…

    >>> css_class(Action.CALLOUT_INSPECTION)
    'callout-inspection'
    """
    return action.name.lower().replace("_", "-")


def ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th``… ``11th``, ``21st``.

    >>> [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 21)]
    ['1st', '2nd', '3rd', '4th', '11th', '12th', '21st']
    """
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def rows_label(*rows: str) -> str:
    """HTML-label rows, each left-aligned."""
    return _LEFT.join(rows) + _LEFT


def small(text: str, color: str = "#37474f", size: int = 9) -> str:
    """A row in small print."""
    return f'<FONT POINT-SIZE="{size}" COLOR="{color}">{text}</FONT>'


def callout_text(engine: Engine, flt: Filter) -> tuple[str, bool]:
    """The callout's name and whether its classify functions are registered."""
    if flt.callout is None:
        return "", True
    try:
        return engine.callout(flt.callout).name, engine.is_registered(flt.callout)
    except WfpError:
        return str(flt.callout), False


def filter_box(engine: Engine, flt: Filter) -> str:
    """A filter box: name, id and action, weights, conditions, callout and flags."""
    fill, border, ink = colors(flt.action_type)
    rows = [
        f'<FONT POINT-SIZE="11"><B>{html(shorten(flt.name, 40))}</B></FONT>',
        small(f"#{flt.filter_id}  <B>{flt.action_type.name}</B>", ink, 9),
        small(f"weight {flt.effective_weight:#018x}", "#263238"),
        small(f"as given: {html(flt.weight.describe())}", "#546e7a"),
    ]
    conds = [describe_conditions(g) for g in group_by_field(flt.conditions).values()]
    for text in conds[:MAX_CONDITIONS]:
        rows.append(small(html(shorten(text, 44)), "#263238"))
    if len(conds) > MAX_CONDITIONS:
        rows.append(small(f"+{len(conds) - MAX_CONDITIONS} more conditions", "#546e7a"))
    if not conds:
        rows.append(small("(no conditions: matches everything)", "#546e7a"))
    name, registered = callout_text(engine, flt)
    if name:
        rows.append(small(f"callout: <B>{html(shorten(name, 36))}</B>", ink))
        if not registered:
            rows.append(small("<B>not registered</B>", "#b71c1c"))
    if flt.flags:
        rows.append(small(f"flags: {html(flt.flags.name or flt.flags)}", ink))
    tooltip = flt.describe() + (f" → callout {name}" if name else "")
    if name and not registered:
        tooltip += " (not registered)"
    node_id = f"f-{flt.filter_id}"
    style = "rounded,filled" + (",bold" if flt.action_type in (Action.PERMIT, Action.BLOCK) else "")
    return f"{quote(node_id)} " + attrs(
        id=node_id,
        label_html=rows_label(*rows),
        fillcolor=fill,
        color=border,
        style=style,
        tooltip=tooltip,
        **{"class": f"filter {css_class(flt.action_type)}"},
    )


def more_boxes(base: str, hidden: Sequence[Filter], sub: Sublayer) -> list[tuple[str, str]]:
    """One "+N more ACTION filters" box per action among the hidden filters: (id, DOT line)."""
    out = []
    for action in ACTION_ORDER:
        group = [f for f in hidden if f.action_type == action]
        if not group:
            continue
        fill, border, ink = colors(action)
        node_id = f"more-{base}-{action.name}"
        plural = "filter" if len(group) == 1 else "filters"
        low, high = group[-1].effective_weight, group[0].effective_weight
        span = f"{high:#x}" if low == high else f"{high:#x} … {low:#x}"
        rows = [
            f'<FONT POINT-SIZE="11"><B>+{len(group)} more {action.name} {plural}</B></FONT>',
            small(f"weights {span}", ink),
            small(f"expand=[{html(repr(sub.name))}] draws them all", "#546e7a"),
        ]
        line = f"{quote(node_id)} " + attrs(
            id=node_id,
            label_html=rows_label(*rows),
            fillcolor=fill,
            color=border,
            style="rounded,filled,dashed",
            tooltip=f"{len(group)} more {action.name} {plural} in {sub.name}",
            **{"class": f"more {css_class(action)}"},
        )
        out.append((node_id, line))
    return out


def sublayer_box(node_id: str, sub: Sublayer, rank: int | None, count: int | None) -> str:
    """A sublayer header: name, weight, built-in or added, its place in the order."""
    kind = "built-in" if sub.builtin else "added"
    rows = [
        f'<FONT POINT-SIZE="12"><B>{html(shorten(sub.name, 48))}</B></FONT>',
        small(f"weight {sub.weight:#06x} ({sub.weight})", "#263238", 10),
        small(f"<I>{kind} sublayer</I>" if sub.builtin else f"<B>{kind} sublayer</B>"),
    ]
    if rank is not None:
        rows.append(small(f"evaluated {ordinal(rank)}", "#263238"))
    if count is not None:
        rows.append(small(f"{count} filter{'s' if count != 1 else ''}", "#263238"))
    fill, border = ("#eceff1", "#78909c") if sub.builtin else ("#fffde7", "#455a64")
    return f"{quote(node_id)} " + attrs(
        id=node_id,
        label_html=rows_label(*rows),
        fillcolor=fill,
        color=border,
        penwidth="1.0" if sub.builtin else "2.0",
        tooltip=f"sublayer {sub.name} {{{sub.key}}} weight {sub.weight:#06x}",
        **{"class": f"sublayer {kind}"},
    )


def layer_box(la: Layer, shown: int, total: int, search: str | None) -> str:
    """A layer's box: short and full name, run-time id, how many filters it shows."""
    rid = "no run-time id" if la.id is None else f"run-time id {la.id}"
    rows = [
        f'<FONT POINT-SIZE="14" COLOR="white"><B>{html(la.short_name)}</B></FONT>',
        small(f"{html(la.name)} · {rid}", "#eceff1"),
    ]
    if search is not None:
        rows.append(small(f"{shown} of {total} filters match {html(repr(search))}", "#fff9c4"))
    elif total:
        rows.append(small(f"{total} filter{'s' if total != 1 else ''}", "#eceff1"))
    else:
        rows.append(small("no filters yet: the sublayers, in evaluation order", "#eceff1"))
    node_id = f"layer-{la.short_name}"
    return f"{quote(node_id)} " + attrs(
        id=node_id,
        label_html=rows_label(*rows),
        fillcolor="#37474f",
        color="#263238",
        tooltip=f"{la.name} {{{la.guid}}}",
        **{"class": "layer"},
    )


def legend_box() -> str:
    """The legend: one cell per action colour and sublayer kind, and how to read the graph."""
    cells = []
    for action, words in LEGEND:
        fill, border, _ = colors(action)
        cells.append(f'<TD BGCOLOR="{fill}" COLOR="{border}" BORDER="1">{html(words)}</TD>')
    cells.append('<TD BGCOLOR="#fffde7" COLOR="#455a64" BORDER="2">added sublayer</TD>')
    cells.append('<TD BGCOLOR="#eceff1" COLOR="#78909c" BORDER="1"><I>built-in sublayer</I></TD>')
    how = (
        "Read it like BFE: sublayers left to right, highest weight first; inside each, "
        "filters top to bottom by effective weight: the order BFE tries them in."
    )
    table = (
        '<TABLE BORDER="0" CELLSPACING="4" CELLPADDING="4"><TR><TD ROWSPAN="2"><B>Legend</B></TD>'
        + "".join(cells)
        + f'</TR><TR><TD COLSPAN="{len(cells)}">{html(how)}</TD></TR></TABLE>'
    )
    return f'"legend" [id="legend", shape=plain, label=<<FONT POINT-SIZE="9">{table}</FONT>>]'


def note_box(node_id: str, text: str) -> str:
    """A grey note (nothing to draw here, and why)."""
    return f"{quote(node_id)} " + attrs(
        id=node_id, label=text, shape="note", fillcolor=GREY[0], color=GREY[1]
    )
