"""Exercise 17 · Stop a word that arrives in pieces.

A leak filter at the stream layer: an application must never send the word ``SECRET`` (the
bytes in :data:`WORD`). TCP does not keep an application's writes together: ``SEC`` may end one
segment and ``RET`` start the next. Write the callout :func:`classify` for ``STREAM_V4``:

1. Only **outbound** data is inspected (``FWPS_STREAM_FLAG_SEND`` in
   ``layer_data.stream_data.flags``); inbound data, and an empty indication (a bare FIN),
   get ``FWP_ACTION_PERMIT``.
2. Read the indicated bytes: ``layer_data.stream_data.data`` (what a C driver copies into its
   own buffer with ``FwpsCopyStreamDataToBuffer0``).
3. The data contains ``WORD``: set ``layer_data.stream_action`` to
   ``FWPS_STREAM_ACTION_DROP_CONNECTION``, ``classify_out.action_type`` to ``FWP_ACTION_NONE``,
   and print ``DbgPrint("leak stopped")``.
4. The data **ends** with the beginning of ``WORD`` (``S``, ``SE`` … ``SECRE``) and more data may
   come (``FWPS_CLASSIFY_OUT_FLAG_NO_MORE_DATA`` is not set in ``classify_out.flags``): ask for
   more — ``FWPS_STREAM_ACTION_NEED_MORE_DATA``, ``FWP_ACTION_NONE``, and
   ``count_bytes_required`` = exactly the bytes needed to complete the word (the stream layer
   then indicates everything it holds again, together with the new bytes). For ``b"hello SEC"``
   that is 9 + 3 = 12.
5. Anything else: ``FWP_ACTION_PERMIT`` (all of it).

:func:`install` adds the callout :data:`CALLOUT` at ``STREAM_V4`` (``engine.add_callout``),
registers :func:`classify` for it (``engine.register_callout``) and adds one filter named
:data:`FILTER`, ``FWP_ACTION_CALLOUT_UNKNOWN``, without conditions (Microsoft documents
DROP_CONNECTION for that filter action only).
"""

from __future__ import annotations

from typing import Any

from wfpsim import Callout, Engine, Filter  # noqa: F401  (you will need them)
from wfpsim.ids import (  # noqa: F401  (you will need them)
    FWP_ACTION_NONE,
    FWP_ACTION_PERMIT,
    FWPS_CLASSIFY_OUT_FLAG_NO_MORE_DATA,
    FWPS_STREAM_ACTION_DROP_CONNECTION,
    FWPS_STREAM_ACTION_NEED_MORE_DATA,
    FWPS_STREAM_FLAG_SEND,
)
from wfpsim.kernel import DbgPrint  # noqa: F401  (you will need it)

WORD = b"SECRET"
CALLOUT = "leak filter"
FILTER = "stop the word"


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
    raise NotImplementedError("inspect the stream data")


def install(engine: Engine) -> None:
    """Add the callout at STREAM_V4, register classify for it, add a CALLOUT_UNKNOWN filter."""
    raise NotImplementedError("register, add the callout and its filter")
