"""Exercise 09 · reference solution.

``in_fixed_values`` holds an IPv4 address as a host-order integer: 203.0.113.66 is
``0xCB007142``, most significant byte first when written out. The packet holds the same bytes in
network order (big-endian). All three bugs read or wrote those bytes little-endian — the way an
x86 CPU stores the integer in memory — which reverses them:

* ``blocked_address`` built ``0x427100CB`` (66.113.0.203), so the callout blocked that machine
  instead; ``"!I"`` (network order) gives the host-order integer WFP uses;
* ``format_address`` printed the bytes backwards;
* ``port_from_header`` read port 443 (``01 BB`` on the wire) as 47873.

``1.2.2.1`` reads the same both ways, which is why the lab test passed. Test byte order with
asymmetric values.
"""

from __future__ import annotations

import socket
import struct
from typing import Any

from wfpsim import Callout, Engine, Filter, Sublayer
from wfpsim.ids import (
    FWP_ACTION_BLOCK,
    FWP_ACTION_PERMIT,
    FWPS_FIELD_OUTBOUND_TRANSPORT_V4_IP_REMOTE_ADDRESS,
    FWPS_RIGHT_ACTION_WRITE,
)
from wfpsim.kernel import DbgPrint

LAYER = "OUTBOUND_TRANSPORT_V4"
CALLOUT = "blocklist"
BLOCKED_SERVER = "203.0.113.66"


def blocked_address() -> int:
    """``BLOCKED_SERVER`` as the integer ``in_fixed_values`` holds for an IPv4 address."""
    return struct.unpack("!I", socket.inet_aton(BLOCKED_SERVER))[0]


def format_address(address: int) -> str:
    """The dotted quad of an IPv4 address given as ``in_fixed_values`` holds it."""
    return ".".join(str(b) for b in address.to_bytes(4, "big"))


def port_from_header(transport_header: bytes) -> int:
    """The destination port: bytes 2-3 of a TCP or UDP header, as on the wire."""
    return struct.unpack("!H", transport_header[2:4])[0]


def classify(
    in_fixed_values: Any,
    in_meta_values: Any,
    layer_data: Any,
    classify_context: Any,
    filter: Any,
    flow_context: int,
    classify_out: Any,
) -> None:
    """Log the packet's destination; block it when it goes to the blocked server."""
    address = in_fixed_values.incoming_value[
        FWPS_FIELD_OUTBOUND_TRANSPORT_V4_IP_REMOTE_ADDRESS
    ].value.uint32
    port = port_from_header(layer_data.current)
    DbgPrint("blocklist: %s:%u\n", format_address(address), port)
    if not classify_out.rights & FWPS_RIGHT_ACTION_WRITE:
        return
    if address == blocked_address():
        classify_out.action_type = FWP_ACTION_BLOCK
        classify_out.rights &= ~FWPS_RIGHT_ACTION_WRITE
    else:
        classify_out.action_type = FWP_ACTION_PERMIT


def install(engine: Engine) -> None:
    """The driver's sublayer, callout and filter (correct as they are)."""
    engine.add_sublayer(Sublayer("blocklist", weight=0x4000))
    engine.add_callout(Callout(CALLOUT, LAYER))
    engine.register_callout(CALLOUT, classify)
    engine.add_filter(
        Filter("blocklist", LAYER, "CALLOUT_TERMINATING", callout=CALLOUT, sublayer="blocklist")
    )
