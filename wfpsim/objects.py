"""BFE objects: providers, sublayers, callouts (management half) and filters, with weights.

These are frozen values, shaped like their ``FWPM_*0`` structs. The engine assigns the
output-only parts (filter id, effective weight, callout id) when it stores them.

>>> effective_weight(Weight.range(3), ())
3458764513820540928
>>> hex(effective_weight(Weight.range(3), ()))
'0x3000000000000000'
>>> effective_weight(Weight.exact(0x1234), ())
4660
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from wfpsim.catalog import Layer, layer, parse_guid
from wfpsim.conditions import Condition, describe_conditions, group_by_field
from wfpsim.errors import (
    InvalidActionTypeError,
    InvalidFlagsError,
    InvalidParameterError,
    InvalidWeightError,
    NullDisplayNameError,
)
from wfpsim.values import DataType

#: ``FWPM_AUTO_WEIGHT_BITS``, ``FWPM_AUTO_WEIGHT_MAX``, ``FWPM_WEIGHT_RANGE_MAX`` (fwpmu.h).
FWPM_AUTO_WEIGHT_BITS = 60
FWPM_AUTO_WEIGHT_MAX = (1 << 64) - 1 >> 4
FWPM_WEIGHT_RANGE_MAX = (1 << 64) - 1 >> 60
FWPM_WEIGHT_RANGE_IPSEC = 0x0
FWPM_WEIGHT_RANGE_IKE_EXEMPTIONS = 0xC


class Action(enum.IntEnum):
    """``FWP_ACTION_TYPE`` values (fwptypes.h); members are the names minus ``FWP_ACTION_``."""

    BLOCK = 0x00001001
    PERMIT = 0x00001002
    CALLOUT_TERMINATING = 0x00005003
    CALLOUT_INSPECTION = 0x00006004
    CALLOUT_UNKNOWN = 0x00004005
    CONTINUE = 0x00002006
    NONE = 0x00000007
    NONE_NO_MATCH = 0x00000008

    def __str__(self) -> str:
        return self.name

    @property
    def fwp_name(self) -> str:
        """The real identifier, e.g. ``FWP_ACTION_BLOCK``."""
        return f"FWP_ACTION_{self.name}"

    @property
    def is_callout(self) -> bool:
        """``FWP_ACTION_FLAG_CALLOUT`` (0x4000) is set."""
        return bool(self.value & 0x4000)

    @classmethod
    def parse(cls, text: str | int | Action) -> Action:
        """By ``BLOCK``, ``FWP_ACTION_BLOCK`` or number."""
        if isinstance(text, int):
            try:
                return cls(text)
            except ValueError:
                pass
        else:
            key = text.strip().upper().removeprefix("FWP_ACTION_")
            if key in cls.__members__:
                return cls[key]
        valid = ", ".join(a.name for a in FILTER_ACTIONS)
        raise InvalidActionTypeError(
            f"unknown action {text!r}; a filter's action is one of {valid}"
        )


#: The action types a filter may carry (``FWPM_ACTION0.type``).
FILTER_ACTIONS = (
    Action.BLOCK,
    Action.PERMIT,
    Action.CALLOUT_TERMINATING,
    Action.CALLOUT_INSPECTION,
    Action.CALLOUT_UNKNOWN,
)


class FilterFlag(enum.IntFlag):
    """``FWPM_FILTER_FLAG_*`` (fwpmtypes.h); members are the names minus the prefix."""

    NONE = 0x0
    PERSISTENT = 0x1
    BOOTTIME = 0x2
    HAS_PROVIDER_CONTEXT = 0x4
    CLEAR_ACTION_RIGHT = 0x8
    PERMIT_IF_CALLOUT_UNREGISTERED = 0x10
    DISABLED = 0x20
    INDEXED = 0x40
    HAS_SECURITY_REALM_PROVIDER_CONTEXT = 0x80
    SYSTEMOS_ONLY = 0x100
    GAMEOS_ONLY = 0x200
    SILENT_MODE = 0x400
    IPSEC_NO_ACQUIRE_INITIATE = 0x800

    @classmethod
    def parse(cls, items: FilterFlag | int | str | Iterable[str | int]) -> FilterFlag:
        """From a number, a name (``CLEAR_ACTION_RIGHT`` / ``FWPM_FILTER_FLAG_…``) or a list."""
        if isinstance(items, (int, str)):
            items = [items]
        out = cls.NONE
        for item in items:
            if isinstance(item, int):
                out |= cls(item)
                continue
            key = item.strip().upper().removeprefix("FWPM_FILTER_FLAG_")
            if key not in cls.__members__:
                valid = ", ".join(f.name or "" for f in cls if f.name != "NONE")
                raise InvalidFlagsError(f"unknown filter flag {item!r}; valid: {valid}")
            out |= cls[key]
        return out


class SublayerFlag(enum.IntFlag):
    """``FWPM_SUBLAYER_FLAG_*``."""

    NONE = 0x0
    PERSISTENT = 0x1


class ProviderFlag(enum.IntFlag):
    """``FWPM_PROVIDER_FLAG_*``."""

    NONE = 0x0
    PERSISTENT = 0x1
    DISABLED = 0x10


class CalloutFlag(enum.IntFlag):
    """``FWPM_CALLOUT_FLAG_*`` (management object)."""

    NONE = 0x0
    PERSISTENT = 0x00010000
    USES_PROVIDER_CONTEXT = 0x00020000
    REGISTERED = 0x00040000


#: The all-zero GUID: "let BFE generate the key".
NIL = uuid.UUID(int=0)


def _key(value: uuid.UUID | str | None) -> uuid.UUID:
    if value is None:
        return uuid.UUID(int=0)
    guid = parse_guid(value)
    if guid is None:
        raise InvalidParameterError(f"{value!r} is not a GUID (expected '{{xxxxxxxx-xxxx-…}}')")
    return guid


@dataclass(frozen=True, slots=True)
class Weight:
    """``FWPM_FILTER0.weight``: ``FWP_EMPTY``, ``FWP_UINT8`` (a range 0–15) or ``FWP_UINT64``."""

    type: DataType = DataType.EMPTY
    value: int | None = None

    def __post_init__(self) -> None:
        if self.type == DataType.EMPTY:
            return
        if self.type == DataType.UINT8:
            if not isinstance(self.value, int) or not 0 <= self.value <= FWPM_WEIGHT_RANGE_MAX:
                raise InvalidWeightError(
                    f"weight range {self.value!r} is invalid: an FWP_UINT8 weight is a range "
                    f"0..{FWPM_WEIGHT_RANGE_MAX}"
                )
        elif self.type == DataType.UINT64:
            if not isinstance(self.value, int) or not 0 <= self.value < 1 << 64:
                raise InvalidWeightError(
                    f"weight {self.value!r} is invalid: an FWP_UINT64 weight is 0..2^64-1"
                )
        else:
            raise InvalidWeightError(
                f"weight type {self.type.fwp_name} is invalid: use FWP_EMPTY, FWP_UINT8 or "
                "FWP_UINT64"
            )

    @classmethod
    def empty(cls) -> Weight:
        """Let BFE pick the weight."""
        return cls()

    @classmethod
    def range(cls, number: int) -> Weight:
        """An ``FWP_UINT8`` weight range 0–15: the top four bits of the effective weight."""
        return cls(DataType.UINT8, number)

    @classmethod
    def exact(cls, number: int) -> Weight:
        """An ``FWP_UINT64`` weight, used as is."""
        return cls(DataType.UINT64, number)

    @classmethod
    def coerce(cls, raw: Weight | int | None) -> Weight:
        """``None`` → empty, an int → ``FWP_UINT64``, a Weight unchanged."""
        if raw is None:
            return cls.empty()
        if isinstance(raw, Weight):
            return raw
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise InvalidWeightError(f"weight {raw!r} is not an integer, Weight.range(n) or None")
        return cls.exact(raw)

    def describe(self) -> str:
        """``FWP_UINT8 3`` style text."""
        if self.type == DataType.EMPTY:
            return "FWP_EMPTY"
        return f"{self.type.fwp_name} {self.value:#x}"


def auto_weight(conditions: Sequence[Condition]) -> int:
    """The low 60 bits BFE generates "based on the filter conditions".

    Microsoft does not publish the algorithm. **Our choice** (non-normative): the more
    distinct fields a filter tests, the more specific it is and the higher it weighs —
    ``distinct_fields << 52`` (so at most 255 fields, far above any real filter). Filters
    testing the same number of fields tie; the engine then orders them by filter id.
    """
    distinct = min(len(group_by_field(conditions)), 0xFF)
    return distinct << 52


def effective_weight(weight: Weight, conditions: Sequence[Condition]) -> int:
    """``FWPM_FILTER0.effectiveWeight`` per the weight-assignment rules.

    ``FWP_UINT64`` is used unchanged; ``FWP_UINT8`` r gives ``(r << 60) | auto``; ``FWP_EMPTY``
    gives ``auto`` (so it behaves like range 0).
    """
    if weight.type == DataType.UINT64:
        assert weight.value is not None
        return weight.value
    top = weight.value if weight.type == DataType.UINT8 and weight.value is not None else 0
    return (top << FWPM_AUTO_WEIGHT_BITS) | auto_weight(conditions)


def _require_name(kind: str, name: str | None) -> None:
    if not name:
        raise NullDisplayNameError(
            f"a {kind} needs a display name (displayData.name), got {name!r}"
        )


@dataclass(frozen=True, slots=True)
class Provider:
    """``FWPM_PROVIDER0``."""

    name: str
    key: uuid.UUID = NIL
    description: str = ""
    flags: ProviderFlag = ProviderFlag.NONE
    service_name: str = ""

    def __post_init__(self) -> None:
        _require_name("provider", self.name)
        object.__setattr__(self, "key", _key(self.key))


@dataclass(frozen=True, slots=True, repr=False)
class Sublayer:
    """``FWPM_SUBLAYER0``: a named, weighted slot of every layer (``UINT16`` weight)."""

    name: str
    weight: int = 0
    key: uuid.UUID = NIL
    description: str = ""
    flags: SublayerFlag = SublayerFlag.NONE
    provider: uuid.UUID | None = None
    builtin: bool = False

    def __post_init__(self) -> None:
        _require_name("sublayer", self.name)
        object.__setattr__(self, "key", _key(self.key))
        if isinstance(self.weight, bool) or not isinstance(self.weight, int):
            raise InvalidWeightError(f"sublayer weight {self.weight!r} is not an integer 0..65535")
        if not 0 <= self.weight <= 0xFFFF:
            raise InvalidWeightError(
                f"sublayer weight {self.weight} is out of range: a sublayer weight is a UINT16 "
                "0..65535"
            )

    def __repr__(self) -> str:
        return f"<Sublayer {self.name!r} weight={self.weight:#06x} key={{{self.key}}}>"


@dataclass(frozen=True, slots=True)
class Callout:
    """``FWPM_CALLOUT0``: the management half of a callout, bound to one layer."""

    name: str
    layer: Layer | str
    key: uuid.UUID = NIL
    description: str = ""
    flags: CalloutFlag = CalloutFlag.NONE
    provider: uuid.UUID | None = None
    callout_id: int = 0

    def __post_init__(self) -> None:
        _require_name("callout", self.name)
        object.__setattr__(self, "key", _key(self.key))
        object.__setattr__(self, "layer", layer(self.layer))

    @property
    def applicable_layer(self) -> Layer:
        """``FWPM_CALLOUT0.applicableLayer``."""
        assert isinstance(self.layer, Layer)
        return self.layer


@dataclass(frozen=True, slots=True, repr=False)
class Filter:
    """``FWPM_FILTER0``. ``filter_id`` and ``effective_weight`` are set by the engine.

    ``sublayer``/``callout``/``provider`` may be keys or names; the engine stores keys.
    ``weight``: None (``FWP_EMPTY``), an int (``FWP_UINT64``) or ``Weight.range(n)``.
    """

    name: str
    layer: Layer | str
    action: Action | str = Action.PERMIT
    conditions: Sequence[Condition] = ()
    weight: Weight | int | None = None
    sublayer: uuid.UUID | str | None = None
    callout: uuid.UUID | str | None = None
    flags: FilterFlag | int | str | Sequence[str] = FilterFlag.NONE
    key: uuid.UUID = NIL
    description: str = ""
    provider: uuid.UUID | str | None = None
    raw_context: int = 0
    filter_id: int = 0
    effective_weight: int = 0

    def __post_init__(self) -> None:
        _require_name("filter", self.name)
        object.__setattr__(self, "layer", layer(self.layer))
        action = Action.parse(self.action)
        if action not in FILTER_ACTIONS:
            valid = ", ".join(a.fwp_name for a in FILTER_ACTIONS)
            raise InvalidActionTypeError(
                f"{action.fwp_name} is a classify result, not a filter action; use {valid}"
            )
        object.__setattr__(self, "action", action)
        object.__setattr__(self, "conditions", tuple(self.conditions))
        object.__setattr__(self, "weight", Weight.coerce(self.weight))
        object.__setattr__(self, "flags", FilterFlag.parse(self.flags))
        object.__setattr__(self, "key", _key(self.key))

    # typed views of the coerced attributes ---------------------------------------
    @property
    def layer_(self) -> Layer:
        """The layer as a :class:`~wfpsim.catalog.Layer`."""
        assert isinstance(self.layer, Layer)
        return self.layer

    @property
    def action_type(self) -> Action:
        """``FWPM_ACTION0.type``."""
        assert isinstance(self.action, Action)
        return self.action

    @property
    def filter_flags(self) -> FilterFlag:
        """``FWPM_FILTER0.flags``."""
        assert isinstance(self.flags, FilterFlag)
        return self.flags

    @property
    def weight_(self) -> Weight:
        """The weight as a :class:`Weight`."""
        assert isinstance(self.weight, Weight)
        return self.weight

    @property
    def is_callout(self) -> bool:
        """The action invokes a callout."""
        return self.action_type.is_callout

    def __repr__(self) -> str:
        where = self.layer_.short_name
        return (
            f"<Filter {self.filter_id} {self.name!r} {self.action_type.name} at {where} "
            f"weight={self.effective_weight:#018x} [{len(self.conditions)} condition(s)]>"
        )

    def _repr_html_(self) -> str:
        import html

        return f"<code>{html.escape(self.describe())}</code>"

    def describe(self) -> str:
        """One line: name, action, weight and conditions."""
        conds = describe_conditions(self.conditions) or "(no conditions: all)"
        return f"{self.name!r} {self.action_type.name} w={self.effective_weight:#x} if {conds}"
