"""Exercise 16 · reference solution.

One context number per flow, associated at ``ALE_FLOW_ESTABLISHED_V4`` with the callout of the
layer the flow's data crosses: ``STREAM_V4`` for TCP, ``DATAGRAM_DATA_V4`` for UDP (an
association names one layer and one callout). The engine hands the number back as
``flow_context``; the flowDeleteFn gets it once more when the flow ends.

The trap is the datagram layer's data offset: outbound it sits at the UDP header (the stack has
built the header already), inbound at the payload (the header has been consumed). Counting
``len(layer_data.current)`` both ways counts 8 bytes too many for every datagram sent;
``transport_header_size`` from the metadata removes them.
"""

from __future__ import annotations

from typing import Any

from wfpsim import Callout, Engine, Filter
from wfpsim.ids import (
    FWP_ACTION_CONTINUE,
    FWP_DIRECTION_OUTBOUND,
    FWPS_LAYER_DATAGRAM_DATA_V4,
    FWPS_LAYER_STREAM_V4,
)
from wfpsim.kernel import DbgPrint, FwpsFlowAssociateContext0
from wfpsim.values import format_ipv4

ESTABLISHED_CALLOUT = "flow bytes: established"
STREAM_CALLOUT = "flow bytes: stream"
DATAGRAM_CALLOUT = "flow bytes: datagram"
STREAM_CALLOUT_ID = 0
DATAGRAM_CALLOUT_ID = 0

#: context number -> record of a live flow
RECORDS: dict[int, dict[str, Any]] = {}
#: records of the flows that ended, in the order they ended
FINISHED: list[dict[str, Any]] = []
_next_context = 0


def on_established(
    in_fixed_values: Any,
    in_meta_values: Any,
    layer_data: Any,
    classify_context: Any,
    filter: Any,
    flow_context: int,
    classify_out: Any,
) -> None:
    """A TCP or UDP flow starts: a new record, associated with the data layer's callout."""
    global _next_context
    classify_out.action_type = FWP_ACTION_CONTINUE
    protocol = in_fixed_values["IP_PROTOCOL"].uint8
    if protocol == 6:
        name, layer, callout = "TCP", FWPS_LAYER_STREAM_V4, STREAM_CALLOUT_ID
    elif protocol == 17:
        name, layer, callout = "UDP", FWPS_LAYER_DATAGRAM_DATA_V4, DATAGRAM_CALLOUT_ID
    else:
        return
    address = in_fixed_values["IP_REMOTE_ADDRESS"].uint32
    port = in_fixed_values["IP_REMOTE_PORT"].uint16
    _next_context += 1
    if FwpsFlowAssociateContext0(in_meta_values.flow_handle, layer, callout, _next_context) == 0:
        RECORDS[_next_context] = {
            "protocol": name,
            "remote": f"{format_ipv4(address)}:{port}",
            "sent": 0,
            "received": 0,
        }


def on_data(
    in_fixed_values: Any,
    in_meta_values: Any,
    layer_data: Any,
    classify_context: Any,
    filter: Any,
    flow_context: int,
    classify_out: Any,
) -> None:
    """A segment or datagram of a counted flow: add its payload bytes to the record."""
    classify_out.action_type = FWP_ACTION_CONTINUE
    record = RECORDS.get(flow_context)
    if record is None:
        return
    if hasattr(layer_data, "data_length"):  # STREAM: stream data only
        size, outbound = layer_data.data_length, layer_data.outbound
    else:  # DATAGRAM_DATA: a net buffer list
        outbound = in_fixed_values["DIRECTION"].uint32 == FWP_DIRECTION_OUTBOUND
        size = len(layer_data.current)
        if outbound:
            size -= in_meta_values.transport_header_size
    record["sent" if outbound else "received"] += size


def flow_delete(layer_id: int, callout_id: int, flow_context: int) -> None:
    """The flow ended: report it and move its record to FINISHED."""
    record = RECORDS.pop(flow_context, None)
    if record is None:
        return
    DbgPrint(
        "flow bytes: %s %s sent %d received %d",
        record["protocol"],
        record["remote"],
        record["sent"],
        record["received"],
    )
    FINISHED.append(record)


def install(engine: Engine) -> None:
    """Add and register the three callouts, keep the data callouts' ids, add their filters."""
    global STREAM_CALLOUT_ID, DATAGRAM_CALLOUT_ID
    engine.add_callout(Callout(ESTABLISHED_CALLOUT, "ALE_FLOW_ESTABLISHED_V4"))
    engine.add_callout(Callout(STREAM_CALLOUT, "STREAM_V4"))
    engine.add_callout(Callout(DATAGRAM_CALLOUT, "DATAGRAM_DATA_V4"))
    engine.register_callout(ESTABLISHED_CALLOUT, on_established)
    STREAM_CALLOUT_ID = engine.register_callout(STREAM_CALLOUT, on_data, flow_delete=flow_delete)
    DATAGRAM_CALLOUT_ID = engine.register_callout(
        DATAGRAM_CALLOUT, on_data, flow_delete=flow_delete
    )
    for name, layer in (
        (ESTABLISHED_CALLOUT, "ALE_FLOW_ESTABLISHED_V4"),
        (STREAM_CALLOUT, "STREAM_V4"),
        (DATAGRAM_CALLOUT, "DATAGRAM_DATA_V4"),
    ):
        engine.add_filter(Filter(name, layer, "CALLOUT_INSPECTION", callout=name))
