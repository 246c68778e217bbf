"""Exercise 11 · Log discard reasons, stay silent.

A port scanner probes this host. Make the host **silent** and **observant** (notebook 10):

* silent: a SYN to a closed TCP port gets no RST, and a datagram to a closed UDP port gets no
  ICMP port-unreachable — nothing leaves the host in answer;
* observant: every discard indicated at the four layers of ``LOGGED_LAYERS`` is recorded in
  ``DISCARDS`` as ``(layer_id, discard_module, discard_reason, filter_id)`` — the run-time layer
  id (``in_fixed_values.layer_id``) and the three members of the discard metadata. Record
  only indications that carry discard metadata (test the ``FWPS_METADATA_FIELD_DISCARD_REASON``
  bit of ``in_meta_values``); silence must not cost you a single log entry.

Write :func:`log_discard`, the classifyFn of the logging callouts (an inspection callout: it
answers ``FWP_ACTION_CONTINUE``), and :func:`install`, which adds one logging callout per layer of
``LOGGED_LAYERS`` (a callout belongs to one layer; they may share the classify function),
registers them, adds their filters, and adds the filters that make the host silent.

The ``FWPS_DISCARD_MODULE_*`` constants are the ``FWPS_DISCARD_MODULE0`` values of fwpstypes.h.
"""

from __future__ import annotations

from typing import Any

from wfpsim import Callout, Engine, Filter, Sublayer  # noqa: F401  (you will need them)
from wfpsim.ids import (  # noqa: F401  (you will need them)
    FWP_ACTION_CONTINUE,
    FWPS_DISCARD_MODULE_GENERAL,
    FWPS_DISCARD_MODULE_NETWORK,
    FWPS_DISCARD_MODULE_TRANSPORT,
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
    raise NotImplementedError("record the discard metadata")


def install(engine: Engine) -> None:
    """The logging callouts and their filters, and the filters that make the host silent."""
    raise NotImplementedError("add the logging callouts and the stealth filters")
