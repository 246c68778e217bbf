"""Exercise 11 · reference solution.

* A SYN to a closed port is dropped by TCP before ALE and indicated at
  ``INBOUND_TRANSPORT_V4_DISCARD`` (module TRANSPORT, ``InetDiscardEndpointNotFound`` = 4); a
  BLOCK there suppresses the RST. A datagram to a closed UDP port is indicated at
  ``INBOUND_IPPACKET_V4_DISCARD`` (module NETWORK, ``IpDiscardPortUnreachable`` = 4); a BLOCK
  there suppresses the ICMP error (blocking type 3 at ``OUTBOUND_ICMP_ERROR_V4`` also works).
* A filter's own block shows at the twin with module GENERAL, ``FWPS_DISCARD_FIREWALL_POLICY``
  (0) and the filter's id.
* The logging filters sit in a sublayer of their own: in the sublayer of the stealth blocks,
  a block asked first would end the sublayer and the logger would never see those drops.
"""

from __future__ import annotations

from typing import Any

from wfpsim import Callout, Engine, Filter, Sublayer
from wfpsim.ids import (
    FWP_ACTION_CONTINUE,
    FWPS_METADATA_FIELD_DISCARD_REASON,
)

LOGGED_LAYERS = (
    "INBOUND_IPPACKET_V4_DISCARD",
    "INBOUND_TRANSPORT_V4_DISCARD",
    "ALE_AUTH_RECV_ACCEPT_V4_DISCARD",
    "ALE_AUTH_CONNECT_V4_DISCARD",
)

#: (layer id, discard module, discard reason, filter id), in the order they were indicated
DISCARDS: list[tuple[int, int, int, int]] = []


def log_discard(
    in_fixed_values: Any,
    in_meta_values: Any,
    layer_data: Any,
    classify_context: Any,
    filter: Any,
    flow_context: int,
    classify_out: Any,
) -> None:
    """Record one discard indication in DISCARDS; never change the verdict."""
    classify_out.action_type = FWP_ACTION_CONTINUE
    if not in_meta_values.current_metadata_values & FWPS_METADATA_FIELD_DISCARD_REASON:
        return
    why = in_meta_values.discard_metadata
    DISCARDS.append(
        (in_fixed_values.layer_id, why.discard_module, why.discard_reason, why.filter_id)
    )


def install(engine: Engine) -> None:
    """The logging callouts and their filters, and the filters that make the host silent."""
    engine.add_sublayer(Sublayer("discard log", weight=0x0100))
    for layer in LOGGED_LAYERS:
        engine.add_callout(Callout(f"log {layer}", layer))
        engine.register_callout(f"log {layer}", log_discard)
        engine.add_filter(
            Filter(
                f"log {layer}",
                layer,
                "CALLOUT_INSPECTION",
                callout=f"log {layer}",
                sublayer="discard log",
            )
        )
    engine.add_sublayer(Sublayer("stealth", weight=0x0200))
    engine.add_filter(Filter("no RST", "INBOUND_TRANSPORT_V4_DISCARD", "BLOCK", sublayer="stealth"))
    engine.add_filter(
        Filter("no ICMP unreachable", "INBOUND_IPPACKET_V4_DISCARD", "BLOCK", sublayer="stealth")
    )
