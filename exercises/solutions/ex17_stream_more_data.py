"""Solution of exercise 17: a leak filter that waits for the rest of a split word.

The one subtle line is ``count_bytes_required``: the stream layer indicates **all** the bytes it
holds again once that many are there, so the callout asks for the length it has plus the bytes
missing from the word. A callout that never asks (decides on each piece alone) lets ``SEC`` +
``RET`` through; one that asks after the stream ended (``NO_MORE_DATA``) is at fault.
"""

from __future__ import annotations

from typing import Any

from wfpsim import Callout, Engine, Filter
from wfpsim.ids import (
    FWP_ACTION_NONE,
    FWP_ACTION_PERMIT,
    FWPS_CLASSIFY_OUT_FLAG_NO_MORE_DATA,
    FWPS_STREAM_ACTION_DROP_CONNECTION,
    FWPS_STREAM_ACTION_NEED_MORE_DATA,
    FWPS_STREAM_FLAG_SEND,
)
from wfpsim.kernel import DbgPrint

WORD = b"SECRET"
CALLOUT = "leak filter"
FILTER = "stop the word"


def missing(data: bytes) -> int:
    """How many bytes would complete WORD at the end of ``data`` (0: no start of it there)."""
    for size in range(min(len(WORD) - 1, len(data)), 0, -1):
        if data.endswith(WORD[:size]):
            return len(WORD) - size
    return 0


def classify(
    in_fixed_values: Any,
    in_meta_values: Any,
    layer_data: Any,
    classify_context: Any,
    filter: Any,
    flow_context: int,
    classify_out: Any,
) -> None:
    """Drop a connection that sends WORD; ask for more data when the data ends in its start."""
    stream_data = layer_data.stream_data
    if not stream_data.flags & FWPS_STREAM_FLAG_SEND or stream_data.data_length == 0:
        classify_out.action_type = FWP_ACTION_PERMIT
        return
    data = stream_data.data  # FwpsCopyStreamDataToBuffer0 in C
    if WORD in data:
        layer_data.stream_action = FWPS_STREAM_ACTION_DROP_CONNECTION
        classify_out.action_type = FWP_ACTION_NONE
        DbgPrint("leak stopped")
        return
    more = missing(data)
    if more and not classify_out.flags & FWPS_CLASSIFY_OUT_FLAG_NO_MORE_DATA:
        layer_data.stream_action = FWPS_STREAM_ACTION_NEED_MORE_DATA
        layer_data.count_bytes_required = len(data) + more
        classify_out.action_type = FWP_ACTION_NONE
        return
    classify_out.action_type = FWP_ACTION_PERMIT


def install(engine: Engine) -> None:
    """Add the callout at STREAM_V4, register classify for it, add a CALLOUT_UNKNOWN filter."""
    engine.add_callout(Callout(CALLOUT, "STREAM_V4"))
    engine.register_callout(CALLOUT, classify)
    engine.add_filter(Filter(FILTER, "STREAM_V4", "CALLOUT_UNKNOWN", callout=CALLOUT))
