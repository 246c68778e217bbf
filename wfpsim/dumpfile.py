"""Reading a ``netsh wfp`` dump file: its encoding, its two top-level elements, its numbers.

``netsh wfp show state`` writes UTF-8; a dump saved through PowerShell's ``>`` is UTF-16 with a
byte-order mark; a copy may have lost its BOM. :func:`read_dump` reads all of these and refuses
anything else naming the problem and its byte offset. :func:`parse_dump` parses the text once
(``ElementTree``), refusing a document type declaration (which could declare entities).
:func:`condition_value` and :func:`weight_of` read the typed values a dump writes.
"""

from __future__ import annotations

import codecs
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from wfpsim.errors import InvalidParameterError
from wfpsim.values import DataType, Value, parse_ipv6
from wfpsim.weight import Weight

MAX_UINT64 = 2**64 - 1
#: byte-order marks we read, longest first (UTF-32 is recognised only to be named)
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode_dump(data: bytes, source: str = "the dump") -> str:
    """The text of a dump's bytes: UTF-8 (BOM or not) or UTF-16 LE/BE (BOM, or shown by the bytes).

    Raises:
        InvalidParameterError: another encoding, or bytes that are not valid in the one found,
            naming the encoding and the byte offset.

    >>> decode_dump("<wfpstate/>".encode("utf-16"))
    '<wfpstate/>'
    >>> decode_dump(b"<wfpstate>\\xff</wfpstate>")
    Traceback (most recent call last):
    ...
    wfpsim.errors.InvalidParameterError: FWP_E_... the dump: not valid UTF-8 at byte offset 10 ...
    """
    encoding, start = "", 0
    for bom, name in BOMS:
        if data.startswith(bom):
            encoding, start = name, len(bom)
            break
    if encoding == "utf-32":
        raise InvalidParameterError(
            f"{source}: a UTF-32 file (byte-order mark at byte offset 0); save the dump as "
            "UTF-8 or UTF-16"
        )
    if not encoding:
        # No BOM: '<' (or white space) beside a zero byte is UTF-16 without a BOM.
        if len(data) >= 2 and data[0] == 0 and data[1] != 0:
            encoding = "utf-16-be"
        elif len(data) >= 2 and data[0] != 0 and data[1] == 0:
            encoding = "utf-16-le"
        else:
            encoding = "utf-8"
    try:
        return codecs.decode(data[start:], encoding)
    except UnicodeDecodeError as err:
        shown = data[start + err.start : start + err.start + 4].hex(" ")
        label = {"utf-8": "UTF-8", "utf-16-le": "UTF-16 LE", "utf-16-be": "UTF-16 BE"}[encoding]
        raise InvalidParameterError(
            f"{source}: not valid {label} at byte offset {start + err.start} (bytes {shown}: "
            f"{err.reason}); netsh writes UTF-8, PowerShell's > UTF-16 — save it as either"
        ) from None


def read_dump(path: str | Path) -> str:
    """Read a dump file's text (:func:`decode_dump`).

    Raises:
        InvalidParameterError: the file cannot be read or decoded.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise InvalidParameterError(f"cannot read {path}: {err.strerror}") from None
    return decode_dump(data, str(path))


_CHUNK = 1 << 20
_DECLARATION = re.compile(r"\s*<\?xml[^>]*\?>")
_DOCTYPE = re.compile(r"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


def _declaration(text: str) -> re.Match[str] | None:
    """The first ``<!DOCTYPE`` or ``<!ENTITY`` (any case) in ``text``, if any.

    Only the places holding ``<!`` are looked at (``str.find`` runs at C speed; a dump has
    none, or a few comments), so a 50 MB dump is not scanned by a case-insensitive regex.
    """
    at = text.find("<!")
    while at >= 0:
        found = _DOCTYPE.match(text, at)
        if found:
            return found
        at = text.find("<!", at + 2)
    return None


def parse_dump(text: str, source: str = "the dump") -> ET.Element:
    """``show state`` files hold two top-level elements: wrap them in one and parse."""
    found = _declaration(text)
    if found:
        raise InvalidParameterError(
            f"{source}: a document type declaration (<!{found.group(1)}) at character "
            f"{found.start()} is refused: netsh never writes one, and it could declare entities "
            "(entity expansion, external files); remove it"
        )
    text = text.lstrip("\ufeff")
    m = _DECLARATION.match(text)
    parser = ET.XMLParser()
    try:
        parser.feed("<netsh>")
        # in slices of a million characters: no copy of the whole text (nor of its UTF-8
        # encoding, which expat reads) beside the tree being built
        for at in range(m.end() if m else 0, len(text), _CHUNK):
            parser.feed(text[at : at + _CHUNK])
        parser.feed("</netsh>")
        return parser.close()
    except ET.ParseError as err:
        raise InvalidParameterError(f"{source}: not netsh WFP XML: {err}") from None


def kids(el: ET.Element | None) -> dict[str, ET.Element]:
    """An element's children by tag (one pass; the last of a repeated tag wins)."""
    return {c.tag: c for c in el} if el is not None else {}


def text_of(found: dict[str, ET.Element], tag: str) -> str:
    """The stripped text of one child (from :func:`kids`), "" when it is absent."""
    el = found.get(tag)
    return (el.text or "").strip() if el is not None else ""


def items(el: ET.Element | None) -> list[ET.Element]:
    """The ``<item>`` children of a list element (none when it is absent)."""
    return [c for c in el if c.tag == "item"] if el is not None else []


def number(text: str, what: str, high: int = MAX_UINT64) -> int:
    """A decimal (or 0x) integer in 0..high, or an :class:`InvalidParameterError` naming it."""
    try:
        number = int(text, 0) if text.lower().startswith("0x") else int(text)
    except ValueError:
        shown = repr(text) if text else "empty"
        raise InvalidParameterError(f"{what} is {shown}: not an integer") from None
    if not 0 <= number <= high:
        raise InvalidParameterError(f"{what} {number} is outside 0..{high}")
    return number


# condition values and weights -------------------------------------------------------
def value_key(el: ET.Element) -> tuple[str | None, str, str | None] | None:
    """What identifies a flat ``conditionValue`` (its type and payload text); None when nested."""
    if len(el) != 2 or len(el[1]):
        return None
    return (el[0].text, el[1].tag, el[1].text)


def condition_value(el: ET.Element) -> Any:
    """A ``conditionValue`` / ``valueLow`` element as something ``Condition`` accepts."""
    found = kids(el)
    kind = text_of(found, "type")
    if kind == "FWP_EMPTY":
        return Value.empty()
    if kind == "FWP_RANGE_TYPE":
        rng = kids(found.get("rangeValue"))
        low, high = rng.get("valueLow"), rng.get("valueHigh")
        if low is None or high is None:
            raise InvalidParameterError("an FWP_RANGE_TYPE value needs valueLow and valueHigh")
        return Value.range(typed_value(low), typed_value(high))
    return typed_value(el)


PAYLOADS = {
    DataType.UINT8: "uint8",
    DataType.UINT16: "uint16",
    DataType.UINT32: "uint32",
    DataType.UINT64: "uint64",
}
WIDTHS = {DataType.UINT8: 0xFF, DataType.UINT16: 0xFFFF, DataType.UINT32: 0xFFFFFFFF}


def typed_value(el: ET.Element) -> Value:
    """A flat typed value (``<type>FWP_UINT16</type><uint16>80</uint16>``) as a :class:`Value`.

    Raises:
        InvalidParameterError: no payload, a number out of its type's range, or a type a
            condition value cannot have.
    """
    found = kids(el)
    kind = DataType.parse(text_of(found, "type"))
    tag = PAYLOADS.get(kind) or kind.name.lower().removesuffix("_type").replace("_", "")
    payload = found.get(tag)
    if payload is None:
        others = [c for c in el if c.tag != "type"]
        if not others:
            raise InvalidParameterError(f"a {kind.fwp_name} value without its payload")
        payload = others[-1]
    text = (payload.text or "").strip()
    if kind in PAYLOADS:
        if "." in text:
            return Value.integer(kind, Value.ipv4(text).uint32)
        return Value.integer(kind, number(text, kind.fwp_name, WIDTHS.get(kind, MAX_UINT64)))
    if kind == DataType.BYTE_BLOB_TYPE:
        return Value.blob(bytes.fromhex(text_of(kids(payload), "data")))
    if kind == DataType.BYTE_ARRAY16_TYPE:
        return Value(kind, parse_ipv6(text))
    if kind in (DataType.SECURITY_DESCRIPTOR_TYPE, DataType.SID, DataType.UNICODE_STRING_TYPE):
        return Value(kind, text)
    if kind == DataType.BYTE_ARRAY6_TYPE:
        return Value(kind, bytes.fromhex(re.sub(r"[-:]", "", text)))
    raise InvalidParameterError(f"condition value of type {kind.fwp_name} is not supported")


def weight_of(el: ET.Element | None) -> Weight:
    """A filter's ``<weight>``: ``FWP_UINT8`` (a range 0-15), ``FWP_UINT64`` or ``FWP_EMPTY``.

    Raises:
        InvalidParameterError: another type, or a number out of range.
    """
    found = kids(el)
    kind = text_of(found, "type") or "FWP_EMPTY"
    if kind == "FWP_UINT8":
        return Weight.range(number(text_of(found, "uint8"), "weight (FWP_UINT8)", 15))
    if kind == "FWP_UINT64":
        return Weight.exact(number(text_of(found, "uint64"), "weight (FWP_UINT64)"))
    if kind != "FWP_EMPTY":
        raise InvalidParameterError(
            f"weight of type {kind}; valid: FWP_UINT8, FWP_UINT64, FWP_EMPTY"
        )
    return Weight.empty()
