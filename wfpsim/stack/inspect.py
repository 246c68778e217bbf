"""Text views of a journey and of one step (what the player's inspector shows).

>>> from wfpsim import Engine
>>> from wfpsim.stack import Stack
>>> j = Stack(Engine()).run("udp", "outbound", "10.0.0.5:0", "8.8.8.8:53", payload=["hi"])
>>> print(step_report(j.steps[6]).splitlines()[0])
step 6: OUTBOUND_TRANSPORT_V4 (run-time id 16) — datagram — NONE_NO_MATCH
"""

from __future__ import annotations

from wfpsim.redirection import describe_records
from wfpsim.report import Table
from wfpsim.stack.host import Address
from wfpsim.stack.journey import Journey, Step
from wfpsim.stack.layerdata import BindRequest, ConnectRequest
from wfpsim.stack.packets import Packet, hexdump
from wfpsim.values import DataType, display_field


def journey_table(journey: Journey) -> Table:
    """One row per layer crossed: layer, what crossed it, the result and who decided."""
    rows = []
    # a journey in which time passed (a pended classification) gets a time column
    timed = bool(journey.pends) or journey.duration > 0
    for s in journey.steps:
        c = s.classification
        who = c.filter_name or ""
        note = "; ".join(n for n in (s.injection.describe() if s.injection else "", s.note) if n)
        row = (str(s.index), s.layer, s.event, s.side, s.result, who, note)
        rows.append((*row, f"{s.time:.3f}") if timed else row)
    title = f"{journey.kind.upper()} {journey.direction.value} {journey.local} -> {journey.remote}"
    header = ("#", "layer", "event", "side", "result", "decided by", "note")
    return Table(
        (*header, "t (s)") if timed else header,
        tuple(rows),
        f"{title}: {journey.result}",
    )


def fields_text(step: Step) -> list[str]:
    """Every ``in_fixed_values`` field: index, name, host-order value (and dotted form).

    No index is skipped: a field the layer did not fill is shown as ``FWP_EMPTY``, which is
    what a callout reading ``incoming_value[index].value.type`` finds there.
    """
    lines = []
    for f in step.in_fixed_values.fields:
        value = step.in_fixed_values.incoming_value[f.index].value
        if value.is_empty:
            lines.append(f"  [{f.index:>2}] {f.name} = FWP_EMPTY")
            continue
        shown = value.display()
        if (
            f.condition
            and "ADDRESS" in f.condition
            and value.type == DataType.UINT32
            and isinstance(value.data, int)
        ):
            shown = f"{value.data:#010x} ({display_field(f.condition, value)})"
        elif value.type in (DataType.UINT16, DataType.UINT8) and isinstance(value.data, int):
            shown = f"{value.data} ({value.data:#x})"
        lines.append(f"  [{f.index:>2}] {f.name} = {shown}")
    return lines


def step_report(step: Step) -> str:
    """Layer, fields, metadata, layer data (hex dump, data offset marked) and the decision."""
    c = step.classification
    fields = step.in_fixed_values.fields
    values = step.in_fixed_values.incoming_value
    set_count = sum(not values[f.index].value.is_empty for f in fields)
    lines = [
        f"step {step.index}: {step.layer} (run-time id {step.layer_id}) — {step.event} — "
        f"{c.action.name}" + (f" by {c.filter_name!r}" if c.filter_name else ""),
        f"in_fixed_values (host order): {set_count} of {len(fields)} fields set, "
        "the others FWP_EMPTY",
        *fields_text(step),
        "in_meta_values: " + (", ".join(step.in_meta_values.present()) or "(none)"),
    ]
    if step.note:  # a pended classification, an injection loop: what the stack noted here
        lines.insert(1, f"note: {step.note}")
    if step.time:  # simulated seconds (wfpsim.clock): time passed while something was pended
        lines.insert(1, f"time: t={step.time:.3f} s (simulated)")
    if step.injection is not None:  # what FwpsQueryPacketInjectionState0 would tell its injector
        lines.insert(
            1,
            f"{step.injection.describe()}: FwpsQueryPacketInjectionState0 with that handle "
            "says FWPS_PACKET_INJECTED_BY_SELF, with any other FWPS_PACKET_INJECTED_BY_OTHER",
        )
    meta = step.in_meta_values
    names = ("flow_handle", "process_id", "ip_header_size", "transport_header_size")
    for name in (*names, "completion_handle"):
        value = getattr(meta, name)
        if value:
            lines.append(f"  {name} = {value}")
    if meta.discard_metadata is not None:
        d = meta.discard_metadata
        lines.append(f"  discard: module {d.discard_module}, reason {d.discard_reason}")
    lines += redirect_lines(step)
    if step.packet is not None:
        marks: dict[int, str] = {}
        if step.layer.startswith("STREAM"):
            lines.append(
                "layer_data: FWPS_STREAM_CALLOUT_IO_PACKET0, stream data only (no IP or TCP header)"
            )
            members = getattr(step.layer_data, "members", None)
            lines += [f"  {k} = {v}" for k, v in (members() if members else [])]
        else:
            try:
                marks = Packet.from_bytes(step.packet).sections()
            except Exception:
                marks = {}
            if step.data_offset is not None:
                marks[step.data_offset] = f"DataOffset at this layer ({step.data_offset})"
            lines.append("layer_data (network order):")
        lines.append(hexdump(step.packet, marks=marks))
    elif not isinstance(step.layer_data, ConnectRequest | BindRequest):
        lines.append(f"layer_data: {type(step.layer_data).__name__ if step.layer_data else 'NULL'}")
    lines.append("decision: " + c.explain().replace("\n", "\n  "))
    if step.depends:
        lines.append(depends_text(step))
    return "\n".join(lines)


def redirect_lines(step: Step) -> list[str]:
    """What a step says about redirection: the request a callout changed at a redirect layer,
    the redirect records its socket carries, a redirected connection's original destination
    and the proxy's pid (``wfpsim.redirection``)."""
    lines = []
    data = step.layer_data
    if isinstance(data, ConnectRequest | BindRequest):
        connect = isinstance(data, ConnectRequest)
        name = "FWPS_CONNECT_REQUEST0" if connect else "FWPS_BIND_REQUEST0"
        line = f"layer_data: {name}, {'remote' if connect else 'local'} {_end(data)}"
        if data.previous_version is not None:
            line += f" (was {_end(data.previous_version)}, changed by filter "
            line += f"{data.modifier_filter_id})"
        lines.append(line)
        if isinstance(data, ConnectRequest) and data.local_redirect_target_pid:
            lines.append(
                f"  local_redirect_target_pid = {data.local_redirect_target_pid}, "
                f"local_redirect_handle = {data.local_redirect_handle!r}, "
                f"local_redirect_context = {data.local_redirect_context!r}"
            )
    meta = step.in_meta_values
    if meta.original_destination is not None:
        ip, port = meta.original_destination
        lines.append(f"  original_destination = {Address(ip, port)} (before redirection)")
    if meta.local_redirect_target_pid:
        lines.append(f"  local_redirect_target_pid = {meta.local_redirect_target_pid}")
    if meta.redirect_records:
        lines.append("  redirect_records: " + describe_records(meta.redirect_records))
    return lines


def _end(data: ConnectRequest | BindRequest) -> str:
    if isinstance(data, ConnectRequest):
        return str(Address(data.remote_address, data.remote_port))
    return str(Address(data.local_address, data.local_port))


def depends_text(step: Step) -> str:
    """The unknown callouts asked at a step: what this layer and the journey come to per answer.

    ``DEPENDS`` heads it when the answers change this layer's action; otherwise the callouts
    were asked but their answer makes no difference here.
    """
    if step.result == "DEPENDS":
        head = (
            f"DEPENDS: unknown callouts decide at {step.layer}; the decision above is the one "
            "where each gives its first answer. Per answer:"
        )
    else:
        head = (
            f"unknown callouts asked at {step.layer}; no answer changes whether the traffic "
            "passes here:"
        )
    rows = [f"  if {a.condition()}: {a.action} here, journey {a.verdict}" for a in step.depends]
    return "\n".join([head, *rows])
