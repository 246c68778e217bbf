"""Exercise 10 · reference solution.

The context is a number, not the record itself: in C it would be a pointer to a structure the
driver allocated, and the number plays that part here. ``flowDeleteFn`` is where that memory
would be freed; the engine removes the association itself. The flow-established filter tests
``IP_PROTOCOL`` so that UDP flows get no record (they never reach the stream layer, and their
flowDeleteFn would report empty records).
"""

from __future__ import annotations

from typing import Any

from wfpsim import Callout, Condition, Engine, Filter
from wfpsim.ids import (
    FWP_ACTION_CONTINUE,
    FWPS_FIELD_ALE_FLOW_ESTABLISHED_V4_IP_REMOTE_ADDRESS,
    FWPS_FIELD_ALE_FLOW_ESTABLISHED_V4_IP_REMOTE_PORT,
    FWPS_LAYER_STREAM_V4,
)
from wfpsim.kernel import FwpsFlowAssociateContext0
from wfpsim.values import format_ipv4

ESTABLISHED_CALLOUT = "accounting: flow established"
STREAM_CALLOUT = "accounting: stream"
STREAM_CALLOUT_ID = 0

#: context number -> record of a live connection
RECORDS: dict[int, dict[str, Any]] = {}
#: records of the connections that ended, in the order they ended
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
    """A TCP connection is established: a new record, associated with the flow."""
    global _next_context
    classify_out.action_type = FWP_ACTION_CONTINUE
    values = in_fixed_values.incoming_value
    address = values[FWPS_FIELD_ALE_FLOW_ESTABLISHED_V4_IP_REMOTE_ADDRESS].value.uint32
    port = values[FWPS_FIELD_ALE_FLOW_ESTABLISHED_V4_IP_REMOTE_PORT].value.uint16
    _next_context += 1
    status = FwpsFlowAssociateContext0(
        in_meta_values.flow_handle, FWPS_LAYER_STREAM_V4, STREAM_CALLOUT_ID, _next_context
    )
    if status == 0:
        RECORDS[_next_context] = {
            "remote": f"{format_ipv4(address)}:{port}",
            "sent": 0,
            "received": 0,
        }


def on_stream(
    in_fixed_values: Any,
    in_meta_values: Any,
    layer_data: Any,
    classify_context: Any,
    filter: Any,
    flow_context: int,
    classify_out: Any,
) -> None:
    """A segment of stream data: count its bytes in the connection's record."""
    classify_out.action_type = FWP_ACTION_CONTINUE
    record = RECORDS.get(flow_context)
    if record is not None:
        record["sent" if layer_data.outbound else "received"] += layer_data.data_length


def flow_delete(layer_id: int, callout_id: int, flow_context: int) -> None:
    """The connection ended: its record moves from RECORDS to FINISHED."""
    record = RECORDS.pop(flow_context, None)
    if record is not None:
        FINISHED.append(record)


def install(engine: Engine) -> None:
    """Add and register both callouts, keep STREAM_CALLOUT_ID, add their filters."""
    global STREAM_CALLOUT_ID
    engine.add_callout(Callout(ESTABLISHED_CALLOUT, "ALE_FLOW_ESTABLISHED_V4"))
    engine.add_callout(Callout(STREAM_CALLOUT, "STREAM_V4"))
    engine.register_callout(ESTABLISHED_CALLOUT, on_established)
    STREAM_CALLOUT_ID = engine.register_callout(STREAM_CALLOUT, on_stream, flow_delete=flow_delete)
    engine.add_filter(
        Filter(
            "account TCP connections",
            "ALE_FLOW_ESTABLISHED_V4",
            "CALLOUT_INSPECTION",
            [Condition("IP_PROTOCOL", "EQUAL", 6)],
            callout=ESTABLISHED_CALLOUT,
        )
    )
    engine.add_filter(
        Filter("account stream data", "STREAM_V4", "CALLOUT_INSPECTION", callout=STREAM_CALLOUT)
    )
