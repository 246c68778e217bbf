"""Friendly input to typed values: what a field takes, converted as a user would write it.

``coerce`` is the one door: a typed :class:`~wfpsim.values.Value` is checked against the
types the field takes, ``None`` is ``FWP_EMPTY``, a pair is a range, and anything else goes
to the converter for the field's data type (a dispatch table, one small function per type).

>>> coerce(DataType.UINT16, [DataType.UINT16], "0x50", "IP_REMOTE_PORT").data
80
>>> coerce(DataType.UINT32, [DataType.UINT32, DataType.V4_ADDR_MASK], "10.0.0.0/8", "addr").type
<DataType.V4_ADDR_MASK: 256>
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from wfpsim.errors import TypeMismatchError
from wfpsim.values import INTEGER_BITS, STRINGISH, DataType, Range, Value


def coerce(data_type: DataType, accepts: Sequence[DataType], raw: object, what: str) -> Value:
    """Turn friendly input into a typed value the field accepts.

    A typed :class:`~wfpsim.values.Value` is checked, ``None`` is ``FWP_EMPTY``, a pair is a
    range; anything else goes to the converter for the field's type (:data:`_FRIENDLY`).

    Raises:
        TypeMismatchError: ``raw`` cannot be a value of this field.
    """
    if isinstance(raw, Value):
        return _checked(raw, accepts, what)
    if raw is None:
        return Value.empty()
    if isinstance(raw, (list, tuple)) and len(raw) == 2:
        low = coerce(data_type, [data_type], raw[0], what)
        high = coerce(data_type, [data_type], raw[1], what)
        return Value.range(low, high)
    convert = _FRIENDLY.get(data_type)
    if convert is None:
        if data_type in INTEGER_BITS:
            convert = _integer
        elif data_type in STRINGISH:
            convert = _string
    value = convert(data_type, accepts, raw, what) if convert is not None else None
    if value is None:
        raise TypeMismatchError(f"{what} takes {data_type.fwp_name}, got {raw!r}")
    return value


def _checked(raw: Value, accepts: Sequence[DataType], what: str) -> Value:
    """A typed value, if its type (a range's bound type) is one the field takes."""
    if raw.type == DataType.RANGE_TYPE and isinstance(raw.data, Range):
        ok = raw.data.low.type in accepts
    else:
        ok = raw.type in accepts or raw.type == DataType.EMPTY
    if not ok:
        valid = " or ".join(t.fwp_name for t in accepts)
        raise TypeMismatchError(f"{what} takes {valid}, got {raw.type.fwp_name}")
    return raw


def _integer(data_type: DataType, accepts: Sequence[DataType], raw: object, what: str) -> Value:
    """An integer field: an int, a numeric string, or a dotted IPv4 address (``/n`` a mask)."""
    if isinstance(raw, str) and data_type == DataType.UINT32 and "." in raw:
        if "/" in raw and DataType.V4_ADDR_MASK in accepts:
            return Value.v4_addr_mask(raw)
        return Value.ipv4(raw)
    number = raw
    if isinstance(raw, str):
        try:
            number = int(raw, 0)
        except ValueError:
            number = None
    if not isinstance(number, int):
        raise TypeMismatchError(f"{what} takes an integer ({data_type.fwp_name}), got {raw!r}")
    return Value.integer(data_type, number)


def _byte_array16(
    data_type: DataType, accepts: Sequence[DataType], raw: object, what: str
) -> Value | None:
    """An IPv6 address field: text or 16 bytes (``/n`` a prefix, where the field takes one)."""
    if isinstance(raw, str) and "/" in raw and DataType.V6_ADDR_MASK in accepts:
        return Value.v6_addr_mask(raw)
    return Value.ipv6(raw) if isinstance(raw, (str, bytes)) else None


def _blob(data_type: DataType, accepts: Sequence[DataType], raw: object, what: str) -> Value | None:
    """A byte blob: bytes as they are, a string as an app id (the path ``ALE_APP_ID`` holds)."""
    if isinstance(raw, bytes):
        return Value.blob(raw)
    return Value.app_id(raw) if isinstance(raw, str) else None


def _mac(data_type: DataType, accepts: Sequence[DataType], raw: object, what: str) -> Value | None:
    """A MAC address: six bytes, or text with ``:``/``-`` separators."""
    if not isinstance(raw, (str, bytes)):
        return None
    data = raw if isinstance(raw, bytes) else bytes.fromhex(re.sub(r"[:-]", "", raw))
    return Value(DataType.BYTE_ARRAY6_TYPE, data) if len(data) == 6 else None


def _string(
    data_type: DataType, accepts: Sequence[DataType], raw: object, what: str
) -> Value | None:
    """SIDs, security descriptors, tokens and unicode strings are given as text."""
    return Value(data_type, raw) if isinstance(raw, str) else None


#: Friendly input → typed value, per field type (integers and strings by family).
_FRIENDLY: dict[DataType, Callable[[DataType, Sequence[DataType], object, str], Value | None]] = {
    DataType.BYTE_ARRAY16_TYPE: _byte_array16,
    DataType.BYTE_BLOB_TYPE: _blob,
    DataType.BYTE_ARRAY6_TYPE: _mac,
}
