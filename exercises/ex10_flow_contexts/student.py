"""Exercise 10 · Flow contexts and flowDeleteFn.

Build per-connection byte accounting, the way a driver does it:

1. At ``ALE_FLOW_ESTABLISHED_V4`` — indicated once, when a connection is established (notebook
   06) — :func:`on_established` creates a record for the connection, stores it in ``RECORDS``
   under a new, non-zero context number, and **associates** that number with the flow for the
   stream layer's callout::

       FwpsFlowAssociateContext0(flow_id, FWPS_LAYER_STREAM_V4, STREAM_CALLOUT_ID, context)

   ``flow_id`` is the ``FLOW_HANDLE`` metadata (``in_meta_values.flow_handle``); the call
   returns an NTSTATUS, 0 on success. Track **TCP** connections only.
2. At ``STREAM_V4``, the engine hands that number back as ``flow_context`` for every segment
   of the connection. :func:`on_stream` adds the segment's length
   (``layer_data.data_length``) to ``"sent"`` or ``"received"`` — ``layer_data.outbound`` says
   which, from this host's point of view.
3. When the connection ends, the engine calls the stream callout's ``flowDeleteFn`` with the
   context: :func:`flow_delete` moves the record from ``RECORDS`` to ``FINISHED``.

A record is a dict: ``{"remote": "93.184.216.34:80", "sent": 14, "received": 0}`` — the other
end's address and port (``wfpsim.values.format_ipv4`` turns an in_fixed_values address into
text). Both callouts only watch: they answer ``FWP_ACTION_CONTINUE``.

:func:`install` adds the callouts ``ESTABLISHED_CALLOUT`` (at ``ALE_FLOW_ESTABLISHED_V4``) and
``STREAM_CALLOUT`` (at ``STREAM_V4``), registers them — the stream one with its flowDeleteFn,
without which the association fails — keeps the id ``register_callout`` returns for the stream
callout in ``STREAM_CALLOUT_ID``, and adds a filter for each.
"""

from __future__ import annotations

from typing import Any

from wfpsim import Callout, Condition, Engine, Filter  # noqa: F401  (you will need them)
from wfpsim.ids import (  # noqa: F401  (you will need them)
    FWP_ACTION_CONTINUE,
    FWPS_FIELD_ALE_FLOW_ESTABLISHED_V4_IP_REMOTE_ADDRESS,
    FWPS_FIELD_ALE_FLOW_ESTABLISHED_V4_IP_REMOTE_PORT,
    FWPS_LAYER_STREAM_V4,
)
from wfpsim.kernel import FwpsFlowAssociateContext0  # noqa: F401  (you will need it)
from wfpsim.values import format_ipv4  # noqa: F401  (you will need it)

ESTABLISHED_CALLOUT = "accounting: flow established"
STREAM_CALLOUT = "accounting: stream"
STREAM_CALLOUT_ID = 0

#: context number -> record of a live connection
RECORDS: dict[int, dict[str, Any]] = {}
#: records of the connections that ended, in the order they ended
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
    """A TCP connection is established: a new record, associated with the flow."""
    raise NotImplementedError("create the record and associate its context number")


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
    raise NotImplementedError("count the segment's bytes")


def flow_delete(layer_id: int, callout_id: int, flow_context: int) -> None:
    """The connection ended: its record moves from RECORDS to FINISHED."""
    raise NotImplementedError("move the record to FINISHED")


def install(engine: Engine) -> None:
    """Add and register both callouts, keep STREAM_CALLOUT_ID, add their filters."""
    raise NotImplementedError("add, register and filter both callouts")
