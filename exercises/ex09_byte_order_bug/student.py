"""Exercise 09 · Fix a byte-order bug in a callout.

This callout driver at ``OUTBOUND_TRANSPORT_V4`` keeps one server off-limits: it blocks every
packet to ``BLOCKED_SERVER`` and logs each packet it sees with ``DbgPrint`` as
``blocklist: 203.0.113.66:443`` (remote address and port). In the lab it blocked its test
server, ``1.2.2.1``, perfectly. In production it blocks the wrong machine, and its log is
garbage.

Three helpers get byte order wrong. Fix them — and only them: :func:`classify` and
:func:`install` are correct.

* :func:`blocked_address` — the blocked server as ``in_fixed_values`` holds an IPv4 address;
* :func:`format_address` — a dotted quad from the value ``in_fixed_values`` holds;
* :func:`port_from_header` — the destination port from a TCP or UDP header, as
  ``layer_data.current`` shows it at ``OUTBOUND_TRANSPORT_V4`` (the bytes of the packet from the
  transport header on: exactly what travels on the wire).

The callout runs on a little-endian x86/x64 machine: ``"<"`` in :mod:`struct` and ``"little"``
in ``int.from_bytes`` are how its CPU reads memory. Notebook 09 shows both orders side by side.
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
    return struct.unpack("<I", socket.inet_aton(BLOCKED_SERVER))[0]


def format_address(address: int) -> str:
    """The dotted quad of an IPv4 address given as ``in_fixed_values`` holds it."""
    return ".".join(str(b) for b in address.to_bytes(4, "little"))


def port_from_header(transport_header: bytes) -> int:
    """The destination port: bytes 2-3 of a TCP or UDP header, as on the wire."""
    return struct.unpack("<H", transport_header[2:4])[0]


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
