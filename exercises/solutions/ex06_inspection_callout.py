"""Exercise 06 · reference solution.

The filter goes into a sublayer of its own: in a shared sublayer, another product's BLOCK with a
higher weight would end the sublayer before the inspection filter is asked, and the counter
would miss every connection that product blocks. In its own sublayer it is always asked —
every sublayer is evaluated — even after a hard block, just without the write right, which an
inspection callout does not need.
"""

from __future__ import annotations

from typing import Any

from wfpsim import Callout, Engine, Filter, Sublayer
from wfpsim.ids import (
    FWP_ACTION_CONTINUE,
    FWP_CONDITION_FLAG_IS_REAUTHORIZE,
    FWPS_FIELD_ALE_AUTH_CONNECT_V4_FLAGS,
    FWPS_FIELD_ALE_AUTH_CONNECT_V4_IP_PROTOCOL,
    FWPS_FIELD_ALE_AUTH_CONNECT_V4_IP_REMOTE_PORT,
)

LAYER = "ALE_AUTH_CONNECT_V4"
CALLOUT = "connection counter"

#: (IP protocol, remote port) -> number of connections
COUNTS: dict[tuple[int, int], int] = {}


def count_connections(
    in_fixed_values: Any,
    in_meta_values: Any,
    layer_data: Any,
    classify_context: Any,
    filter: Any,
    flow_context: int,
    classify_out: Any,
) -> None:
    """Count one new TCP or UDP connection in ``COUNTS``; never change the verdict."""
    values = in_fixed_values.incoming_value
    classify_out.action_type = FWP_ACTION_CONTINUE
    if (
        values[FWPS_FIELD_ALE_AUTH_CONNECT_V4_FLAGS].value.uint32
        & FWP_CONDITION_FLAG_IS_REAUTHORIZE
    ):
        return
    protocol = values[FWPS_FIELD_ALE_AUTH_CONNECT_V4_IP_PROTOCOL].value.uint8
    if protocol not in (6, 17):
        return
    port = values[FWPS_FIELD_ALE_AUTH_CONNECT_V4_IP_REMOTE_PORT].value.uint16
    COUNTS[(protocol, port)] = COUNTS.get((protocol, port), 0) + 1


def install(engine: Engine) -> None:
    """Add the callout, register it, and add the inspection filter that invokes it."""
    engine.add_sublayer(Sublayer("traffic statistics", weight=0x0100))
    engine.add_callout(Callout(CALLOUT, LAYER))
    engine.register_callout(CALLOUT, count_connections)
    engine.add_filter(
        Filter(
            "count connections",
            LAYER,
            "CALLOUT_INSPECTION",
            callout=CALLOUT,
            sublayer="traffic statistics",
        )
    )
