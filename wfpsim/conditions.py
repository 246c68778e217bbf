"""Filter conditions: the 13 ``FWP_MATCH_TYPE``s and how a filter's conditions combine.

Matching is a pure function of a condition and an incoming value. Conditions on the same
field are OR'ed, conditions on different fields AND'ed (Windows 7 and later), and a filter
with no condition matches everything.

>>> from wfpsim.catalog import layer
>>> port = resolve(layer("ALE_AUTH_CONNECT_V4"), Condition("IP_REMOTE_PORT", "EQUAL", 80))
>>> port.value.type.fwp_name
'FWP_UINT16'
>>> matches(port, Value.u16(80)), matches(port, Value.u16(81))
(True, False)
"""

from __future__ import annotations

import enum
import operator
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from wfpsim.catalog import Field, Layer, condition, parse_guid
from wfpsim.coercion import coerce
from wfpsim.errors import (
    ConditionNotFoundError,
    InvalidRangeError,
    MatchTypeMismatchError,
    TypeMismatchError,
)
from wfpsim.tokens import token_matches
from wfpsim.values import (
    INTEGER_BITS,
    STRINGISH,
    UNSIGNED,
    DataType,
    Range,
    V4AddrMask,
    V6AddrMask,
    Value,
    app_id_bytes,
    display_field,
)


class MatchType(enum.IntEnum):
    """``FWP_MATCH_TYPE`` (fwptypes.h); members are the names minus ``FWP_MATCH_``."""

    EQUAL = 0
    GREATER = 1
    LESS = 2
    GREATER_OR_EQUAL = 3
    LESS_OR_EQUAL = 4
    RANGE = 5
    FLAGS_ALL_SET = 6
    FLAGS_ANY_SET = 7
    FLAGS_NONE_SET = 8
    EQUAL_CASE_INSENSITIVE = 9
    NOT_EQUAL = 10
    PREFIX = 11
    NOT_PREFIX = 12
    TYPE_MAX = 13

    def __str__(self) -> str:
        return self.name

    @property
    def fwp_name(self) -> str:
        """The real identifier, e.g. ``FWP_MATCH_EQUAL``."""
        return f"FWP_MATCH_{self.name}"

    @classmethod
    def parse(cls, text: str | int | MatchType) -> MatchType:
        """By ``EQUAL``, ``FWP_MATCH_EQUAL`` or number."""
        if type(text) is cls:
            return text
        if isinstance(text, int):
            return cls(text)
        found = _MATCH_NAMES.get(text)
        if found is not None:
            return found
        key = text.strip().upper().removeprefix("FWP_MATCH_")
        if key in cls.__members__ and key != "TYPE_MAX":
            if len(_MATCH_NAMES) < 256:
                _MATCH_NAMES[text] = cls[key]
            return cls[key]
        valid = ", ".join(m.name for m in cls if m != cls.TYPE_MAX)
        raise MatchTypeMismatchError(f"unknown match type {text!r}; valid: {valid}")


#: match type text as given -> member (``"EQUAL"``, ``"FWP_MATCH_EQUAL"``…), filled as met
_MATCH_NAMES: dict[str, MatchType] = {}

SORTABLE = frozenset(INTEGER_BITS) | {
    DataType.BYTE_ARRAY16_TYPE,
    DataType.BYTE_BLOB_TYPE,
    DataType.UNICODE_STRING_TYPE,
}
ORDERED = {MatchType.GREATER, MatchType.LESS, MatchType.GREATER_OR_EQUAL, MatchType.LESS_OR_EQUAL}
FLAG_MATCHES = {MatchType.FLAGS_ALL_SET, MatchType.FLAGS_ANY_SET, MatchType.FLAGS_NONE_SET}


@dataclass(frozen=True, slots=True)
class Condition:
    """``FWPM_FILTER_CONDITION0``: a field, a match type and a value.

    ``field`` may be a condition name (``IP_REMOTE_PORT`` / ``FWPM_CONDITION_IP_REMOTE_PORT``)
    or GUID; ``value`` may be a typed :class:`~wfpsim.values.Value` (checked strictly, as
    Windows does) or friendly Python input that :func:`resolve` converts to the field's type:
    an integer, ``"10.1.2.3"``, ``"10.0.0.0/8"``, ``(low, high)`` for RANGE, a path string
    for an app id.
    """

    field: str
    match: MatchType | str = MatchType.EQUAL
    value: object = None

    @property
    def match_type(self) -> MatchType:
        """The match type as an enum."""
        return MatchType.parse(self.match)

    @property
    def typed(self) -> Value:
        """The value; only valid on a resolved condition."""
        if not isinstance(self.value, Value):
            raise TypeMismatchError(f"condition on {self.field} is not resolved against a layer")
        return self.value

    def describe(self) -> str:
        """``IP_REMOTE_PORT == 80`` style text."""
        sym = {
            MatchType.EQUAL: "==",
            MatchType.NOT_EQUAL: "!=",
            MatchType.GREATER: ">",
            MatchType.LESS: "<",
            MatchType.GREATER_OR_EQUAL: ">=",
            MatchType.LESS_OR_EQUAL: "<=",
        }.get(self.match_type, self.match_type.name)
        if isinstance(self.value, Value):
            shown = display_field(self.field, self.value)
        else:
            shown = repr(self.value)
        short = self.field.removeprefix("FWPM_CONDITION_")
        if self.match_type == MatchType.RANGE and isinstance(self.value, Value):
            return f"{short} in {shown}"
        return f"{short} {sym} {shown}"


#: (layer name, condition name or GUID as given) -> the layer's field: look-ups repeat a lot
_FIELDS: dict[tuple[str, str], Field] = {}
#: (layer name, field as given, match type, friendly value) -> the resolved condition; only
#: for friendly values of the exact types below, so equal keys always resolve alike
_RESOLVED: dict[tuple[str, str, int, object], Condition] = {}
_CACHE_LIMIT = 1 << 12  # cleared when full: repeated values are few, unique ones never hit
_CACHEABLE = (int, str)


def field_for(layer: Layer, name: str) -> Field:
    """The layer's field for a condition name or GUID (cached per layer and name).

    Raises:
        ConditionNotFoundError: the condition exists but not at this layer, or not at all.
    """
    found = _FIELDS.get((layer.name, name))
    if found is not None:
        return found
    guid = parse_guid(name)
    key = str(guid) if guid is not None else name
    if layer.has_field(key):
        found = layer.field(key)
        if found.condition:
            if len(_FIELDS) >= _CACHE_LIMIT:
                _FIELDS.clear()
            _FIELDS[(layer.name, name)] = found
            return found
    info = condition(name)  # raises for a name that is no condition at all
    valid = ", ".join(f.short_name for f in layer.fields if f.condition)
    raise ConditionNotFoundError(
        f"layer {layer.short_name} has no field for {info.name}; valid fields: {valid}"
    )


def _accepts(fld: Field) -> tuple[DataType, ...]:
    """The value types a field's conditions take (a security descriptor field takes a SID)."""
    if fld.type == DataType.SECURITY_DESCRIPTOR_TYPE:
        return (*fld.accepts, DataType.SID)
    return fld.accepts


def resolve(layer: Layer, cond: Condition) -> Condition:
    """Check a condition against a layer and return it with a canonical field and typed value.

    A condition that is already canonical (the field's ``FWPM_CONDITION_*`` name, a
    :class:`MatchType`, a typed value) comes back itself once checked. Friendly integers and
    text resolve once per layer, field, match type and value (cached).

    Raises:
        ConditionNotFoundError: the layer has no such field.
        TypeMismatchError: the value's type is not one the field takes.
        MatchTypeMismatchError: the match type does not apply to that type.
        InvalidRangeError: RANGE without a range value, or a range value without RANGE.
    """
    fld = field_for(layer, cond.field)
    name, data_type = fld.condition, fld.type
    if name is None or data_type is None:
        raise ConditionNotFoundError(f"layer {layer.short_name}: {fld.name} is not a condition")
    match = cond.match if type(cond.match) is MatchType else MatchType.parse(cond.match)
    raw = cond.value
    cacheable = type(raw) in _CACHEABLE or (
        type(raw) is tuple
        and len(raw) == 2
        and type(raw[0]) in _CACHEABLE
        and type(raw[1]) in _CACHEABLE
    )
    if cacheable:
        key = (layer.name, cond.field, int(match), raw)  # atomic items: GC stops tracking it
        hit = _RESOLVED.get(key)
        if hit is not None:
            return hit
    if type(raw) is int and data_type in UNSIGNED:
        value = Value.integer(data_type, raw)  # what coerce() makes of an int, without the walk
    else:
        value = coerce(data_type, _accepts(fld), raw, f"{name} at {layer.short_name}")
    if match is not MatchType.EQUAL or value.type == DataType.RANGE_TYPE:
        check_match(match, value, f"{name} at {layer.short_name}")  # EQUAL takes every type
    if value is raw and match is cond.match and name == cond.field:
        return cond
    out = Condition(name, match, value)
    if cacheable:
        if len(_RESOLVED) >= _CACHE_LIMIT:
            _RESOLVED.clear()
        _RESOLVED[key] = out
    return out


def check_match(match: MatchType, value: Value, what: str) -> None:
    """Raise unless ``match`` may be used with a value of this type.

    The table is Microsoft Learn's *FWP_MATCH_TYPE enumeration* (which types each match takes).
    """
    base = value.data.low.type if isinstance(value.data, Range) else value.type
    if match == MatchType.RANGE and value.type != DataType.RANGE_TYPE:
        raise InvalidRangeError(f"{what}: FWP_MATCH_RANGE needs a [low, high] range value")
    if match != MatchType.RANGE and value.type == DataType.RANGE_TYPE:
        raise MatchTypeMismatchError(f"{what}: a range value needs FWP_MATCH_RANGE")
    allowed: bool
    if match in (MatchType.EQUAL, MatchType.NOT_EQUAL):
        allowed = True
    elif match in ORDERED or match == MatchType.RANGE:
        allowed = base in SORTABLE
    elif match in FLAG_MATCHES:
        allowed = base in UNSIGNED
    elif match == MatchType.EQUAL_CASE_INSENSITIVE:
        allowed = base == DataType.UNICODE_STRING_TYPE
    elif match in (MatchType.PREFIX, MatchType.NOT_PREFIX):
        allowed = base in (DataType.BYTE_BLOB_TYPE, DataType.UNICODE_STRING_TYPE)
    else:
        allowed = False
    if not allowed:
        raise MatchTypeMismatchError(
            f"{what}: {match.fwp_name} cannot be used with {base.fwp_name}"
        )


def matches(cond: Condition, incoming: Value) -> bool:
    """Does an incoming value satisfy one resolved condition? Pure.

    Rules: no implicit conversion between types (a UINT32 never equals a UINT16); an
    ``FWP_EMPTY`` incoming value matches only EQUAL-to-empty ([UNDOCUMENTED] for the other
    match types — we say no match); PREFIX/NOT_PREFIX test that the value **ends with**
    the condition, as the current Microsoft page documents. Address masks, ranges and
    security descriptors are matched by their kind of value; everything else by the match
    type's comparison (:data:`_COMPARE`).
    """
    match = cond.match_type
    value = cond.typed
    data = value.data
    if incoming.type == DataType.EMPTY or value.type == DataType.EMPTY:
        both_empty = incoming.type == value.type == DataType.EMPTY
        return both_empty if match == MatchType.EQUAL else False
    if isinstance(data, (V4AddrMask, V6AddrMask)):
        if match not in (MatchType.EQUAL, MatchType.NOT_EQUAL):
            return False
        return _in_network(data, incoming) == (match == MatchType.EQUAL)
    got = incoming.data
    if isinstance(data, Range):
        return (
            incoming.type == data.low.type and _le(data.low.data, got) and _le(got, data.high.data)
        )
    is_sd = value.type == DataType.SECURITY_DESCRIPTOR_TYPE and isinstance(data, str)
    held = token_matches(str(data), got) if is_sd and isinstance(got, str) else None
    if held is not None:  # SDDL or a SID against a token (wfpsim.tokens)
        return held if match == MatchType.EQUAL else not held
    if incoming.type != value.type and not (
        value.type == DataType.SECURITY_DESCRIPTOR_TYPE and incoming.type in STRINGISH
    ):
        return False
    compare = _COMPARE.get(match)
    return compare(got, data) if compare is not None else False


def _flags(test: Callable[[int, int], bool]) -> Callable[[object, object], bool]:
    def compare(got: object, data: object) -> bool:
        return isinstance(got, int) and isinstance(data, int) and test(got, data)

    return compare


def _casefold_equal(got: object, data: object) -> bool:
    return isinstance(got, str) and isinstance(data, str) and got.casefold() == data.casefold()


def _in_network(data: V4AddrMask | V6AddrMask, incoming: Value) -> bool:
    """Is the incoming address inside the condition's address/mask or prefix?"""
    got = incoming.data
    if isinstance(data, V4AddrMask):
        return (
            incoming.type == DataType.UINT32
            and isinstance(got, int)
            and (got & data.mask) == (data.addr & data.mask)
        )
    if incoming.type != DataType.BYTE_ARRAY16_TYPE or not isinstance(got, bytes):
        return False
    shift = 128 - data.prefix_length
    return int.from_bytes(got, "big") >> shift == int.from_bytes(data.addr, "big") >> shift


def _le(a: object, b: object) -> bool:
    try:
        return bool(a <= b)  # type: ignore[operator]
    except TypeError:
        return False


def _ends_with(got: object, data: object) -> bool:
    if isinstance(got, bytes) and isinstance(data, bytes):
        return got.endswith(data)
    if isinstance(got, str) and isinstance(data, str):
        return got.endswith(data)
    return False


#: A match type's comparison of the incoming value (``got``) with the condition's (``data``).
_COMPARE: dict[MatchType, Callable[[object, object], bool]] = {
    MatchType.EQUAL: operator.eq,
    MatchType.NOT_EQUAL: operator.ne,
    MatchType.GREATER: lambda got, data: not _le(got, data),
    MatchType.LESS: lambda got, data: not _le(data, got),
    MatchType.GREATER_OR_EQUAL: lambda got, data: _le(data, got),
    MatchType.LESS_OR_EQUAL: _le,
    MatchType.FLAGS_ALL_SET: _flags(lambda got, data: got & data == data),
    MatchType.FLAGS_ANY_SET: _flags(lambda got, data: got & data != 0),
    MatchType.FLAGS_NONE_SET: _flags(lambda got, data: got & data == 0),
    MatchType.EQUAL_CASE_INSENSITIVE: _casefold_equal,
    MatchType.PREFIX: lambda got, data: _ends_with(got, data),
    MatchType.NOT_PREFIX: lambda got, data: not _ends_with(got, data),
}


@dataclass(frozen=True, slots=True)
class MatchResult:
    """Whether a filter's conditions matched and, if not, the first field group that failed."""

    matched: bool
    failed: tuple[Condition, ...] = ()
    incoming: Value | None = None


def group_by_field(conditions: Iterable[Condition]) -> dict[str, list[Condition]]:
    """Group conditions by field, keeping first-appearance order."""
    groups: dict[str, list[Condition]] = {}
    for cond in conditions:
        groups.setdefault(cond.field, []).append(cond)
    return groups


def describe_conditions(conditions: Iterable[Condition]) -> str:
    """OR within a field (in parentheses when several), AND across fields. Pure.

    >>> describe_conditions([Condition("A", "EQUAL", 0), Condition("A", "EQUAL", 1)])
    '(A == 0 OR A == 1)'
    """
    groups: dict[str, list[str]] = {}
    for c in conditions:
        groups.setdefault(c.field.removeprefix("FWPM_CONDITION_").upper(), []).append(c.describe())
    return " AND ".join(t[0] if len(t) == 1 else f"({' OR '.join(t)})" for t in groups.values())


def filter_matches(conditions: Sequence[Condition], values: Mapping[str, Value]) -> MatchResult:
    """AND over distinct fields of (OR over that field's conditions). Pure.

    ``values`` maps ``FWPM_CONDITION_*`` names to incoming values; a field missing from it
    is ``FWP_EMPTY``. [UNDOCUMENTED] whether non-adjacent same-field conditions merge: we
    group every condition on a field, as the kernel's ``FWPS_FILTER_FLAG_OR_CONDITIONS``
    comment suggests.
    """
    for name, group in group_by_field(conditions).items():
        incoming = values.get(name, Value.empty())
        if not any(matches(c, incoming) for c in group):
            return MatchResult(False, tuple(group), incoming)
    return MatchResult(True)


def app_id_value(path: str) -> Value:
    """The ALE_APP_ID value of a path (convenience re-export)."""
    return Value(DataType.BYTE_BLOB_TYPE, app_id_bytes(path))


def condition_key(name: str | uuid.UUID) -> str:
    """The canonical ``FWPM_CONDITION_*`` name for a name or GUID."""
    return condition(name).name
