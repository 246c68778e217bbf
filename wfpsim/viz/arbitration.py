"""The arbitration picture: one classification, sublayer by sublayer, filter by filter.

It draws only what the trace (:class:`wfpsim.trace.Classification`) recorded; it never asks the
engine again. Top to bottom: the values classified, then each sublayer in evaluation order (a
box with its filters in the order they were tried and the sublayer's own result), an arrow
between sublayers labelled with the decision carried down and whether the write right is still
there, and the final verdict with the plain-English explanation beside it.

How each filter is drawn says what it did: the deciding filter is bold and coloured by its
action; a filter whose conditions failed is grey and names the failed condition; a filter never
tried is dashed; one that would have decided but had no write right is struck through with an
orange note; a veto has a red double border and the word VETO; a callout that said CONTINUE is
blue.

Stable SVG ids: ``input``, ``sl-<i>`` (the box of ``classification.sublayers[i]``),
``step-<i>-<filter id>``, ``result-<i>``, ``carry-start`` and ``carry-<i>`` (the arrows leaving
the input and sublayer ``i``), ``verdict`` and ``explain``.

>>> from wfpsim import Engine, Filter
>>> engine = Engine()
>>> _ = engine.add_filter(Filter("no telnet", "ALE_AUTH_CONNECT_V4", "BLOCK"))
>>> pic = arbitration_picture(engine.classify("ALE_AUTH_CONNECT_V4", {"IP_REMOTE_PORT": 23}))
>>> 'id="step-0-1"' in pic.source and 'id="verdict"' in pic.source
True
"""

from __future__ import annotations

import itertools
import textwrap

from wfpsim.objects import Action
from wfpsim.trace import Classification, Decision, Effect, FilterStep, SublayerTrace
from wfpsim.values import display_field
from wfpsim.viz.svg import FONT, GREY, Picture, attrs, colors, html, quote, shorten
from wfpsim.viz.weightboxes import css_class, ordinal

#: Values listed in the input box before "+N more".
MAX_VALUES = 8

#: Effect → (SVG class, short words shown under the filter's name).
EFFECT_WORDS: dict[Effect, tuple[str, str]] = {
    Effect.DECIDED: ("decided", "decided"),
    Effect.KEPT: ("kept", "kept the decision (nothing written)"),
    Effect.NO_MATCH: ("no-match", "no match"),
    Effect.SKIPPED: ("skipped", "skipped: the sublayer had already decided"),
    Effect.IGNORED: ("ignored", "ignored: the write right was gone"),
    Effect.VETO: ("veto", "VETO: overrode a hard permit"),
    Effect.CONTINUE: ("continue", "CONTINUE: on to the next filter"),
    Effect.UNREGISTERED_SKIPPED: ("unregistered", "callout not registered: ignored"),
    Effect.FAULT: ("fault", "callout raised an exception: BLOCK"),
    Effect.NO_FLOW_CONTEXT: ("unregistered", "no flow context: callout not called"),
}

_LEFT = '<BR ALIGN="LEFT"/>'
_FILLED = "rounded,filled"
_ORANGE = ("#fff3e0", "#ef6c00", "#bf360c")


def carried(decision: Decision) -> str:
    """The decision handed to the next sublayer, with its write right.

    >>> carried(Decision())
    'no decision yet · write right available'
    >>> carried(Decision(Action.BLOCK, rights=0))
    'BLOCK · hard (write right cleared)'
    """
    if decision.action not in (Action.PERMIT, Action.BLOCK):
        return "no decision yet · write right available"
    if decision.hard:
        return f"{decision.action.name} · hard (write right cleared)"
    return f"{decision.action.name} · soft (write right kept)"


def _row(text: str, color: str = "#37474f", size: int = 9) -> str:
    return f'<FONT POINT-SIZE="{size}" COLOR="{color}">{text}</FONT>'


def _outcome(step: FilterStep, sub: SublayerTrace) -> Action:
    """The action a step stands for: its callout's normalised answer, else the filter's.

    An unregistered callout filter that set the sublayer's result stands for that result
    (BLOCK, or PERMIT with ``PERMIT_IF_CALLOUT_UNREGISTERED``).
    """
    if step.effect == Effect.FAULT:
        return Action.BLOCK
    if step.callout is not None:
        return step.callout.normalized
    if step.action.is_callout and sub.result_filter == step.name:
        return sub.result
    return step.action


def _step_style(step: FilterStep, outcome: Action) -> dict[str, str]:
    """DOT attributes for a step, from what it did."""
    effect = step.effect
    fill, border, _ = colors(outcome)
    if effect in (Effect.DECIDED, Effect.KEPT):
        width = "3" if effect == Effect.DECIDED else "2"
        return {"fillcolor": fill, "color": border, "penwidth": width, "style": "rounded,filled"}
    if effect == Effect.VETO:
        return {
            "fillcolor": colors(Action.BLOCK)[0],
            "color": colors(Action.BLOCK)[1],
            "penwidth": "2",
            "peripheries": "2",
            "style": "rounded,filled",
        }
    if effect == Effect.FAULT:
        return {"fillcolor": fill, "color": "#8e0000", "penwidth": "3", "style": "rounded,filled"}
    if effect == Effect.CONTINUE:
        blue = colors(Action.CONTINUE)
        return {"fillcolor": blue[0], "color": blue[1], "penwidth": "1.5", "style": _FILLED}
    if effect == Effect.IGNORED:
        return {"fillcolor": _ORANGE[0], "color": _ORANGE[1], "style": "rounded,filled,dashed"}
    if effect == Effect.NO_MATCH:
        return {"fillcolor": GREY[0], "color": GREY[1], "fontcolor": GREY[2], "style": _FILLED}
    return {"fillcolor": "white", "color": GREY[1], "fontcolor": GREY[2], "style": "rounded,dashed"}


def _step_node(index: int, step: FilterStep, sub: SublayerTrace, final: bool) -> str:
    """One filter as it was tried, styled by its effect."""
    outcome = _outcome(step, sub)
    klass, words = EFFECT_WORDS.get(step.effect, (step.effect.name.lower(), step.effect.value))
    name = html(shorten(step.name, 40))
    if step.effect == Effect.IGNORED:
        name = f"<S>{name}</S>"
    muted = step.effect in (
        Effect.NO_MATCH,
        Effect.SKIPPED,
        Effect.UNREGISTERED_SKIPPED,
        Effect.NO_FLOW_CONTEXT,
    )
    ink = GREY[2] if muted else colors(outcome)[2]
    rows = [
        f'<FONT POINT-SIZE="11"><B>{name}</B></FONT>',
        _row(f"#{step.filter_id} · {step.action.name} · weight {step.weight:#x}", ink),
    ]
    call = step.callout
    if call is not None:
        right = "had the write right" if call.had_write_right else "without the write right"
        answer = f"callout {html(shorten(call.callout, 30))} → {call.normalized.name}"
        rows.append(_row(answer, ink))
        rows.append(_row(f"({right})", ink))
    if step.effect == Effect.DECIDED:
        rows.append(_row(f"<B>✓ decided: {outcome.name}</B>", ink, 10))
    elif step.effect == Effect.VETO:
        rows.append(_row("<B>VETO</B>: blocked a hard permit", colors(Action.BLOCK)[2], 11))
    elif step.effect == Effect.NO_MATCH:
        rows.append(_row("✗ no match", GREY[2]))
        condition, _, value = step.failed_condition.partition(" (value ")
        if condition:
            rows.append(_row(html(shorten(condition, 50)), GREY[2]))
        if value:  # the value seen, on its own line so a long condition cannot hide it
            rows.append(_row(html(shorten("value seen: " + value.removesuffix(")"), 50)), GREY[2]))
    elif step.effect == Effect.IGNORED:
        would = outcome.name
        rows.append(_row(f"<B>ignored</B>: would {would}, but no write right", _ORANGE[2]))
    else:
        rows.append(_row(html(words), ink))
    if final:
        rows.append(_row("<B>★ the final decision</B>", ink, 10))
    if step.note and step.effect != Effect.NO_MATCH:
        rows.append(_row(f"<I>{html(shorten(step.note, 50))}</I>", ink))
    if call is not None and call.fault:
        rows.append(_row(html(shorten(call.fault, 50)), "#8e0000"))
    node_id = f"step-{index}-{step.filter_id}"
    tooltip = f"{step.name}: {step.effect.value}"
    if step.failed_condition:
        tooltip += f" — failed: {step.failed_condition}"
    return f"{quote(node_id)} " + attrs(
        id=node_id,
        label_html=_LEFT.join(rows) + _LEFT,
        tooltip=tooltip,
        **_step_style(step, outcome),
        **{"class": f"step {klass} {css_class(step.action)}{' final' if final else ''}"},
    )


def _result_node(index: int, sub: SublayerTrace) -> str:
    """The sublayer's own result; muted and marked when the write right was gone.

    A sublayer whose deciding filter was ignored (no write right) did not change the
    decision: its box is drawn like an ignored filter, orange and dashed, never as a verdict.
    """
    ignored = any(s.name == sub.result_filter and s.effect == Effect.IGNORED for s in sub.steps)
    if sub.result in (Action.PERMIT, Action.BLOCK):
        text = f"{html(sub.name)} says <B>{sub.result.name}</B>"
        if sub.result_filter:
            text += f" ({html(repr(sub.result_filter))})"
        if ignored:
            text += "<BR/>ignored: the write right was gone, so it does not count"
    elif sub.result == Action.NONE_NO_MATCH:
        text = f"{html(sub.name)}: no filter matched"
    else:
        text = f"{html(sub.name)} decided nothing (no PERMIT or BLOCK)"
    fill, border, ink = _ORANGE if ignored else colors(sub.result)
    node_id = f"result-{index}"
    return f"{quote(node_id)} " + attrs(
        id=node_id,
        label_html=_row(text, ink, 9),
        shape="box",
        style="rounded,filled,dashed" if ignored else "rounded,filled",
        fillcolor=fill,
        color=border,
        margin="0.08,0.03",
        tooltip=f"the result of sublayer {sub.name} on its own: {sub.result.name}"
        + (" (ignored: no write right)" if ignored else ""),
        **{"class": f"result {css_class(sub.result)}{' ignored' if ignored else ''}"},
    )


def _carry_edge(tail: str, head: str, edge_id: str, d: Decision, cluster: str | None) -> str:
    """The arrow between sublayers: the decision carried and the write right."""
    text = carried(d)
    if d.filter_name:
        text += f"\nfrom {d.filter_name!r} in {d.sublayer}"
    color = colors(d.action)[1] if d.action in (Action.PERMIT, Action.BLOCK) else GREY[1]
    return f"{quote(tail)} -> {quote(head)} " + attrs(
        id=edge_id,
        label=text,
        lhead=cluster,
        color=color,
        fontcolor=colors(d.action)[2],
        penwidth="3" if d.hard and d.action in (Action.PERMIT, Action.BLOCK) else "1.5",
        fontsize="9",
        **{"class": f"carry {css_class(d.action)}{' hard' if d.hard else ' soft'}"},
    )


def _input_node(c: Classification) -> str:
    values = [(k, v) for k, v in c.values.items() if v.data is not None]
    rows = [f'<FONT POINT-SIZE="12"><B>classify at {html(c.layer)}</B></FONT>']
    for key, value in values[:MAX_VALUES]:
        short = key.removeprefix("FWPM_CONDITION_")
        rows.append(_row(html(shorten(f"{short} = {display_field(key, value)}", 56)), "#eceff1"))
    if len(values) > MAX_VALUES:
        rows.append(_row(f"+{len(values) - MAX_VALUES} more values", "#cfd8dc"))
    if not values:
        rows.append(_row("(no values: every field FWP_EMPTY)", "#cfd8dc"))
    return '"input" ' + attrs(
        id="input",
        label_html=_LEFT.join(rows) + _LEFT,
        fillcolor="#37474f",
        color="#263238",
        fontcolor="white",
        **{"class": "input"},
    )


def _verdict_node(c: Classification) -> str:
    action = c.action
    decided = action in (Action.PERMIT, Action.BLOCK)
    fill, border, ink = colors(action)
    rows = [f'<FONT POINT-SIZE="18" COLOR="{ink}"><B>{action.name}</B></FONT>']
    if decided:
        d = c.decision
        rows.append(_row(f"by {html(repr(c.filter_name))} in {html(d.sublayer)}", ink, 10))
        rows.append(_row(f"{'hard' if d.hard else 'soft'} · {html(d.source)}", ink))
    if c.veto:
        rows.append(_row("<B>VETO</B>: a callout blocked a hard permit", ink, 10))
    if c.absorbed:
        rows.append(_row("absorbed: dropped silently", ink, 10))
    rows.append(_row("traffic passes" if c.permitted else "traffic blocked", ink, 10))
    return '"verdict" ' + attrs(
        id="verdict",
        label_html="<BR/>".join(rows),
        fillcolor=fill,
        color=border,
        penwidth="3",
        peripheries="2" if c.veto else "1",
        margin="0.2,0.1",
        **{"class": f"verdict {css_class(action)}{' veto' if c.veto else ''}"},
    )


def _explain_node(c: Classification) -> str:
    lines: list[str] = []
    for n, paragraph in enumerate(c.explain().splitlines()):
        wrapped = textwrap.wrap(paragraph, 62) or [""]
        if n:  # the headline, then one bullet per sentence of the account
            wrapped = ["• " + wrapped[0], *("   " + w for w in wrapped[1:])]
        lines += wrapped
    label = "\\l".join(t.replace("\\", "\\\\").replace('"', '\\"') for t in lines) + "\\l"
    return (
        f'"explain" [id="explain", shape=note, style=filled, fillcolor="#fffde7", '
        f'color="#bdb76b", fontsize=9, label="{label}", class="explain"]'
    )


def arbitration_picture(classification: Classification) -> Picture:
    """Draw how one classification was arbitrated, from the values to the verdict.

    Args:
        classification: what :meth:`wfpsim.Engine.classify` returned (only its trace is read).

    Returns:
        The :class:`~wfpsim.viz.svg.Picture` (same classification, same DOT text).
    """
    c = classification
    out = [
        'digraph "arbitration" {',
        f'  graph [id="arbitration", fontname={quote(FONT)}, rankdir=TB, compound=true, '
        'newrank=true, nodesep=0.3, ranksep=0.35, charset="UTF-8", bgcolor="white"];',
        f'  node [fontname={quote(FONT)}, fontsize=10, shape=box, style="rounded,filled", '
        'margin="0.12,0.06"];',
        f'  edge [fontname={quote(FONT)}, color="#90a4ae", arrowsize=0.6, fontsize=9];',
        "  " + _input_node(c) + ";",
    ]
    tail, start = "input", Decision()
    decider = (c.decision.sublayer, c.decision.filter_id)
    for i, sub in enumerate(c.sublayers):
        cluster = f"cluster_sl-{i}"
        head = f"step-{i}-{sub.steps[0].filter_id}" if sub.steps else f"result-{i}"
        title = f"{ordinal(i + 1)} sublayer: <B>{html(sub.name)}</B>"
        weight = f"weight {sub.weight:#06x} ({sub.weight})"
        out.append(f"  subgraph {quote(cluster)} {{")
        out.append(
            f'    graph [id="sl-{i}", label=<{title}  <FONT POINT-SIZE="9">{weight}</FONT>>, '
            'labeljust="l", fontsize=11, style="rounded,filled", fillcolor="#fafafa", '
            f'color="#b0bec5", class="sublayer"];'
        )
        chain = []
        for step in sub.steps:
            final = bool(c.filter_id) and (sub.name, step.filter_id) == decider
            out.append("    " + _step_node(i, step, sub, final) + ";")
            chain.append(f"step-{i}-{step.filter_id}")
        out.append("    " + _result_node(i, sub) + ";")
        chain.append(f"result-{i}")
        for a, b in itertools.pairwise(chain):
            out.append(f"    {quote(a)} -> {quote(b)} [weight=10];")
        out.append("  }")
        edge_id = "carry-start" if i == 0 else f"carry-{i - 1}"
        out.append("  " + _carry_edge(tail, head, edge_id, start, cluster) + ";")
        tail, start = f"result-{i}", sub.after
    out.append("  " + _verdict_node(c) + ";")
    out.append("  " + _explain_node(c) + ";")
    if c.sublayers:
        last = f"carry-{len(c.sublayers) - 1}"
        out.append("  " + _carry_edge(tail, "verdict", last, start, None) + ";")
    else:
        out.append(
            '  "input" -> "verdict" [id="carry-start", label="no filters at this layer", '
            "fontsize=9];"
        )
    out.append('  { rank=same; "verdict"; "explain"; }')
    out.append('  "verdict" -> "explain" [style=dotted, arrowhead=none, label="why"];')
    out.append("}")
    return Picture("\n".join(out) + "\n")
