"""Exercise 16 · Count bytes per flow, TCP and UDP.

Exercise 10 counted TCP connections at the stream layer. This driver counts **every TCP and UDP
flow**, the way WFPSampler's flow-association scenario does, and reports each flow when it ends:

1. :func:`on_established`, at ``ALE_FLOW_ESTABLISHED_V4`` (once per flow): for a TCP or UDP flow
   (``IP_PROTOCOL`` 6 or 17; nothing else), make a record
   ``{"protocol": "TCP", "remote": "93.184.216.34:80", "sent": 0, "received": 0}``, keep it in
   ``RECORDS`` under a new non-zero context number and associate that number with the flow for
   the callout of the layer the flow's data crosses::

       FwpsFlowAssociateContext0(flow_id, FWPS_LAYER_STREAM_V4, STREAM_CALLOUT_ID, context)
       FwpsFlowAssociateContext0(flow_id, FWPS_LAYER_DATAGRAM_DATA_V4, DATAGRAM_CALLOUT_ID, context)

   (TCP: the stream layer; UDP: the datagram layer). ``flow_id`` is ``in_meta_values.flow_handle``.
2. :func:`on_data` — the classifyFn of both data callouts — adds the **payload** bytes to
   ``"sent"`` or ``"received"`` (from this host's point of view). At ``STREAM_V4`` that is
   ``layer_data.data_length`` (``layer_data.outbound`` gives the direction). At
   ``DATAGRAM_DATA_V4`` ``layer_data`` is the packet's net buffer list: ``len(layer_data.current)``
   is ``NET_BUFFER_DATA_LENGTH``, the bytes from the current offset on — and that offset is at the
   **UDP header** for an outbound datagram but at the **payload** for an inbound one. The
   ``DIRECTION`` field says which (``FWP_DIRECTION_OUTBOUND``), the metadata
   ``transport_header_size`` how big the header is.
3. :func:`flow_delete` — the data callouts' ``flowDeleteFn`` — moves the record from ``RECORDS``
   to ``FINISHED`` and reports it with ``DbgPrint``, exactly like this::

       flow bytes: UDP 198.51.100.53:53 sent 9 received 0

All three callouts only watch: they answer ``FWP_ACTION_CONTINUE``. :func:`install` adds the
callouts ``ESTABLISHED_CALLOUT``, ``STREAM_CALLOUT`` and ``DATAGRAM_CALLOUT`` at their layers,
registers them (the data ones with their ``flowDeleteFn``, or the association fails), keeps the
two data callouts' ids in ``STREAM_CALLOUT_ID`` and ``DATAGRAM_CALLOUT_ID``, and adds an
inspection filter for each.
"""

from __future__ import annotations

from typing import Any

from wfpsim import Callout, Condition, Engine, Filter  # noqa: F401  (you will need them)
from wfpsim.ids import (  # noqa: F401  (you will need them)
    FWP_ACTION_CONTINUE,
    FWP_DIRECTION_OUTBOUND,
    FWPS_LAYER_DATAGRAM_DATA_V4,
    FWPS_LAYER_STREAM_V4,
)
from wfpsim.kernel import DbgPrint, FwpsFlowAssociateContext0  # noqa: F401  (you will need them)
from wfpsim.values import format_ipv4  # noqa: F401  (you will need it)

ESTABLISHED_CALLOUT = "flow bytes: established"
STREAM_CALLOUT = "flow bytes: stream"
DATAGRAM_CALLOUT = "flow bytes: datagram"
STREAM_CALLOUT_ID = 0
DATAGRAM_CALLOUT_ID = 0

#: context number -> record of a live flow
RECORDS: dict[int, dict[str, Any]] = {}
#: records of the flows that ended, in the order they ended
FINISHED: list[dict[str, Any]] = []


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
    raise NotImplementedError("create the record and associate its context number")


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
    raise NotImplementedError("count the payload bytes")


def flow_delete(layer_id: int, callout_id: int, flow_context: int) -> None:
    """The flow ended: report it and move its record to FINISHED."""
    raise NotImplementedError("report and move the record")


def install(engine: Engine) -> None:
    """Add and register the three callouts, keep the data callouts' ids, add their filters."""
    raise NotImplementedError("add, register and filter the three callouts")
