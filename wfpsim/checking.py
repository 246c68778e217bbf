"""Checks for values read from files: keys, types, shapes — one message style for all.

Scenario files (:mod:`wfpsim.scenario`, :mod:`wfpsim.traffic`) are read by these helpers, so
every entry is checked the same way when the file loads, before anything runs. Each helper
raises :class:`~wfpsim.errors.InvalidParameterError` with the bad value and what would be
valid; the loader adds the file, the entry and its line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from wfpsim.errors import InvalidParameterError
from wfpsim.values import INTEGER_BITS, DataType, Value

_KIND_NAMES = {
    str: "a string",
    int: "an integer",
    bool: "true or false",
    float: "a number",
    list: "a list",
    dict: "a table",
}


def check_keys(entry: object, allowed: Sequence[str] | set[str], what: str) -> Mapping[str, Any]:
    """``entry`` must be a table whose keys are all in ``allowed``; returns it.

    >>> check_keys({"name": "x"}, {"name", "weight"}, "[[sublayer]]")
    {'name': 'x'}
    >>> check_keys({"nmae": "x"}, {"name", "weight"}, "[[sublayer]]")
    Traceback (most recent call last):
    ...
    wfpsim.errors.InvalidParameterError: FWP_E_INVALID_PARAMETER ...: unknown key(s) 'nmae' ...
    """
    if not isinstance(entry, Mapping):
        raise InvalidParameterError(f"{what} must be a table, got {entry!r}")
    unknown = sorted(str(k) for k in set(entry) - set(allowed))
    if unknown:
        raise InvalidParameterError(
            f"unknown key(s) {', '.join(map(repr, unknown))} in {what}; "
            f"valid keys: {', '.join(sorted(allowed))}"
        )
    return entry


def kind_name(kinds: type | tuple[type, ...]) -> str:
    """``(str, int)`` → ``"a string or an integer"``."""
    kinds = kinds if isinstance(kinds, tuple) else (kinds,)
    return " or ".join(_KIND_NAMES.get(k, k.__name__) for k in kinds)


def check_type(value: object, kinds: type | tuple[type, ...], what: str) -> Any:
    """``value`` must be one of ``kinds`` (a bool is never an integer); returns it.

    >>> check_type(True, int, "weight")
    Traceback (most recent call last):
    ...
    wfpsim.errors.InvalidParameterError: FWP_E_... (0x80320035): weight = True: give an integer
    """
    kinds_t = kinds if isinstance(kinds, tuple) else (kinds,)
    if not isinstance(value, kinds_t) or (isinstance(value, bool) and bool not in kinds_t):
        raise InvalidParameterError(f"{what} = {value!r}: give {kind_name(kinds)}")
    return value


def check_list_of(value: object, kinds: type | tuple[type, ...], what: str) -> list[Any]:
    """``value`` must be a list whose items are all of ``kinds``; returns it."""
    if not isinstance(value, list):
        raise InvalidParameterError(f"{what} = {value!r}: give a list of {kind_name(kinds)}s")
    for item in value:
        check_type(item, kinds, f"an item of {what}")
    return value


_SID = r"S-1(-\d+)+|[A-Z]{2}"
_ACE = re.compile(r"\(([A-Z]{1,2});([A-Z]*);([A-Za-z0-9]*);([-\w]*);([-\w]*);(" + _SID + r")\)")
_SDDL = re.compile(
    r"(O:(?P<owner>" + _SID + r"))?(G:(?P<group>" + _SID + r"))?"
    r"(D:(?P<dflags>(P|AI|AR|NO_ACCESS_CONTROL)*)(?P<dacl>(\([^()]*\))*))?"
    r"(S:(?P<sflags>(P|AI|AR|NO_ACCESS_CONTROL)*)(?P<sacl>(\([^()]*\))*))?"
)
ACE_TYPES = {"A", "D", "OA", "OD", "AU", "AL", "OU", "OL", "ML", "XA", "XD", "XU", "ZA", "SP"}


def check_sddl(text: str, what: str = "the security descriptor") -> str:
    """An SDDL string of the shape Windows' ``ConvertStringSecurityDescriptorToSecurityDescriptor``
    reads: ``O:``, ``G:``, ``D:`` and ``S:`` parts, each ACE ``(type;flags;rights;object;
    inherited object;SID)`` with a SID or a two-letter alias. Returns the text.

    **Our choice:** ACE rights are checked for shape only (letters and hex digits), not
    against the full table of rights abbreviations.

    >>> check_sddl("O:LSD:(A;;CC;;;S-1-5-21-1-2-3-1001)")
    'O:LSD:(A;;CC;;;S-1-5-21-1-2-3-1001)'
    >>> check_sddl("D:(A;;CC;;S-1-5-18)")
    Traceback (most recent call last):
    ...
    wfpsim.errors.InvalidParameterError: FWP_E_INVALID_PARAMETER ...: ... needs six fields: ...
    """
    m = _SDDL.fullmatch(text.strip())
    if not text.strip() or m is None:
        raise InvalidParameterError(
            f"{what} = {text!r} is not SDDL; write e.g. 'O:LSD:(A;;CC;;;S-1-5-21-…-1001)'"
        )
    for part in ("dacl", "sacl"):
        for ace in re.findall(r"\([^()]*\)", m.group(part) or ""):
            found = _ACE.fullmatch(ace)
            if found is None:
                raise InvalidParameterError(
                    f"{what} = {text!r} is not SDDL: ACE {ace!r} needs six fields: "
                    "(type;flags;rights;object;inherited object;SID)"
                )
            if found.group(1) not in ACE_TYPES:
                raise InvalidParameterError(
                    f"{what} = {text!r} is not SDDL: ACE type {found.group(1)!r}; valid: "
                    + ", ".join(sorted(ACE_TYPES))
                )
    return text


FUNCTION_REF = re.compile(r"[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*")


def check_function_ref(spec: object, key: str) -> str:
    """A ``"package.module:function"`` reference, checked for its shape only (nothing imported).

    Raises:
        InvalidParameterError: not a string of that shape.
    """
    if not isinstance(spec, str) or not FUNCTION_REF.fullmatch(spec):
        raise InvalidParameterError(f"{key} = {spec!r}: give 'package.module:function' (a string)")
    return spec


_SID_TEXT = re.compile(r"S-1(-\d+)+")


def typed_value(type_name: str, payload: object) -> Value:
    """An explicitly typed scenario value ``{ type = "FWP_…", value = … }``, payload checked.

    Integer types take an integer (or a decimal/hex string), never a boolean;
    ``FWP_V4_ADDR_MASK`` ``"a.b.c.d/len"``; ``FWP_V6_ADDR_MASK`` ``"2001:db8::/32"``;
    ``FWP_BYTE_ARRAY16_TYPE`` an IPv6 address; ``FWP_BYTE_ARRAY6_TYPE`` a MAC address;
    ``FWP_BYTE_BLOB_TYPE`` hex digits; ``FWP_SID`` ``"S-1-…"``; ``FWP_SECURITY_DESCRIPTOR_TYPE``
    SDDL; ``FWP_UNICODE_STRING_TYPE`` text; ``FWP_EMPTY`` anything (ignored).

    >>> typed_value("FWP_UINT16", 80)
    Value(type=<DataType.UINT16: 2>, data=80)
    >>> typed_value("FWP_V4_ADDR_MASK", 1)
    Traceback (most recent call last):
    ...
    wfpsim.errors.InvalidParameterError: FWP_E_... value = 1: an FWP_V4_ADDR_MASK value is ...
    """
    dtype = DataType.parse(type_name)
    name = dtype.fwp_name

    def text(hint: str) -> str:
        if not isinstance(payload, str):
            raise InvalidParameterError(f"value = {payload!r}: an {name} value is {hint}")
        return payload

    if dtype == DataType.EMPTY:
        return Value.empty()
    if dtype in INTEGER_BITS:
        number = payload
        if isinstance(payload, str) and re.fullmatch(
            r"\s*(0[xX][0-9a-fA-F_]+|-?\d[\d_]*)\s*", payload
        ):
            number = int(payload.replace("_", ""), 0)
        if not isinstance(number, int) or isinstance(number, bool):
            raise InvalidParameterError(f"value = {payload!r}: an {name} value is an integer")
        return Value.integer(dtype, number)
    try:
        if dtype == DataType.V4_ADDR_MASK:
            return Value.v4_addr_mask(text("'a.b.c.d/len' (a string)"))
        if dtype == DataType.V6_ADDR_MASK:
            return Value.v6_addr_mask(text("'2001:db8::/32' (a string)"))
        if dtype == DataType.BYTE_ARRAY16_TYPE:
            return Value.ipv6(text("an IPv6 address (a string)"))
        if dtype == DataType.BYTE_ARRAY6_TYPE:
            mac = bytes.fromhex(re.sub(r"[:-]", "", text("a MAC address 'aa-bb-cc-dd-ee-ff'")))
            if len(mac) != 6:
                raise ValueError("six bytes")
            return Value(dtype, mac)
        if dtype == DataType.BYTE_BLOB_TYPE:
            return Value.blob(bytes.fromhex(text("hex digits (a string)")))
    except ValueError as err:
        raise InvalidParameterError(f"value = {payload!r} is not an {name} value ({err})") from None
    if dtype == DataType.SID:
        sid = text("a SID 'S-1-5-…' (a string)")
        if not _SID_TEXT.fullmatch(sid):
            raise InvalidParameterError(f"value = {sid!r} is not a SID; write 'S-1-5-21-…'")
        return Value(dtype, sid)
    if dtype == DataType.SECURITY_DESCRIPTOR_TYPE:
        return Value(dtype, check_sddl(text("an SDDL string"), "value"))
    if dtype == DataType.UNICODE_STRING_TYPE:
        return Value(dtype, text("a string"))
    raise InvalidParameterError(
        f"typed values of type {name} cannot be written in a scenario file; give the value "
        "without a type, or one of the integer, address, blob, SID, SDDL or string types"
    )
