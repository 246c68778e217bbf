"""The player's inspector: what the callouts saw at a step, and how the step was decided.

HTML boxes, pure Python over a :class:`~wfpsim.stack.journey.Step`: the fields
(``in_fixed_values``), the metadata (``in_meta_values``), the layer data as a hex dump with its
decoded headers, the arbitration table, ``classifyOut`` and the journey's end. The frames
(:mod:`wfpsim.viz.frames`) carry them; the notebook player and the HTML export show them.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Iterable

from wfpsim.stack.inspect import redirect_lines
from wfpsim.stack.journey import Journey, Step
from wfpsim.stack.packets import Packet, decode, hexdump
from wfpsim.trace import ABSORB, Classification, Effect
from wfpsim.values import DataType, format_ipv4
from wfpsim.viz.depends import ALTERNATIVES, depends_html

#: Bytes of ``layer_data`` shown in the inspector's hex dump (the rest is counted, not shown).
HEX_LIMIT = 128
#: Filters per sublayer listed even though they did not match (the rest are counted).
QUIET_ROWS = 3


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
        answers = [(_e(k), _e(v)) for k, v in ld.members()]  # and what the callout answered
        table = _table(answers, (), "w-t w-fix")
        return _box("data", _e(title), body + table + _hex_html(data, {}))
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
        lines += [f"<p><b>pend</b>: {_e(p.describe())}</p>" for p in journey.pends]
        lines += [f"<p>redirect: {_e(r.describe())}</p>" for r in journey.redirects]
        held = [e for e in journey.streams if e.kind != "delivered"]  # the stream layer's doings
        lines += [f"<p>stream: {_e(e.describe())}</p>" for e in held]
        lines += [f"<p><b>FAULT</b>: {_e(f)}</p>" for f in journey.faults]
        lines += [f"<p>log: <code>{_e(x)}</code></p>" for x in journey.log]
        parts.append(f'<div class="w-end">{"".join(lines)}</div>')
    return "".join(parts)


def inspector_html(step: Step) -> str:
    """What the callouts saw at a step: layer, fields, metadata and layer data."""
    side = f" · {_e(step.side)} side" if step.side else ""
    side += f" · t={step.time:.3f} s" if step.time else ""  # simulated time (wfpsim.clock)
    rid = "none" if step.layer_id is None else step.layer_id
    head = (
        f'<div class="w-head"><b>#{step.index} {_e(step.layer)}</b> '
        f'<span class="w-rid">run-time id {rid}</span> · {_e(step.event)}{side}</div>'
    )
    drop = "A discard layer: the stack is dropping this packet; filters here see the drop."
    injected = step.injection.describe() if step.injection is not None else ""
    notes = [n for n in (drop if step.is_discard else "", injected, step.note) if n]
    notes += [n.strip() for n in redirect_lines(step)]  # original destination, redirect state
    extra = "".join(f'<p class="w-note">{_e(n)}</p>' for n in notes)
    return head + extra + fields_html(step) + meta_html(step) + layer_data_html(step)
