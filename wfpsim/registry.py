"""Run-time callout registration (``FwpsCalloutRegister`` / ``FwpsCalloutUnregister*``).

Kept apart from the management object (``FwpmCalloutAdd0``) on purpose: a callout can be
*added but not registered* — then its filters act as documented for unregistered callouts —
or registered before it is added. The relative order does not matter.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from wfpsim.errors import (
    AlreadyExistsError,
    CalloutNotFoundError,
    DeviceBusyError,
    InvalidParameterError,
)


class NotifyType(enum.IntEnum):
    """``FWPS_CALLOUT_NOTIFY_TYPE``."""

    ADD_FILTER = 0
    DELETE_FILTER = 1
    ADD_FILTER_POST_COMMIT = 2

    @property
    def fwp_name(self) -> str:
        """``FWPS_CALLOUT_NOTIFY_ADD_FILTER`` etc."""
        return f"FWPS_CALLOUT_NOTIFY_{self.name}"


class CalloutRegisterFlag(enum.IntFlag):
    """``FWP_CALLOUT_FLAG_*`` for ``FWPS_CALLOUTn.flags``."""

    NONE = 0x0
    CONDITIONAL_ON_FLOW = 0x1
    ALLOW_OFFLOAD = 0x2
    ENABLE_COMMIT_ADD_NOTIFY = 0x4
    ALLOW_MID_STREAM_INSPECTION = 0x8
    ALLOW_RECLASSIFY = 0x10


#: classifyFn(in_fixed_values, in_meta_values, layer_data, classify_context, filter,
#:            flow_context, classify_out) -> None
ClassifyFn = Callable[..., Any]
#: notifyFn(notify_type, filter_key, filter) -> int (NTSTATUS; 0 = success) or None
NotifyFn = Callable[[NotifyType, "uuid.UUID | None", Any], Any]
#: flowDeleteFn(layer_id, callout_id, flow_context) -> None
FlowDeleteFn = Callable[[int, int, Any], Any]


@dataclass(frozen=True, slots=True)
class Registration:
    """``FWPS_CALLOUT``: the key and the three functions a driver registers."""

    key: uuid.UUID
    classify: ClassifyFn | None
    notify: NotifyFn | None = None
    flow_delete: FlowDeleteFn | None = None
    flags: CalloutRegisterFlag = CalloutRegisterFlag.NONE
    callout_id: int = 0


class CalloutRegistry:
    """The kernel's table of registered callouts, with stable callout ids per key."""

    def __init__(self, flow_contexts: Callable[[int], int] = lambda callout_id: 0) -> None:
        """``flow_contexts(callout_id)`` counts the contexts a callout still has on flows."""
        self._by_key: dict[uuid.UUID, Registration] = {}
        self._ids: dict[uuid.UUID, int] = {}
        self._flow_contexts = flow_contexts

    def callout_id(self, key: uuid.UUID) -> int:
        """The run-time id for a key: the same for FwpmCalloutAdd0 and FwpsCalloutRegister."""
        if key not in self._ids:
            self._ids[key] = len(self._ids) + 1
        return self._ids[key]

    def register(self, reg: Registration) -> Registration:
        """``FwpsCalloutRegister``: returns the registration with its callout id.

        Raises:
            AlreadyExistsError: the key is registered already (``STATUS_FWP_ALREADY_EXISTS``).
        """
        if not isinstance(reg.key, uuid.UUID):
            raise InvalidParameterError(f"callout key {reg.key!r} is not a GUID")
        for role, fn in (("classifyFn", reg.classify), ("notifyFn", reg.notify)):
            if fn is not None and not callable(fn):
                raise InvalidParameterError(f"{role} {fn!r} is not callable (a function or None)")
        if reg.flow_delete is not None and not callable(reg.flow_delete):
            raise InvalidParameterError(f"flowDeleteFn {reg.flow_delete!r} is not callable")
        if reg.key in self._by_key:
            raise AlreadyExistsError(f"callout {{{reg.key}}} is already registered")
        stored = Registration(
            reg.key, reg.classify, reg.notify, reg.flow_delete, reg.flags, self.callout_id(reg.key)
        )
        self._by_key[reg.key] = stored
        return stored

    def unregister(self, ref: uuid.UUID | int) -> Registration:
        """``FwpsCalloutUnregisterById0/ByKey0``; filters stay and act as unregistered.

        Raises:
            CalloutNotFoundError: not registered.
            DeviceBusyError: flow contexts are still associated with the callout.
        """
        reg = self.get(ref)
        if reg is None:
            raise CalloutNotFoundError(f"callout {ref!r} is not registered")
        busy = self._flow_contexts(reg.callout_id)
        if busy:
            raise DeviceBusyError(
                f"callout {reg.callout_id} still has {busy} flow "
                "context(s); remove them (FwpsFlowRemoveContext0) and unregister again"
            )
        del self._by_key[reg.key]
        return reg

    def get(self, ref: uuid.UUID | int) -> Registration | None:
        """The registration for a key or callout id, or None."""
        if isinstance(ref, uuid.UUID):
            return self._by_key.get(ref)
        for reg in self._by_key.values():
            if reg.callout_id == ref:
                return reg
        return None

    def __contains__(self, key: object) -> bool:
        return key in self._by_key
