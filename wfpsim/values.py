"""FWP values: ``FWP_DATA_TYPE``, ``FWP_VALUE0`` and the condition-only value shapes.

WFP hands every field to filters and callouts as a typed value. Integers and IPv4
addresses are in **host** byte order (``192.168.1.5`` is the integer ``0xC0A80105``), IPv6
addresses are 16 bytes in network order, application ids are byte blobs holding a
NUL-terminated UTF-16LE path. This module builds such values from friendly Python input
and converts between host and network order.

>>> v = Value.u16(80)
>>> v.type.fwp_name, v.uint16
('FWP_UINT16', 80)
>>> hex(parse_ipv4("192.168.1.5"))
'0xc0a80105'
>>> format_ipv4(0xC0A80105)
'192.168.1.5'
>>> htonl(0xC0A80105) == 0x0501A8C0
True
"""

from __future__ import annotations

import enum
import ipaddress
from dataclasses import dataclass

from wfpsim.errors import InvalidNetMaskError, InvalidRangeError, TypeMismatchError


class DataType(enum.IntEnum):
    """``FWP_DATA_TYPE`` (fwptypes.h); members are the Microsoft names minus ``FWP_``."""

    EMPTY = 0
    UINT8 = 1
    UINT16 = 2
    UINT32 = 3
    UINT64 = 4
    INT8 = 5
    INT16 = 6
    INT32 = 7
    INT64 = 8
    FLOAT = 9
    DOUBLE = 10
    BYTE_ARRAY16_TYPE = 11
    BYTE_BLOB_TYPE = 12
    SID = 13
    SECURITY_DESCRIPTOR_TYPE = 14
    TOKEN_INFORMATION_TYPE = 15
    TOKEN_ACCESS_INFORMATION_TYPE = 16
    UNICODE_STRING_TYPE = 17
    BYTE_ARRAY6_TYPE = 18
    V4_ADDR_MASK = 0x100
    V6_ADDR_MASK = 0x101
    RANGE_TYPE = 0x102

    def __str__(self) -> str:
        return self.name

    @property
    def fwp_name(self) -> str:
        """The real identifier, e.g. ``FWP_UINT16``."""
        return f"FWP_{self.name}"

    @classmethod
    def parse(cls, text: str | int | DataType) -> DataType:
        """Look a data type up by ``FWP_UINT16``, ``UINT16`` or its number."""
        if isinstance(text, int):
            return cls(text)
        key = text.strip().upper().removeprefix("FWP_")
        if key in cls.__members__:
            return cls[key]
        if f"{key}_TYPE" in cls.__members__:
            return cls[f"{key}_TYPE"]
        valid = ", ".join(t.fwp_name for t in cls)
        raise TypeMismatchError(f"unknown data type {text!r}; valid: {valid}")


#: Bit widths and signedness of the integer data types.
INTEGER_BITS: dict[DataType, tuple[int, bool]] = {
    DataType.UINT8: (8, False),
    DataType.UINT16: (16, False),
    DataType.UINT32: (32, False),
    DataType.UINT64: (64, False),
    DataType.INT8: (8, True),
    DataType.INT16: (16, True),
    DataType.INT32: (32, True),
    DataType.INT64: (64, True),
}
UNSIGNED = frozenset(t for t, (_, signed) in INTEGER_BITS.items() if not signed)
STRINGISH = frozenset(
    {
        DataType.SID,
        DataType.SECURITY_DESCRIPTOR_TYPE,
        DataType.TOKEN_INFORMATION_TYPE,
        DataType.TOKEN_ACCESS_INFORMATION_TYPE,
        DataType.UNICODE_STRING_TYPE,
    }
)


@dataclass(frozen=True, slots=True)
class V4AddrMask:
    """``FWP_V4_ADDR_AND_MASK``: address and mask, both host-order integers."""

    addr: int
    mask: int

    def __str__(self) -> str:
        prefix = bin(self.mask).count("1")
        return f"{format_ipv4(self.addr)}/{prefix}"


@dataclass(frozen=True, slots=True)
class V6AddrMask:
    """``FWP_V6_ADDR_AND_MASK``: 16 address bytes and a prefix length (0–128)."""

    addr: bytes
    prefix_length: int

    def __str__(self) -> str:
        return f"{ipaddress.IPv6Address(self.addr)}/{self.prefix_length}"


@dataclass(frozen=True, slots=True)
class Range:
    """``FWP_RANGE0``: inclusive low and high values of one type."""

    low: Value
    high: Value

    def __str__(self) -> str:
        return f"[{self.low.display()}, {self.high.display()}]"


Data = int | float | bytes | str | V4AddrMask | V6AddrMask | Range | None


@dataclass(frozen=True, slots=True)
class Value:
    """``FWP_VALUE0`` / ``FWP_CONDITION_VALUE0``: a data type and its payload.

    The union arms of the C struct are properties (``value.uint16``, ``value.byte_blob``…),
    so ``in_fixed_values.incoming_value[i].value.uint16`` reads as in a driver.
    """

    type: DataType
    data: Data = None

    # -- constructors -------------------------------------------------------------
    @classmethod
    def empty(cls) -> Value:
        """``FWP_EMPTY``: the value is unknown."""
        return cls(DataType.EMPTY, None)

    @classmethod
    def integer(cls, data_type: DataType, number: int) -> Value:
        """An integer of ``data_type``, range-checked."""
        bits, signed = INTEGER_BITS[data_type]
        low, high = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
        if isinstance(number, bool) or not isinstance(number, int) or not low <= number <= high:
            raise TypeMismatchError(
                f"{number!r} does not fit {data_type.fwp_name} (an integer {low}..{high})"
            )
        return cls(data_type, number)

    @classmethod
    def u8(cls, number: int) -> Value:
        return cls.integer(DataType.UINT8, number)

    @classmethod
    def u16(cls, number: int) -> Value:
        return cls.integer(DataType.UINT16, number)

    @classmethod
    def u32(cls, number: int) -> Value:
        return cls.integer(DataType.UINT32, number)

    @classmethod
    def u64(cls, number: int) -> Value:
        return cls.integer(DataType.UINT64, number)

    @classmethod
    def ipv4(cls, address: str | int) -> Value:
        """An IPv4 address as the host-order ``FWP_UINT32`` WFP uses."""
        number = parse_ipv4(address) if isinstance(address, str) else address
        return cls.integer(DataType.UINT32, number)

    @classmethod
    def ipv6(cls, address: str | bytes) -> Value:
        """An IPv6 address as ``FWP_BYTE_ARRAY16_TYPE`` (network order bytes)."""
        raw = address if isinstance(address, bytes) else parse_ipv6(address)
        if len(raw) != 16:
            raise TypeMismatchError(f"an IPv6 address has 16 bytes, got {len(raw)}")
        return cls(DataType.BYTE_ARRAY16_TYPE, raw)

    @classmethod
    def blob(cls, data: bytes) -> Value:
        """``FWP_BYTE_BLOB_TYPE`` holding raw bytes."""
        return cls(DataType.BYTE_BLOB_TYPE, bytes(data))

    @classmethod
    def app_id(cls, path: str) -> Value:
        """An ``ALE_APP_ID`` blob for ``path`` (see :func:`app_id_bytes`)."""
        return cls(DataType.BYTE_BLOB_TYPE, app_id_bytes(path))

    @classmethod
    def unicode(cls, text: str) -> Value:
        """``FWP_UNICODE_STRING_TYPE``."""
        return cls(DataType.UNICODE_STRING_TYPE, text)

    @classmethod
    def v4_addr_mask(cls, text_or_addr: str | int, mask: int | None = None) -> Value:
        """``FWP_V4_ADDR_MASK`` from ``"10.0.0.0/8"`` or a host-order address and mask."""
        if isinstance(text_or_addr, str) and mask is None:
            net = _ip_network(text_or_addr, 4)
            addr, mask = int(net.network_address), int(net.netmask)
        else:
            addr = parse_ipv4(text_or_addr) if isinstance(text_or_addr, str) else text_or_addr
            mask = 0xFFFFFFFF if mask is None else mask
        inverted = ~mask & 0xFFFFFFFF
        if not 0 <= mask <= 0xFFFFFFFF or inverted & (inverted + 1):
            raise InvalidNetMaskError(
                f"mask 0x{mask:08X} is not a run of leading one bits (e.g. 0xFFFFFF00 for /24)"
            )
        return cls(DataType.V4_ADDR_MASK, V4AddrMask(addr & 0xFFFFFFFF, mask))

    @classmethod
    def v6_addr_mask(cls, text: str) -> Value:
        """``FWP_V6_ADDR_MASK`` from ``"2001:db8::/32"``."""
        net = _ip_network(text, 6)
        return cls(DataType.V6_ADDR_MASK, V6AddrMask(net.network_address.packed, net.prefixlen))

    @classmethod
    def range(cls, low: Value, high: Value) -> Value:
        """``FWP_RANGE_TYPE``; both ends share one type and ``low <= high``."""
        if low.type != high.type:
            raise TypeMismatchError(
                f"range ends must share one type, got {low.type.fwp_name} and {high.type.fwp_name}"
            )
        if _sort_key(low) > _sort_key(high):
            raise InvalidRangeError(f"range low {low.display()} is above high {high.display()}")
        return cls(DataType.RANGE_TYPE, Range(low, high))

    # -- the union arms -------------------------------------------------------------
    def _int(self, *types: DataType) -> int:
        if self.type not in types or not isinstance(self.data, int):
            names = "/".join(t.fwp_name for t in types)
            raise TypeMismatchError(f"value is {self.type.fwp_name}, not {names}")
        return self.data

    @property
    def uint8(self) -> int:
        return self._int(DataType.UINT8)

    @property
    def uint16(self) -> int:
        return self._int(DataType.UINT16)

    @property
    def uint32(self) -> int:
        return self._int(DataType.UINT32)

    @property
    def uint64(self) -> int:
        return self._int(DataType.UINT64)

    @property
    def byte_array16(self) -> bytes:
        """The 16 bytes of an ``FWP_BYTE_ARRAY16_TYPE`` (IPv6 address)."""
        if self.type != DataType.BYTE_ARRAY16_TYPE or not isinstance(self.data, bytes):
            raise TypeMismatchError(f"value is {self.type.fwp_name}, not FWP_BYTE_ARRAY16_TYPE")
        return self.data

    @property
    def byte_blob(self) -> bytes:
        """The bytes of an ``FWP_BYTE_BLOB_TYPE``."""
        if self.type != DataType.BYTE_BLOB_TYPE or not isinstance(self.data, bytes):
            raise TypeMismatchError(f"value is {self.type.fwp_name}, not FWP_BYTE_BLOB_TYPE")
        return self.data

    @property
    def text(self) -> str:
        """The string of a SID, security descriptor, token or unicode-string value."""
        if self.type not in STRINGISH or not isinstance(self.data, str):
            raise TypeMismatchError(f"value is {self.type.fwp_name}, not a string type")
        return self.data

    @property
    def is_empty(self) -> bool:
        """True for ``FWP_EMPTY``."""
        return self.type == DataType.EMPTY

    def display(self) -> str:
        """A readable form: ``80``, ``"c:\\app.exe"`` (strings in double quotes, not escaped),
        ``10.0.0.0/8``."""
        data = self.data
        if self.type == DataType.EMPTY:
            return "FWP_EMPTY"
        if isinstance(data, bytes):
            if self.type == DataType.BYTE_ARRAY16_TYPE:
                return str(ipaddress.IPv6Address(data))
            if self.type == DataType.BYTE_BLOB_TYPE and len(data) % 2 == 0:
                try:
                    return f'"{data.decode("utf-16-le").rstrip(chr(0))}"'
                except UnicodeDecodeError:
                    pass
            return data.hex()
        if isinstance(data, str):
            return f'"{data}"'
        return str(data)


def display_field(condition: str, value: Value) -> str:
    """A value as a reader expects it for its field: IPv4 addresses dotted, the rest as is.

    >>> display_field("FWPM_CONDITION_IP_REMOTE_ADDRESS", Value.u32(0xC0A80105))
    '192.168.1.5'
    """
    if "ADDRESS" in condition and value.type == DataType.UINT32 and isinstance(value.data, int):
        return format_ipv4(value.data)
    if isinstance(value.data, Range):
        low, high = value.data.low, value.data.high
        return f"[{display_field(condition, low)}, {display_field(condition, high)}]"
    return value.display()


def parse_ipv4(address: str | int) -> int:
    """Dotted quad to host-order integer (the form WFP compares)."""
    if isinstance(address, int):
        return address
    quad = _dotted_quad(address)
    if quad is not None:
        return quad
    try:
        return int(ipaddress.IPv4Address(address.strip()))
    except ValueError:
        raise TypeMismatchError(
            f"{address!r} is not an IPv4 address (expected a dotted quad like '10.1.2.3')"
        ) from None


def _dotted_quad(text: str) -> int | None:
    """The plain ``a.b.c.d`` form :class:`ipaddress.IPv4Address` accepts, read without it
    (four times faster); None for anything else, which then goes to ``ipaddress``.

    >>> hex(_dotted_quad("192.168.1.5") or 0), _dotted_quad("10.01.0.1"), _dotted_quad("1.2.3")
    ('0xc0a80105', None, None)
    """
    parts = text.split(".")
    if len(parts) != 4:
        return None
    number = 0
    for part in parts:
        if not (part.isascii() and part.isdigit()) or len(part) > 3:
            return None
        if len(part) > 1 and part[0] == "0":
            return None  # ipaddress refuses leading zeros (ambiguous octal)
        octet = int(part)
        if octet > 255:
            return None
        number = number << 8 | octet
    return number


def parse_ipv6(address: str) -> bytes:
    """IPv6 text to its 16 network-order bytes."""
    try:
        return ipaddress.IPv6Address(address.strip().strip("[]")).packed
    except ValueError:
        raise TypeMismatchError(
            f"{address!r} is not an IPv6 address (expected e.g. '2001:db8::1')"
        ) from None


def format_ipv4(host_order: int) -> str:
    """Host-order integer to dotted quad."""
    return str(ipaddress.IPv4Address(host_order & 0xFFFFFFFF))


def _ip_network(text: str, version: int) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        net = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        example = "'10.0.0.0/8'" if version == 4 else "'2001:db8::/32'"
        raise InvalidNetMaskError(
            f"{text!r} is not an IPv{version} address/prefix (expected e.g. {example})"
        ) from None
    if net.version != version:
        raise TypeMismatchError(f"{text!r} is IPv{net.version}, expected IPv{version}")
    return net


def htonl(value: int) -> int:
    """Swap a 32-bit integer between host (little-endian x86/x64) and network order."""
    return int.from_bytes((value & 0xFFFFFFFF).to_bytes(4, "little"), "big")


def htons(value: int) -> int:
    """Swap a 16-bit integer between host (little-endian) and network order."""
    return int.from_bytes((value & 0xFFFF).to_bytes(2, "little"), "big")


ntohl = htonl
ntohs = htons


def to_network_bytes(value: int, width: int) -> bytes:
    """The bytes a host-order integer has on the wire (big-endian)."""
    return value.to_bytes(width, "big")


def to_host_memory(value: int, width: int) -> bytes:
    """The bytes a host-order integer has in a little-endian machine's memory."""
    return value.to_bytes(width, "little")


def app_id_bytes(path: str) -> bytes:
    """The ``ALE_APP_ID`` blob of an application path.

    Windows' ``FwpmGetAppIdFromFileName0`` returns the NT device path (``\\device\\
    harddiskvolume3\\...``) lower-cased, as NUL-terminated UTF-16LE. wfpsim keeps the path the
    scenario gives (no device-path translation — our choice) but lower-cases it and encodes
    it the same way, so app-id conditions compare exactly like on Windows.

    >>> app_id_bytes("C:\\\\A.exe") == "c:\\\\a.exe\\0".encode("utf-16-le")
    True
    """
    return (path.lower() + "\0").encode("utf-16-le")


def _sort_key(value: Value) -> tuple[int, object]:
    data = value.data
    if isinstance(data, (int, float)):
        return (0, data)
    if isinstance(data, bytes):
        return (1, data)
    if isinstance(data, str):
        return (2, data)
    return (3, str(data))
