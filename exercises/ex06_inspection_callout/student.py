"""Exercise 06 · Write an inspection callout.

Write a callout that **counts** outbound connections per (IP protocol, remote port) at
``ALE_AUTH_CONNECT_V4`` — a small traffic statistic of the kind monitoring products keep.

:func:`count_connections` is the ``classifyFn`` (notebook 05):

* read ``IP_PROTOCOL`` (``FWP_UINT8``) and ``IP_REMOTE_PORT`` (``FWP_UINT16``) from
  ``in_fixed_values`` by their ``FWPS_FIELD_ALE_AUTH_CONNECT_V4_*`` indexes, as a driver does;
* count TCP (6) and UDP (17) only: ``COUNTS[(protocol, port)] += 1``;
* count each connection **once**: when the policy changes, ALE asks again about live
  connections — a *reauthorization*, flagged by ``FWP_CONDITION_FLAG_IS_REAUTHORIZE`` in the
  ``FLAGS`` field (notebook 07) — and that is not a new connection;
* never change a verdict: answer ``FWP_ACTION_CONTINUE``.

:func:`install` adds the callout ``CALLOUT`` at ``ALE_AUTH_CONNECT_V4``, registers
:func:`count_connections`, and adds an inspection filter that invokes it for every connection.
Other products on the machine block some connections; your counter must count those too.
"""

from __future__ import annotations

from typing import Any

from wfpsim import Callout, Engine, Filter, Sublayer  # noqa: F401  (you will need them)
from wfpsim.ids import (  # noqa: F401  (you will need them)
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
    raise NotImplementedError("write the classify function")


def install(engine: Engine) -> None:
    """Add the callout, register it, and add the inspection filter that invokes it."""
    raise NotImplementedError("add and register the callout, and add its filter")
