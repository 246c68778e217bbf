"""BFE objects: providers, sublayers, callouts (management half) and filters.

These are frozen values, shaped like their ``FWPM_*0`` structs. Each field holds one type (a
:class:`~wfpsim.catalog.Layer`, an :class:`~wfpsim.actions.Action`, a
:class:`~wfpsim.weight.Weight`, flags, keys); the constructors take friendly input (names,
strings, numbers) and convert it. The engine assigns the output-only parts (filter id,
effective weight, callout id) when it stores them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from wfpsim.actions import (
    FILTER_ACTIONS,
    Action,
    CalloutFlag,
    FilterFlag,
    ProviderFlag,
    SublayerFlag,
    check_flags,
)
from wfpsim.catalog import Layer, layer, parse_guid
from wfpsim.conditions import Condition, describe_conditions
from wfpsim.errors import (
    InvalidActionTypeError,
    InvalidParameterError,
    InvalidWeightError,
    NullDisplayNameError,
)
from wfpsim.weight import Weight

#: The all-zero GUID: "let BFE generate the key".
NIL = uuid.UUID(int=0)


def _key(value: object, what: str) -> uuid.UUID:
    """A key from a UUID or GUID text; None or NIL means "let BFE generate it"."""
    if isinstance(value, uuid.UUID):
        return value
    if value is None:
        return NIL
    guid = parse_guid(value) if isinstance(value, (str, uuid.UUID)) else None
    if guid is None:
        raise InvalidParameterError(
            f"{what} {value!r} is not a GUID (expected '{{xxxxxxxx-xxxx-…}}' or a uuid.UUID)"
        )
    return guid


def _reference(value: object, what: str) -> tuple[uuid.UUID | None, str]:
    """A reference to another object, given as its key or its display name: (key, name)."""
    if value is None or value == "":
        return None, ""
    if isinstance(value, uuid.UUID):
        return value, ""
    if isinstance(value, str):
        guid = parse_guid(value)
        return (guid, "") if guid is not None else (None, str(value))
    raise InvalidParameterError(f"{what} {value!r} is neither a key (GUID) nor a name (text)")


def _int(value: object, what: str, bits: int = 64) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << bits:
        raise InvalidParameterError(f"{what} {value!r} is not an integer 0..2^{bits}-1")
    return value


def _text(value: object, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidParameterError(f"{what} {value!r} is not text")
    return value


def _layer(value: object, what: str) -> Layer:
    if isinstance(value, Layer):
        return value
    if not isinstance(value, (Layer, str, int, uuid.UUID)) or isinstance(value, bool):
        raise InvalidParameterError(
            f"{what} {value!r} is not a layer; give a name like ALE_AUTH_CONNECT_V4, a GUID "
            "or a run-time id"
        )
    return layer(value)


def _require_name(kind: str, name: str | None) -> None:
    if not name:
        raise NullDisplayNameError(
            f"a {kind} needs a display name (displayData.name), got {name!r}"
        )


@dataclass(frozen=True, slots=True, init=False)
class Provider:
    """``FWPM_PROVIDER0``."""

    name: str
    key: uuid.UUID
    description: str
    flags: ProviderFlag
    service_name: str

    def __init__(
        self,
        name: str,
        key: uuid.UUID | str | None = NIL,
        description: str = "",
        flags: ProviderFlag | int = ProviderFlag.NONE,
        service_name: str = "",
    ) -> None:
        _require_name("provider", name)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "key", _key(key, "provider key"))
        object.__setattr__(self, "description", _text(description, "provider description"))
        object.__setattr__(self, "flags", check_flags(ProviderFlag, flags, "provider flags"))
        object.__setattr__(self, "service_name", _text(service_name, "provider service name"))


@dataclass(frozen=True, slots=True, repr=False, init=False)
class Sublayer:
    """``FWPM_SUBLAYER0``: a named, weighted slot of every layer (``UINT16`` weight).

    ``provider`` is the provider's key; give a provider's name instead and it is kept in
    ``provider_name`` until the engine stores the sublayer (then both are set).
    """

    name: str
    weight: int
    key: uuid.UUID
    description: str
    flags: SublayerFlag
    provider: uuid.UUID | None
    builtin: bool
    provider_name: str

    def __init__(
        self,
        name: str,
        weight: int = 0,
        key: uuid.UUID | str | None = NIL,
        description: str = "",
        flags: SublayerFlag | int = SublayerFlag.NONE,
        provider: uuid.UUID | str | None = None,
        builtin: bool = False,
        provider_name: str = "",
    ) -> None:
        _require_name("sublayer", name)
        if isinstance(weight, bool) or not isinstance(weight, int):
            raise InvalidWeightError(f"sublayer weight {weight!r} is not an integer 0..65535")
        if not 0 <= weight <= 0xFFFF:
            raise InvalidWeightError(
                f"sublayer weight {weight} is out of range: a sublayer weight is a UINT16 0..65535"
            )
        prov, named = _reference(provider, "sublayer provider")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "weight", weight)
        object.__setattr__(self, "key", _key(key, "sublayer key"))
        object.__setattr__(self, "description", _text(description, "sublayer description"))
        object.__setattr__(self, "flags", check_flags(SublayerFlag, flags, "sublayer flags"))
        object.__setattr__(self, "provider", prov)
        object.__setattr__(self, "builtin", bool(builtin))
        object.__setattr__(self, "provider_name", named or _text(provider_name, "provider name"))

    def __repr__(self) -> str:
        return f"<Sublayer {self.name!r} weight={self.weight:#06x} key={{{self.key}}}>"


@dataclass(frozen=True, slots=True, init=False)
class Callout:
    """``FWPM_CALLOUT0``: the management half of a callout, bound to one layer.

    ``provider`` is a key; a provider's name given instead waits in ``provider_name``.
    """

    name: str
    layer: Layer
    key: uuid.UUID
    description: str
    flags: CalloutFlag
    provider: uuid.UUID | None
    callout_id: int
    provider_name: str

    def __init__(
        self,
        name: str,
        layer: Layer | str | int,
        key: uuid.UUID | str | None = NIL,
        description: str = "",
        flags: CalloutFlag | int = CalloutFlag.NONE,
        provider: uuid.UUID | str | None = None,
        callout_id: int = 0,
        provider_name: str = "",
    ) -> None:
        _require_name("callout", name)
        prov, named = _reference(provider, "callout provider")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "layer", _layer(layer, "callout layer"))
        object.__setattr__(self, "key", _key(key, "callout key"))
        object.__setattr__(self, "description", _text(description, "callout description"))
        object.__setattr__(self, "flags", check_flags(CalloutFlag, flags, "callout flags"))
        object.__setattr__(self, "provider", prov)
        object.__setattr__(self, "callout_id", _int(callout_id, "callout id", 32))
        object.__setattr__(self, "provider_name", named or _text(provider_name, "provider name"))

    @property
    def applicable_layer(self) -> Layer:
        """``FWPM_CALLOUT0.applicableLayer`` (the same as :attr:`layer`)."""
        return self.layer


def _conditions(value: object) -> tuple[Condition, ...]:
    if isinstance(value, tuple) and all(isinstance(c, Condition) for c in value):
        return value
    if isinstance(value, Condition):
        return (value,)
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise InvalidParameterError(
            f"filter conditions {value!r} are not a list of Condition; give [] for none"
        )
    items = tuple(value)
    for item in items:
        if not isinstance(item, Condition):
            raise InvalidParameterError(
                f"filter condition {item!r} is not a Condition(field, match, value)"
            )
    return items


@dataclass(frozen=True, slots=True, repr=False, init=False)
class Filter:
    """``FWPM_FILTER0``. ``filter_id`` and ``effective_weight`` are set by the engine.

    The constructor takes friendly input: a layer or action by name, ``weight`` as None
    (``FWP_EMPTY``), an int (``FWP_UINT64``) or ``Weight.range(n)``, ``flags`` as names or
    bits, and ``sublayer``/``callout``/``provider`` as a key *or* a display name. Each field
    then holds one type: the three references are keys (None until known); a name given
    instead waits in ``sublayer_name``/``callout_name``/``provider_name`` until the engine
    resolves it, and the stored filter carries both.

    >>> f = Filter("no telnet", "ALE_AUTH_CONNECT_V4", "BLOCK", weight=Weight.range(2),
    ...            sublayer="my product")
    >>> f.layer.short_name, f.action, f.weight.describe(), f.sublayer, f.sublayer_name
    ('ALE_AUTH_CONNECT_V4', <Action.BLOCK: 4097>, 'FWP_UINT8 0x2', None, 'my product')
    """

    name: str
    layer: Layer
    action: Action
    conditions: tuple[Condition, ...]
    weight: Weight
    sublayer: uuid.UUID | None
    callout: uuid.UUID | None
    flags: FilterFlag
    key: uuid.UUID
    description: str
    provider: uuid.UUID | None
    raw_context: int
    filter_id: int
    effective_weight: int
    sublayer_name: str
    callout_name: str
    provider_name: str

    def __init__(
        self,
        name: str,
        layer: Layer | str | int,
        action: Action | str | int = Action.PERMIT,
        conditions: Iterable[Condition] = (),
        weight: Weight | int | None = None,
        sublayer: uuid.UUID | str | None = None,
        callout: uuid.UUID | str | None = None,
        flags: FilterFlag | int | str | Iterable[str | int] = FilterFlag.NONE,
        key: uuid.UUID | str | None = NIL,
        description: str = "",
        provider: uuid.UUID | str | None = None,
        raw_context: int = 0,
        filter_id: int = 0,
        effective_weight: int = 0,
        sublayer_name: str = "",
        callout_name: str = "",
        provider_name: str = "",
    ) -> None:
        _require_name("filter", name)
        act = Action.parse(action)
        if act not in FILTER_ACTIONS:
            valid = ", ".join(a.fwp_name for a in FILTER_ACTIONS)
            raise InvalidActionTypeError(
                f"{act.fwp_name} is a classify result, not a filter action; use {valid}"
            )
        set_ = object.__setattr__
        set_(self, "name", name)
        set_(self, "layer", _layer(layer, "filter layer"))
        set_(self, "action", act)
        set_(self, "conditions", _conditions(conditions))
        set_(self, "weight", Weight.coerce(weight))
        set_(self, "flags", FilterFlag.parse(flags))
        set_(self, "key", _key(key, "filter key"))
        set_(self, "description", _text(description, "filter description"))
        set_(self, "raw_context", _int(raw_context, "filter raw_context"))
        set_(self, "filter_id", _int(filter_id, "filter id"))
        set_(self, "effective_weight", _int(effective_weight, "effective weight"))
        for field, given, named in (
            ("sublayer", sublayer, sublayer_name),
            ("callout", callout, callout_name),
            ("provider", provider, provider_name),
        ):
            ref, ref_name = _reference(given, f"filter {field}")
            set_(self, field, ref)
            set_(self, f"{field}_name", ref_name or _text(named, f"filter {field}_name"))

    @property
    def action_type(self) -> Action:
        """``FWPM_ACTION0.type`` (the same as :attr:`action`)."""
        return self.action

    @property
    def is_callout(self) -> bool:
        """The action invokes a callout."""
        return self.action.is_callout

    def __repr__(self) -> str:
        return (
            f"<Filter {self.filter_id} {self.name!r} {self.action.name} at "
            f"{self.layer.short_name} weight={self.effective_weight:#018x} "
            f"[{len(self.conditions)} condition(s)]>"
        )

    def _repr_html_(self) -> str:
        import html

        return f"<code>{html.escape(self.describe())}</code>"

    def describe(self) -> str:
        """One line: name, action, weight and conditions."""
        conds = describe_conditions(self.conditions) or "(no conditions: all)"
        return f"{self.name!r} {self.action.name} w={self.effective_weight:#x} if {conds}"


__all__ = [
    "FILTER_ACTIONS",
    "NIL",
    "Action",
    "Callout",
    "CalloutFlag",
    "Filter",
    "FilterFlag",
    "Provider",
    "ProviderFlag",
    "Sublayer",
    "SublayerFlag",
    "Weight",
]
