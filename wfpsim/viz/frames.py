"""Frames for the packet player: what changes from one step of a journey to the next.

The stack map is laid out by Graphviz once (:func:`base_svg`); after that the player only
restyles it. Each step becomes a small *frame*: the SVG ids to mark (the current layer node,
the hop from the previous step, the trail so far, each with its result class), the event
label, the verdict and the inspector as escaped HTML. Pure Python, no widget library: the
notebook widget (:mod:`wfpsim.viz.player`) and the standalone HTML export
(:mod:`wfpsim.viz.export`) both read it.

>>> from wfpsim import Engine
>>> from wfpsim.stack import Stack
>>> j = Stack(Engine()).run("tcp", "outbound", "10.0.0.5:0", "93.184.216.34:80")
>>> events([j])[4]["label"]
'#4 OUTBOUND_TRANSPORT_V4 · SYN · NONE_NO_MATCH'
>>> f = frame(j, 5)
>>> f["node"], f["hop"], f["marks"][f["node"]]
('layer-OUTBOUND_IPPACKET_V4', 'hop-OUTBOUND_TRANSPORT_V4--OUTBOUND_IPPACKET_V4', 'cur none')
>>> accepted(j.steps[5])
['NONE', 'NONE_NO_MATCH']
"""

from __future__ import annotations

import dataclasses
import html
import itertools
from collections.abc import Iterable
from typing import Any

from wfpsim.errors import InvalidParameterError
from wfpsim.explain import headline
from wfpsim.objects import Action
from wfpsim.stack.journey import Journey, Step
from wfpsim.stack.packets import Packet, decode, hexdump
from wfpsim.trace import ABSORB, Classification, Effect
from wfpsim.values import DataType, format_ipv4
from wfpsim.viz.depends import ALTERNATIVES, depends_html
from wfpsim.viz.stackmap import journey_pairs, node_id, stack_dot

#: Bytes of ``layer_data`` shown in the inspector's hex dump (the rest is counted, not shown).
HEX_LIMIT = 128
#: Filters per sublayer listed even though they did not match (the rest are counted).
QUIET_ROWS = 3
#: What the decision part of the inspector says while the verdict is hidden.
ASK_HTML = (
    '<p class="w-ask">What happens at this layer? Predict: PERMIT, BLOCK, NONE (no filter '
    "decides) or DROP (a discard layer) — on a real machine's dump also DEPENDS (an unknown "
    "callout decides) — then the arbitration is revealed.</p>"
)
_SEVERITY = {"none": 0, "permit": 1, "depends": 2, "discard": 3, "block": 4}


def as_list(journeys: Journey | Iterable[Journey]) -> list[Journey]:
    """One journey or several as a list (an :class:`InvalidParameterError` if there is none)."""
    items = [journeys] if isinstance(journeys, Journey) else list(journeys)
    if not items or not all(isinstance(j, Journey) for j in items):
        raise InvalidParameterError(
            f"journeys={journeys!r}; valid: a Journey or a non-empty list of Journeys "
            "(Stack(...).run(...) or runner.run(...).traffic[i].journey)"
        )
    return items


def _title(j: Journey) -> str:
    return f"{j.kind.upper()} {j.direction.value} {j.local} → {j.remote}"


def ip_version(journeys: Journey | Iterable[Journey]) -> int:
    """4 or 6: the IP version of the layers the journeys crossed (one map shows one version).

    Raises:
        InvalidParameterError: some journeys are IPv4 and others IPv6.
    """
    seen: dict[int, str] = {}
    for j in as_list(journeys):
        six = any(s.layer.endswith(("_V6", "_V6_DISCARD")) for s in j.steps)
        seen.setdefault(6 if six else 4, _title(j))
    if len(seen) > 1:
        raise InvalidParameterError(
            f"the journeys mix IPv4 ({seen[4]}) and IPv6 ({seen[6]}); one stack map shows one "
            "IP version: pass only IPv4 journeys or only IPv6 journeys"
        )
    return next(iter(seen))


def base_dot(journeys: Journey | Iterable[Journey]) -> str:
    """The stack map's DOT source with a hop edge for every layer pair any journey crossed."""
    items = as_list(journeys)
    layers = dict.fromkeys(s.layer for j in items for s in j.steps)
    dot = stack_dot(ip_version(items), items[0], highlight=False, also=layers)
    have = set(journey_pairs(items[0]))  # stack_dot drew these hops; add the other journeys'
    pairs = [p for p in dict.fromkeys(p for j in items for p in journey_pairs(j)) if p not in have]
    hop = '  "{0}" -> "{1}" [id="hop-{0}--{1}", class="hop", color="#eceff1", penwidth=1.2];'
    extra = [hop.format(a, b) for a, b in pairs]
    for name in layers:
        if f'id="{node_id(name)}"' not in dot:  # a layer the map does not place: add it
            extra.append(f'  "{name}" [id="{node_id(name)}", class="layer", label="{name}"];')
    return dot[: dot.rstrip().rfind("}")] + "\n".join(extra) + "\n}"


def base_svg(journeys: Journey | Iterable[Journey]) -> str:
    """The stack map laid out once by Graphviz, ready to inline in HTML (no prolog, no comments).

    Every layer the journeys cross has the id ``layer-<LAYER>`` and every consecutive pair
    of layers an edge ``hop-<A>--<B>``: the player restyles those, it never lays out again.
    """
    import re

    from wfpsim.viz.svg import Picture

    svg = Picture(base_dot(journeys)).svg
    svg = svg[svg.find("<svg") :]
    return re.sub(r"<!--.*?-->\n?", "", svg, flags=re.S)


def result_class(step: Step) -> str:
    """``permit``, ``block``, ``none`` (no decision), ``discard`` (a discard layer) or
    ``depends`` (unknown callouts' answers change the action here: :attr:`Step.result`)."""
    if step.is_discard:
        return "discard"
    if step.result == "DEPENDS":
        return "depends"
    return {Action.PERMIT: "permit", Action.BLOCK: "block"}.get(step.action, "none")


def label(step: Step, hidden: bool = False) -> str:
    """The event-list label: ``#4 OUTBOUND_TRANSPORT_V4 · SYN · PERMIT`` (``?`` if hidden;
    ``DEPENDS`` where unknown callouts decide)."""
    return f"#{step.index} {step.layer} · {step.event} · {'?' if hidden else step.result}"


def events(journeys: Journey | Iterable[Journey]) -> list[dict[str, Any]]:
    """The event list: one entry per step of every journey, in playing order.

    Each entry: ``label``, ``masked`` (the label with the result hidden), ``journey`` (its
    index), ``step``, ``result`` (class), ``title`` and ``verdict`` of its journey.
    """
    out = []
    for ji, j in enumerate(as_list(journeys)):
        head = {"journey": ji, "title": _title(j), "verdict": j.result}
        out += [
            {"label": label(s), "masked": label(s, True), "step": si, "result": result_class(s)}
            | head
            for si, s in enumerate(j.steps)
        ]
    return out


def accepted(step: Step) -> list[str]:
    """The predictions counted right for a step (``NONE`` covers both kinds of no decision)."""
    action = step.result
    right = [action] if action in ("PERMIT", "BLOCK", "DEPENDS") else ["NONE", action]
    return [*right, "DROP"] if step.is_discard else right


def outcome(step: Step) -> str:
    """One sentence: what happened at this step and why."""
    c = step.classification
    if step.result == "DEPENDS":
        ways = "; ".join(f"if {a.condition()}: {a.action}" for a in step.depends[:ALTERNATIVES])
        return f"DEPENDS: unknown callouts decide at {step.layer} — {ways}."
    if not step.is_discard:
        return headline(c)
    who = f" by {c.filter_name!r}" if c.filter_name else ""
    return (
        f"{step.layer} is a discard layer: the stack is dropping this packet (DROP), and the "
        f"filters here only see the drop. They returned {c.action.name}{who}."
    )


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _table(rows: Iterable[Iterable[object]], head: Iterable[str] = (), cls: str = "w-t") -> str:
    top = "".join(f"<th>{h}</th>" for h in head)  # headings are HTML
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{cls}">' + (f"<tr>{top}</tr>" if top else "") + body + "</table>"


def _box(key: str, title: str, body: str) -> str:
    return f'<details data-k="{key}" open><summary>{title}</summary>{body}</details>'


def fields_html(step: Step) -> str:
    """Every non-empty ``in_fixed_values`` field: index, FWPS name, host-order value, readable."""
    fields = step.in_fixed_values.fields
    prefix = f"FWPS_FIELD_{step.layer.removesuffix('_DISCARD')}_"
    if not all(f.name.startswith(prefix) for f in fields):
        prefix = ""
    rows = []
    for f in fields:
        value = step.in_fixed_values.incoming_value[f.index].value
        if value.is_empty:
            continue
        text, dotted = _e(value.display()[:64]), ""
        width = {DataType.UINT16: 4, DataType.UINT32: 8}.get(value.type)
        if width and isinstance(value.data, int):  # host-order integer, and its hex digits
            text += f" <i>0x{value.data:0{width}x}</i>"
            if width == 8 and f.condition and "ADDRESS" in f.condition:
                dotted = format_ipv4(value.data)
        elif len(text) > 20:
            text = f'<span class="w-wrap">{text}</span>'
        rows.append((f"[{f.index}]", _e(f.name.removeprefix(prefix)), text, dotted))
    title = f"in_fixed_values (host order): {len(rows)} of {len(fields)} fields set"
    head = ("index", _e(prefix).replace("_", "_<wbr>") + "…", "value", "IPv4")
    return _box("fields", title, _table(rows, head, "w-t w-fix w-fields"))


def meta_html(step: Step) -> str:
    """``in_meta_values``: the members present (``FWPS_METADATA_FIELD_*``) and their values."""
    meta, rows = step.in_meta_values, []
    for name in meta.present():
        if name == "DISCARD_REASON" and meta.discard_metadata is not None:
            d = meta.discard_metadata
            value: object = f"module {d.discard_module}, reason {d.discard_reason}"
        else:
            value = getattr(meta, name.lower(), None)
        if value is None:
            value = "(set)"
        elif isinstance(value, str) and len(value) > 64:
            value = value[:63] + "…"
        rows.append((name, _e(value)))
    body = _table(rows, ("FWPS_METADATA_<wbr>FIELD_…", "value"), "w-t w-fix") if rows else ""
    return _box("meta", f"in_meta_values: {len(rows)} present", body)


def _hex_html(data: bytes, marks: dict[int, str]) -> str:
    shown = data[:HEX_LIMIT]
    marks = {k: v for k, v in marks.items() if 0 <= k <= len(shown)}
    lines = []
    for line in hexdump(shown, marks=marks).splitlines():
        tag = "b" if "DataOffset" in line else "i" if line.lstrip().startswith("^") else ""
        lines.append(f"<{tag}>{_e(line)}</{tag}>" if tag else _e(line))  # b: the data offset
    if len(data) > len(shown):
        lines.append(f"… {len(data) - len(shown)} more bytes not shown")
    return '<pre class="w-hex">' + "\n".join(lines) + "</pre>"


def layer_data_html(step: Step) -> str:
    """``layerData``: the bytes as a hex dump (data offset marked) and the decoded headers."""
    ld, data = step.layer_data, step.packet
    kind = type(ld).__name__
    if data is not None and kind == "StreamCalloutIoPacket":
        title = f"layer_data: FWPS_STREAM_CALLOUT_IO_PACKET0 — {len(data)} bytes of stream data"
        body = "<p>Stream data only: no IP or TCP header at the stream layer.</p>"
        return _box("data", _e(title), body + _hex_html(data, {}))
    if data is not None:
        marks: dict[int, str] = {}
        fields = []
        try:
            marks = Packet.from_bytes(data).sections()
            fields = decode(data)
        except Exception:  # bytes the decoder does not read: show them undecoded
            pass
        off = step.data_offset
        if off is not None:
            marks[off] = f"DataOffset at this layer ({off})"
        title = f"layer_data: NET_BUFFER_LIST — {len(data)} bytes, DataOffset {off}"
        rows, group = [], ""
        for f in fields:
            if f.layer != group:
                group = f.layer
                rows.append(f'<tr class="w-sub"><td colspan="4">{_e(group)}</td></tr>')
            rows.append(
                f"<tr><td>{_e(f.name)}</td><td>{f.offset}</td><td>{f.length}</td>"
                f"<td>{_e(f.value)}</td></tr>"
            )
        head = "<tr><th>field</th><th>offset</th><th>len</th><th>value</th></tr>"
        table = '<table class="w-t w-dec">' + head + "".join(rows) + "</table>"
        return _box("data", _e(title), _hex_html(data, marks) + (table if rows else ""))
    if dataclasses.is_dataclass(ld) and not isinstance(ld, type):
        pairs = [(_e(k), _e(v)) for k, v in dataclasses.asdict(ld).items()]
        name = {"ConnectRequest": "FWPS_CONNECT_REQUEST0", "BindRequest": "FWPS_BIND_REQUEST0"}
        return _box("data", f"layer_data: {name.get(kind, kind)}", _table(pairs, (), "w-t w-fix"))
    return _box("data", "layer_data: NULL", "<p>No packet at this layer (layerData is NULL).</p>")


def arbitration_html(c: Classification) -> str:
    """The arbitration as a table: sublayers in order, each filter's effect and callout call."""
    if not c.sublayers:
        return _box("arb", "Arbitration", f"<p>No filter at {_e(c.layer)}: {c.action.name}.</p>")
    rows = []
    for sub in c.sublayers:
        who = f" by {_e(sub.result_filter)}" if sub.result_filter else ""
        after = f"{'hard' if sub.after.hard else 'soft'} {sub.after.action.name}"
        rows.append(
            f'<tr class="w-sub"><td colspan="4">{_e(sub.name)} (weight {sub.weight}) → '
            f"{sub.result.name}{who}; carried: {after}</td></tr>"
        )
        quiet = 0
        for st in sub.steps:
            quiet += st.effect in (Effect.NO_MATCH, Effect.SKIPPED)
            if quiet > QUIET_ROWS and st.effect in (Effect.NO_MATCH, Effect.SKIPPED):
                continue
            effect = st.effect.value + (f" ({st.failed_condition})" if st.failed_condition else "")
            call = ""
            if st.callout is not None:
                cc = st.callout
                right = "with" if cc.had_write_right else "without"
                fault = f" (fault: {_e(cc.fault)})" if cc.fault else ""
                call = (
                    f'<div class="w-call">callout {_e(cc.callout)} called {right} the write '
                    f"right, saw {cc.saw_action.name}, returned {cc.normalized.name}{fault}</div>"
                )
            rows.append(
                f'<tr class="w-{st.effect.name.lower()}"><td>[{st.filter_id}]</td>'
                f"<td><b>{_e(st.name)}</b></td><td>{st.action.name}</td><td>{_e(effect)}{call}</td></tr>"
            )
        if quiet > QUIET_ROWS:
            more = f"… {quiet - QUIET_ROWS} more did not match (or were skipped)"
            rows.append(f'<tr class="w-more"><td colspan="4">{more}</td></tr>')
    head = "<tr><th>id</th><th>filter</th><th>action</th><th>effect</th></tr>"
    body = '<table class="w-t w-arb">' + head + "".join(rows) + "</table>"
    return _box("arb", "Arbitration (sublayers by weight, filters by effective weight)", body)


def classify_out_html(c: Classification) -> str:
    """``classifyOut``: final action, filter id, rights (write right kept or cleared), flags."""
    d = c.decision
    soft = "kept: a soft decision, lower sublayers may override"
    rights = "FWPS_RIGHT_ACTION_WRITE " + ("cleared: a hard decision" if d.hard else soft)
    absorb = c.absorbed or bool(d.flags & ABSORB)
    flags = "FWPS_CLASSIFY_OUT_FLAG_ABSORB (silent drop)" if absorb else "0"
    rows = [
        ("actionType", f"<code>FWP_ACTION_{c.action.name} (0x{int(c.action):x})</code>"),
        ("filterId", f"{c.filter_id}" + (f" ({_e(c.filter_name)})" if c.filter_name else "")),
        ("rights", rights),
        ("flags", flags),
    ]
    if c.veto:
        rows.append(("veto", "a callout blocked a hard permit without the write right"))
    return _box("out", "classify_out", _table(rows))


def decision_html(step: Step, journey: Journey, last: bool) -> str:
    """Arbitration, ``classify_out`` and the explanation (hidden in challenge mode)."""
    c = step.classification
    why = "".join(f"<li>{_e(line)}</li>" for line in c.explain().splitlines())
    parts = [arbitration_html(c), classify_out_html(c), _box("why", "Why", f"<ul>{why}</ul>")]
    if step.depends:
        parts.insert(0, depends_html(step))
    if step.outcome:  # what happened next may give the verdict away: hidden with it
        parts.insert(0, f'<p class="w-note">{_e(step.outcome)}</p>')
    if last:
        at = f" at {journey.decided_at}" if journey.decided_at else ""
        by = f" by {journey.decided_by!r}" if journey.decided_by else ""
        if journey.result == "DEPENDS":
            at = by = ""
        lines = [f"<p><b>Journey verdict: {_e(journey.result)}</b>{_e(at + by)}</p>"]
        if journey.result == "DEPENDS":
            lines += [
                f"<p>{_e(a.verdict)} if {_e(a.condition())}</p>"
                for a in journey.possible[:ALTERNATIVES]
            ]
            if len(journey.possible) > ALTERNATIVES:
                lines.append(f"<p>… {len(journey.possible) - ALTERNATIVES} more combinations</p>")
        lines += [f"<p>{_e(n)}</p>" for n in journey.notes]
        lines += [f"<p><b>FAULT</b>: {_e(f)}</p>" for f in journey.faults]
        lines += [f"<p>log: <code>{_e(x)}</code></p>" for x in journey.log]
        parts.append(f'<div class="w-end">{"".join(lines)}</div>')
    return "".join(parts)


def inspector_html(step: Step) -> str:
    """What the callouts saw at a step: layer, fields, metadata and layer data."""
    side = f" · {_e(step.side)} side" if step.side else ""
    rid = "none" if step.layer_id is None else step.layer_id
    head = (
        f'<div class="w-head"><b>#{step.index} {_e(step.layer)}</b> '
        f'<span class="w-rid">run-time id {rid}</span> · {_e(step.event)}{side}</div>'
    )
    drop = "A discard layer: the stack is dropping this packet; filters here see the drop."
    injected = step.injection.describe() if step.injection is not None else ""
    notes = [n for n in (drop if step.is_discard else "", injected, step.note) if n]
    extra = "".join(f'<p class="w-note">{_e(n)}</p>' for n in notes)
    return head + extra + fields_html(step) + meta_html(step) + layer_data_html(step)


def positions(journeys: Journey | Iterable[Journey]) -> list[tuple[int, int]]:
    """The playing order: (journey index, step index) of every step of every journey."""
    return [(ji, si) for ji, j in enumerate(as_list(journeys)) for si in range(len(j.steps))]


def frame(
    journey: Journey, step_index: int, position: int = 0, journey_index: int = 0
) -> dict[str, Any]:
    """The frame of one step: ids to mark, label, verdict, inspector and decision HTML.

    ``marks`` maps SVG ids to classes: ``cur`` plus the result for the current layer node,
    ``cur`` for the hop from the previous step, ``seen`` (plus the worst result) for the
    layers and hops crossed before in the same journey.
    """
    step = journey.steps[step_index]
    marks: dict[str, str] = {}
    worst: dict[str, str] = {}
    for prev, nxt in itertools.pairwise(journey.steps[: step_index + 1]):
        r = result_class(prev)
        if _SEVERITY[r] >= _SEVERITY[worst.get(prev.layer, "none")]:
            worst[prev.layer] = r
        if prev.layer != nxt.layer:
            marks[f"hop-{prev.layer}--{nxt.layer}"] = "seen"
    marks.update({node_id(layer): f"seen {r}" for layer, r in worst.items()})
    before = journey.steps[step_index - 1].layer if step_index else step.layer
    hop = f"hop-{before}--{step.layer}" if before != step.layer else ""
    if hop:
        marks[hop] = "cur"
    node = node_id(step.layer)
    marks[node] = f"cur {result_class(step)}"
    last = step_index == len(journey.steps) - 1
    out: dict[str, Any] = {"position": position, "journey": journey_index, "step": step_index}
    out |= {"label": label(step), "verdict": step.result, "result": result_class(step)}
    out |= {"node": node, "hop": hop, "marks": marks, "inspector": inspector_html(step)}
    out |= {"decision": decision_html(step, journey, last), "accept": accepted(step)}
    return out | {"outcome": outcome(step), "hidden": False, "last": last}


def masked(full: dict[str, Any]) -> dict[str, Any]:
    """A frame with its verdict hidden (challenge mode, before the student's prediction)."""
    hide = {"verdict": "?", "result": "unknown", "decision": ASK_HTML, "hidden": True}
    marks = {**full["marks"], full["node"]: "cur unknown"}
    label = full["label"].rsplit(" · ", 1)[0] + " · ?"
    out = {**full, **hide, "marks": marks, "label": label}
    del out["accept"], out["outcome"]
    return out


def frames(journeys: Journey | Iterable[Journey]) -> list[dict[str, Any]]:
    """Every frame of the journeys, in playing order (what the HTML export embeds)."""
    items = as_list(journeys)
    return [frame(items[ji], si, i, ji) for i, (ji, si) in enumerate(positions(items))]
