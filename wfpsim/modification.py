"""Classify handles and writable layer data: how a callout changes a bind or a connect.

At ``ALE_BIND_REDIRECT`` and ``ALE_CONNECT_REDIRECT`` the layer data is an
``FWPS_BIND_REQUEST0`` / ``FWPS_CONNECT_REQUEST0`` (:mod:`wfpsim.stack.layerdata`). In Windows
it is read-only; a callout changes it in four calls, the C signatures kept (an out-parameter is
an :class:`~wfpsim.netbuffers.Out` cell)::

    handle = Out()
    FwpsAcquireClassifyHandle0(classify_context, 0, handle)
    writable = Out()
    FwpsAcquireWritableLayerDataPointer0(handle.value, filter.filter_id, 0, writable, classify_out)
    writable.value.remote_address, writable.value.remote_port = "127.0.0.1", 8080
    FwpsApplyModifiedLayerData0(handle.value, writable.value, 0)
    FwpsReleaseClassifyHandle0(handle.value)
    classify_out.action_type = FWP_ACTION_PERMIT

``FwpsAcquireWritableLayerDataPointer0`` sets ``classify_out.action_type = FWP_ACTION_BLOCK``
and clears ``FWPS_RIGHT_ACTION_WRITE`` (its Remarks say so), so a callout that goes on to
permit must say so. It supports exactly the two request types (its Remarks list them);
anywhere else it returns ``STATUS_INVALID_PARAMETER`` (**our choice** of status: Microsoft names
none). ``FwpsApplyModifiedLayerData0`` makes the writable copy the request's new version: the
previous one is kept in ``previous_version`` and ``modifier_filter_id`` names the filter.

**Our choice**: wfpsim still lets a callout write the request it gets as ``layer_data`` directly
(the shortcut earlier notebooks and exercise 12 use); the pair above is how a driver does it.
Pended classification (``FwpsPendClassify0`` / ``FwpsCompleteClassify0``, :mod:`wfpsim.pend`)
takes the same classify handle: pending adds a reference to it, completing removes that one, and
the handle goes when every reference is released.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any

from wfpsim.ids import (
    FWP_ACTION_BLOCK,
    FWPS_RIGHT_ACTION_WRITE,
    STATUS_FWP_NULL_POINTER,
    STATUS_INVALID_PARAMETER,
    STATUS_SUCCESS,
)
from wfpsim.netbuffers import Out, is_out


class ClassifyContext:
    """What classifyFn gets as ``classify_context``: the classification's own layer data.

    ``layer_id`` is the run-time id of the layer classifying (what :mod:`wfpsim.pend` checks).
    """

    __slots__ = ("layer_data", "layer_id")

    def __init__(self, layer_data: object, layer_id: int | None = None) -> None:
        self.layer_data = layer_data
        self.layer_id = layer_id

    def __repr__(self) -> str:
        return f"<classify context for {type(self.layer_data).__name__}>"


class _Handle:
    __slots__ = ("context", "filter_id", "refs", "writable")

    def __init__(self, context: ClassifyContext) -> None:
        self.context = context
        self.writable: Any = None
        self.filter_id = 0
        #: references: the acquire, plus one while a FwpsPendClassify0 is outstanding
        self.refs = 1


_HANDLES: dict[int, _Handle] = {}
_NUMBERS = itertools.count(0x5000, 8)
#: the layer data types that have a writable form, and the members a callout may change
WRITABLE = {
    "ConnectRequest": (
        "local_address",
        "local_port",
        "remote_address",
        "remote_port",
        "local_redirect_target_pid",
        "local_redirect_handle",
        "local_redirect_context",
        "local_redirect_context_size",
    ),
    "BindRequest": ("local_address", "local_port"),
}


def FwpsAcquireClassifyHandle0(
    classify_context: ClassifyContext, flags: int, classify_handle: Out[int]
) -> int:
    """A handle for this classification (release it with ``FwpsReleaseClassifyHandle0``)."""
    context: object = classify_context
    if not isinstance(context, ClassifyContext):
        return STATUS_INVALID_PARAMETER
    if not is_out(classify_handle):
        return STATUS_FWP_NULL_POINTER
    number = next(_NUMBERS)
    _HANDLES[number] = _Handle(context)
    classify_handle.value = number
    return STATUS_SUCCESS


def FwpsReleaseClassifyHandle0(classify_handle: int) -> None:
    """Release a classify handle (it goes when a pended classification is completed too)."""
    release_reference(classify_handle)


def classify_handle_context(classify_handle: object) -> ClassifyContext | None:
    """The classification a live classify handle names (None: unknown or released)."""
    handle = _HANDLES.get(classify_handle) if isinstance(classify_handle, int) else None
    return handle.context if handle is not None else None


def add_reference(classify_handle: int) -> None:
    """One more reference to a live handle (``FwpsPendClassify0``)."""
    handle = _HANDLES.get(classify_handle)
    if handle is not None:
        handle.refs += 1


def release_reference(classify_handle: object) -> None:
    """One reference less; the handle goes at none."""
    handle = _HANDLES.get(classify_handle) if isinstance(classify_handle, int) else None
    if handle is not None:
        handle.refs -= 1
        if handle.refs <= 0:
            del _HANDLES[classify_handle]  # type: ignore[arg-type]


def FwpsAcquireWritableLayerDataPointer0(
    classify_handle: int,
    filter_id: int,
    flags: int,
    writable_layer_data: Out[Any],
    classify_out: Any,
) -> int:
    """A writable copy of the bind or connect request; ``classify_out`` becomes a hard BLOCK."""
    handle = _HANDLES.get(classify_handle)
    if handle is None:
        return STATUS_INVALID_PARAMETER
    data = handle.context.layer_data
    if type(data).__name__ not in WRITABLE:
        return STATUS_INVALID_PARAMETER
    if not is_out(writable_layer_data):
        return STATUS_FWP_NULL_POINTER
    handle.writable = replace(data, previous_version=None)  # type: ignore[type-var]
    handle.filter_id = filter_id
    writable_layer_data.value = handle.writable
    if classify_out is not None:
        classify_out.action_type = FWP_ACTION_BLOCK
        classify_out.rights &= ~FWPS_RIGHT_ACTION_WRITE
    return STATUS_SUCCESS


def FwpsApplyModifiedLayerData0(classify_handle: int, modified_layer_data: Any, flags: int) -> None:
    """Make the writable copy the request's new version (the old one in ``previous_version``)."""
    handle = _HANDLES.get(classify_handle)
    if handle is None or modified_layer_data is not handle.writable:
        return
    request = handle.context.layer_data
    previous = replace(request)  # type: ignore[type-var]
    for name in WRITABLE[type(request).__name__]:
        setattr(request, name, getattr(modified_layer_data, name))
    request.previous_version = previous  # type: ignore[attr-defined]
    request.modifier_filter_id = handle.filter_id  # type: ignore[attr-defined]
    handle.writable = None


__all__ = [
    "ClassifyContext",
    "FwpsAcquireClassifyHandle0",
    "FwpsAcquireWritableLayerDataPointer0",
    "FwpsApplyModifiedLayerData0",
    "FwpsReleaseClassifyHandle0",
]
