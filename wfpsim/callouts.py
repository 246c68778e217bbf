"""The callout protocol, shaped like the C structures so the lesson carries over.

A Python callout is a function with the ``classifyFn`` parameters::

    def classify(in_fixed_values, in_meta_values, layer_data, classify_context,
                 filter, flow_context, classify_out):
        if not classify_out.rights & FWPS_RIGHT_ACTION_WRITE:
            return                                   # no right to decide: leave it alone
        port = in_fixed_values.incoming_value[
            FWPS_FIELD_ALE_AUTH_CONNECT_V4_IP_REMOTE_PORT].value.uint16
        if port == 23:
            classify_out.action_type = FWP_ACTION_BLOCK
            classify_out.rights &= ~FWPS_RIGHT_ACTION_WRITE

``in_fixed_values["IP_REMOTE_PORT"]`` is the Pythonic twin of the indexed read. The engine
copies the decision so far into ``classify_out`` before the call, so a callout that writes
nothing changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from wfpsim.catalog import Field, Layer, layer
from wfpsim.conditions import Condition
from wfpsim.errors import InvalidParameterError, WfpError
from wfpsim.ids import (
    FWPS_CLASSIFY_OUT_FLAG_ABSORB,
    FWPS_FILTER_FLAG_CLEAR_ACTION_RIGHT,
    FWPS_FILTER_FLAG_OR_CONDITIONS,
    FWPS_FILTER_FLAG_PERMIT_IF_CALLOUT_UNREGISTERED,
    FWPS_RIGHT_ACTION_WRITE,
    METADATA_FIELDS,
)
from wfpsim.objects import Action, Filter, FilterFlag, Weight
from wfpsim.values import Value


@dataclass(frozen=True, slots=True)
class IncomingValue:
    """``FWPS_INCOMING_VALUE0``: one field's value (``.value`` is an ``FWP_VALUE0``)."""

    value: Value


@dataclass(frozen=True, slots=True)
class IncomingValues:
    """``FWPS_INCOMING_VALUES0``: every field of the layer, indexed by ``FWPS_FIELD_*``."""

    layer_id: int
    incoming_value: tuple[IncomingValue, ...]
    fields: tuple[Field, ...] = field(repr=False, default=())
    #: the values by condition name, kept by :meth:`build` (what filter matching reads)
    conditions: Mapping[str, Value] | None = field(repr=False, default=None, compare=False)

    @property
    def value_count(self) -> int:
        """``valueCount``."""
        return len(self.incoming_value)

    def __getitem__(self, name: str | int) -> Value:
        """The value of a field by index, ``FWPS_FIELD_*`` name or condition name (aliases
        such as ``ICMP_TYPE`` included)."""
        if isinstance(name, int):
            return self.incoming_value[name].value
        try:
            index = layer(self.layer_id).field(name).index
        except WfpError:
            valid = ", ".join(f.short_name for f in self.fields if f.condition)
            raise KeyError(f"no field {name!r} at this layer; fields: {valid}") from None
        return self.incoming_value[index].value

    def get(self, name: str | int) -> Any:
        """The plain Python value of a field (None when ``FWP_EMPTY``)."""
        return self[name].data

    def by_condition(self) -> dict[str, Value]:
        """Values keyed by ``FWPM_CONDITION_*`` name (what filter matching reads)."""
        if self.conditions is not None:
            return dict(self.conditions)
        return {
            f.condition: self.incoming_value[f.index].value
            for f in self.fields
            if f.condition is not None
        }

    @classmethod
    def build(cls, layer: Layer, values: Mapping[str, Value]) -> IncomingValues:
        """Every field of ``layer``; fields missing from ``values`` are ``FWP_EMPTY``."""
        empty_items, where, empty_by_condition = _template(layer)
        items = list(empty_items)
        by_condition = dict(empty_by_condition)
        for name, value in values.items():
            for index in where.get(name, ()):
                items[index] = IncomingValue(value)
                by_condition[name] = value
        layer_id = layer.id if layer.id is not None else -1
        return cls(layer_id, tuple(items), layer.fields, by_condition)


_EMPTY = IncomingValue(Value.empty())
_TEMPLATES: dict[str, tuple[tuple[IncomingValue, ...], dict[str, list[int]], dict[str, Value]]] = {}


def _template(
    layer: Layer,
) -> tuple[tuple[IncomingValue, ...], dict[str, list[int]], dict[str, Value]]:
    """A layer's all-``FWP_EMPTY`` values, where each condition sits, computed once."""
    found = _TEMPLATES.get(layer.name)
    if found is None:
        where: dict[str, list[int]] = {}
        for f in layer.fields:
            if f.condition is not None:
                where.setdefault(f.condition, []).append(f.index)
        empty = {name: _EMPTY.value for name in where}
        found = _TEMPLATES[layer.name] = ((_EMPTY,) * len(layer.fields), where, empty)
    return found


@dataclass(frozen=True, slots=True)
class DiscardMetadata:
    """``FWPS_DISCARD_METADATA0``: who dropped it and why."""

    discard_module: int
    discard_reason: int
    filter_id: int = 0


@dataclass(frozen=True, slots=True)
class MetaValues:
    """``FWPS_INCOMING_METADATA_VALUES0``: a member is valid only if its bit is set.

    Test with :meth:`has` — the twin of ``FWPS_IS_METADATA_FIELD_PRESENT``.
    """

    current_metadata_values: int = 0
    flags: int = 0
    discard_metadata: DiscardMetadata | None = None
    flow_handle: int | None = None
    ip_header_size: int = 0
    transport_header_size: int = 0
    process_path: str | None = None
    token: str | None = None
    process_id: int | None = None
    compartment_id: int = 1
    transport_endpoint_handle: int | None = None
    packet_direction: int | None = None
    icmp_id_and_sequence: int | None = None
    parent_endpoint_handle: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: ``redirectRecords`` (``REDIRECT_RECORD_HANDLE``): pass to FwpsQueryConnectionRedirectState0
    redirect_records: Any = None
    #: ``originalDestination`` (``ORIGINAL_DESTINATION``): (address, port) before redirection
    original_destination: tuple[str, int] | None = None
    #: ``localRedirectTargetPID`` (``LOCAL_REDIRECT_TARGET_PID``)
    local_redirect_target_pid: int | None = None
    #: ``completionHandle``: what ``FwpsPendOperation0`` takes (ALE authorize layers only)
    completion_handle: int | None = None

    def has(self, name_or_bit: str | int) -> bool:
        """``FWPS_IS_METADATA_FIELD_PRESENT``: by bit or by name (``"FLOW_HANDLE"``)."""
        if isinstance(name_or_bit, str):
            key = name_or_bit.upper().removeprefix("FWPS_METADATA_FIELD_")
            name_or_bit = METADATA_FIELDS[key]
        return self.current_metadata_values & name_or_bit == name_or_bit

    @property
    def discard_module(self) -> int | None:
        """``discardMetadata.discardModule`` when present."""
        return self.discard_metadata.discard_module if self.discard_metadata else None

    @property
    def discard_reason(self) -> int | None:
        """``discardMetadata.discardReason`` when present."""
        return self.discard_metadata.discard_reason if self.discard_metadata else None

    def present(self) -> list[str]:
        """The names of the members that are set."""
        return [n for n, bit in METADATA_FIELDS.items() if self.current_metadata_values & bit]


@dataclass(slots=True)
class ClassifyOut:
    """``FWPS_CLASSIFY_OUT0``: what the callout writes (``rights``, ``flags`` are bit masks)."""

    action_type: Action | int = Action.NONE
    out_context: int = 0
    filter_id: int = 0
    rights: int = FWPS_RIGHT_ACTION_WRITE
    flags: int = 0
    reserved: int = 0

    def snapshot(self) -> tuple[int, int, int]:
        """(action_type, rights, flags) as integers."""
        return int(self.action_type), self.rights, self.flags


@dataclass(frozen=True, slots=True)
class FilterAction:
    """``FWPS_ACTION0``."""

    type: Action
    callout_id: int


@dataclass(slots=True)
class KernelFilter:
    """``FWPS_FILTER``: the kernel's copy of a filter, as classifyFn and notifyFn see it.

    notifyFn receives it writable, as in C (``FWPS_FILTER *filter``): a driver may set
    ``filter.context`` on ``ADD_FILTER`` and every later classifyFn for that filter sees the
    value. classifyFn gets a fresh copy each call (``const FWPS_FILTER *`` in C), so what a
    classifyFn writes there is lost.
    """

    filter_id: int
    weight: Weight
    sub_layer_weight: int
    flags: int
    filter_condition: tuple[Condition, ...]
    action: FilterAction
    context: int
    name: str
    key: uuid.UUID

    @property
    def num_filter_conditions(self) -> int:
        """``numFilterConditions``."""
        return len(self.filter_condition)

    @classmethod
    def from_filter(
        cls, flt: Filter, sublayer_weight: int, callout_id: int, context: int | None = None
    ) -> KernelFilter:
        """Translate FWPM filter flags to their ``FWPS_FILTER_FLAG_*`` twins.

        ``context`` overrides ``rawContext`` (the value a notifyFn stored).
        """
        kflags = 0
        if flt.flags & FilterFlag.CLEAR_ACTION_RIGHT:
            kflags |= FWPS_FILTER_FLAG_CLEAR_ACTION_RIGHT
        if flt.flags & FilterFlag.PERMIT_IF_CALLOUT_UNREGISTERED:
            kflags |= FWPS_FILTER_FLAG_PERMIT_IF_CALLOUT_UNREGISTERED
        fields = [c.field for c in flt.conditions]
        if len(set(fields)) != len(fields):
            kflags |= FWPS_FILTER_FLAG_OR_CONDITIONS
        return cls(
            filter_id=flt.filter_id,
            weight=flt.weight,
            sub_layer_weight=sublayer_weight,
            flags=kflags,
            filter_condition=tuple(flt.conditions),
            action=FilterAction(flt.action_type, callout_id),
            context=flt.raw_context if context is None else context,
            name=flt.name,
            key=flt.key,
        )


_RETURNS = {
    "PERMIT": Action.PERMIT,
    "BLOCK": Action.BLOCK,
    "CONTINUE": Action.CONTINUE,
    "NOTHING": None,
}


@dataclass(frozen=True, slots=True)
class BuiltinCallout:
    """A ready-made callout with a fixed behaviour (what scenario files describe).

    Attributes:
        returns: PERMIT, BLOCK, CONTINUE, or NOTHING (writes nothing at all).
        clear_write_right: clear ``FWPS_RIGHT_ACTION_WRITE`` when it writes (a hard decision).
        respect_write_right: without the right, write nothing (the documented etiquette);
            False writes anyway, so a BLOCK without the right is a **veto**.
        absorb: set ``FWPS_CLASSIFY_OUT_FLAG_ABSORB`` with a BLOCK (silent drop).

    Like a well-behaved driver, it also clears the right when it permits on a filter that
    carries ``FWPS_FILTER_FLAG_CLEAR_ACTION_RIGHT``.
    """

    returns: str = "CONTINUE"
    clear_write_right: bool = False
    respect_write_right: bool = True
    absorb: bool = False

    def __post_init__(self) -> None:
        key = str(self.returns).upper().removeprefix("FWP_ACTION_")
        if key not in _RETURNS:
            raise InvalidParameterError(f"returns={self.returns!r}; valid: {', '.join(_RETURNS)}")
        object.__setattr__(self, "returns", key)

    def __call__(
        self,
        in_fixed_values: IncomingValues,
        in_meta_values: MetaValues,
        layer_data: object,
        classify_context: object,
        filter: KernelFilter,
        flow_context: int,
        classify_out: ClassifyOut,
    ) -> None:
        action = _RETURNS[str(self.returns)]
        if action is None:
            return
        if self.respect_write_right and not classify_out.rights & FWPS_RIGHT_ACTION_WRITE:
            return
        classify_out.action_type = action
        clear = self.clear_write_right or (
            action == Action.PERMIT and filter.flags & FWPS_FILTER_FLAG_CLEAR_ACTION_RIGHT
        )
        if clear:
            classify_out.rights &= ~FWPS_RIGHT_ACTION_WRITE
        if self.absorb and action == Action.BLOCK:
            classify_out.flags |= FWPS_CLASSIFY_OUT_FLAG_ABSORB
