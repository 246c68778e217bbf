"""Protocol headers as frozen values: IPv4, IPv6, TCP, UDP, ICMP/ICMPv6, and their checksum.

Each header packs to the bytes a real stack sends. Every multi-byte field goes out in
**network byte order** (big-endian, most significant byte first), so port 80 is
``00 50`` and 192.168.1.5 is ``c0 a8 01 05``, whatever the host's own byte order.
:mod:`wfpsim.stack.packets` puts headers together into packets; import from there.

>>> TCPHeader(sport=49152, dport=80, flags=TcpFlags.SYN | TcpFlags.ACK).pack()[:4].hex(" ")
'c0 00 00 50'
>>> TcpFlags(0x12).label()
'[SYN, ACK]'
"""

from __future__ import annotations

import enum
import ipaddress
import struct
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Self

from wfpsim.errors import InvalidParameterError


class Protocol(enum.IntEnum):
    """IANA protocol numbers: the IPv4 ``protocol`` / IPv6 ``next_header`` byte."""

    ICMP = 1
    TCP = 6
    UDP = 17
    ICMPV6 = 58


class IPv4Flags(enum.IntFlag):
    """The IPv4 flag bits (top 3 bits of bytes 6-7): don't fragment, more fragments."""

    DF = 0b010
    MF = 0b001

    def label(self) -> str:
        """The set bits: ``[DF]``; ``[]`` for none."""
        return _label(self)


class TcpFlags(enum.IntFlag):
    """The TCP control bits (byte 13 of the TCP header)."""

    FIN = 0x01
    SYN = 0x02
    RST = 0x04
    PSH = 0x08
    ACK = 0x10
    URG = 0x20
    ECE = 0x40
    CWR = 0x80

    def label(self) -> str:
        """The set bits, lowest first, as tcpdump-like text: ``[SYN, ACK]``."""
        return _label(self)


#: No flag set.
NO_IP_FLAGS = IPv4Flags(0)
NO_TCP_FLAGS = TcpFlags(0)


def _label(flags: enum.IntFlag) -> str:
    return "[" + ", ".join(str(m.name) for m in type(flags) if m & flags) + "]"


def check_bits(owner: str, name: str, value: object, bits: int) -> None:
    """Raise :class:`InvalidParameterError` unless ``value`` is an unsigned ``bits``-bit int."""
    if not isinstance(value, int) or not 0 <= value < 1 << bits:
        valid = f"0..{(1 << bits) - 1}"
        raise InvalidParameterError(f"{owner} {name}={value!r} is invalid; valid: {valid}")


def internet_checksum(data: bytes) -> int:
    """The RFC 1071 checksum: ones' complement of the ones' complement sum of 16-bit words.

    Summed over data that already holds its correct checksum, the sum comes out 0: that
    is how a receiver checks it.

    >>> hex(internet_checksum(bytes.fromhex("0001 f203 f4f5 f6f7")))  # RFC 1071's example
    '0x220d'
    """
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


_ADDRESS = {32: ipaddress.IPv4Address, 128: ipaddress.IPv6Address}


class _Header:
    """Pack, unpack and range checks for a header, all read from its ``LAYOUT``.

    ``LAYOUT`` lists ``(name, bits, style)`` in wire order. Names that are class constants
    (``version``, ``ihl``, ``data_offset``) are fixed; the others are fields. ``style``
    tells the inspector how to show a value: ``d`` decimal, ``x`` hex, ``a`` address,
    ``f`` flags, ``p`` protocol, ``w`` 32-bit words, ``t`` ICMP type.
    """

    __slots__ = ()
    __dataclass_fields__: ClassVar[dict[str, Any]]
    LAYOUT: ClassVar[tuple[tuple[str, int, str], ...]]
    SIZE: ClassVar[int]
    _FLAGS: ClassVar[type[enum.IntFlag]] = enum.IntFlag

    def __post_init__(self) -> None:
        names = {f.name for f in fields(self)}
        for name, bits, style in self.LAYOUT:
            value, kind = getattr(self, name), type(self).__name__
            if style == "a":
                family = _ADDRESS[bits]
                try:
                    object.__setattr__(self, name, str(family(value)))
                except (ValueError, TypeError):
                    what = f"an IPv{family(0).version} address"
                    raise InvalidParameterError(f"{kind} {name}={value!r} is not {what}") from None
            elif name in names:
                check_bits(kind, name, value, bits)
                if style == "f":
                    object.__setattr__(self, name, self._FLAGS(value))

    def pack(self) -> bytes:
        """The header bytes in network byte order, fields as they are (nothing computed)."""
        word = 0
        for name, bits, style in self.LAYOUT:
            value = getattr(self, name)
            word = word << bits | (int(_ADDRESS[bits](value)) if style == "a" else value)
        return word.to_bytes(self.SIZE, "big")

    @classmethod
    def unpack(cls, data: bytes) -> Self:
        """Read the header from the first ``SIZE`` bytes of ``data`` (which must be there)."""
        word, shift, values = int.from_bytes(data[: cls.SIZE], "big"), cls.SIZE * 8, {}
        names = {f.name for f in fields(cls)}
        for name, bits, style in cls.LAYOUT:
            shift -= bits
            value = (word >> shift) & ((1 << bits) - 1)
            if name in names:
                values[name] = str(_ADDRESS[bits](value)) if style == "a" else value
            elif value != getattr(cls, name):
                raise InvalidParameterError(
                    f"{cls.__name__} {name} is {value}: options and extension headers are "
                    f"not modelled; valid: {getattr(cls, name)}"
                )
        return cls(**values)


@dataclass(frozen=True, slots=True, kw_only=True)
class IPv4Header(_Header):
    """An IPv4 header without options (version 4, IHL 5: 20 bytes); fields in wire order.

    ``total_length``, ``protocol`` and ``checksum`` are computed by :meth:`Packet.to_bytes`;
    ``ttl`` defaults to 128, as on Windows.
    """

    tos: int = 0
    total_length: int = 0
    identification: int = 0
    flags: IPv4Flags = NO_IP_FLAGS
    fragment_offset: int = 0
    ttl: int = 128
    protocol: int = 0
    checksum: int = 0
    src: str
    dst: str
    version: ClassVar[int] = 4
    ihl: ClassVar[int] = 5
    SIZE: ClassVar[int] = 20
    _FLAGS: ClassVar[type[enum.IntFlag]] = IPv4Flags
    LAYOUT: ClassVar[tuple[tuple[str, int, str], ...]] = (
        ("version", 4, "d"), ("ihl", 4, "w"), ("tos", 8, "x"), ("total_length", 16, "d"),
        ("identification", 16, "x"), ("flags", 3, "f"), ("fragment_offset", 13, "d"),
        ("ttl", 8, "d"), ("protocol", 8, "p"), ("checksum", 16, "x"),
        ("src", 32, "a"), ("dst", 32, "a"),
    )  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class IPv6Header(_Header):
    """An IPv6 header (40 bytes, no extension headers); fields in wire order.

    ``payload_length`` and ``next_header`` are computed by :meth:`Packet.to_bytes`;
    ``hop_limit`` defaults to 128, as on Windows.
    """

    traffic_class: int = 0
    flow_label: int = 0
    payload_length: int = 0
    next_header: int = 0
    hop_limit: int = 128
    src: str
    dst: str
    version: ClassVar[int] = 6
    SIZE: ClassVar[int] = 40
    LAYOUT: ClassVar[tuple[tuple[str, int, str], ...]] = (
        ("version", 4, "d"), ("traffic_class", 8, "x"), ("flow_label", 20, "x"),
        ("payload_length", 16, "d"), ("next_header", 8, "p"), ("hop_limit", 8, "d"),
        ("src", 128, "a"), ("dst", 128, "a"),
    )  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class TCPHeader(_Header):
    """A TCP header without options (data offset 5: 20 bytes); ``checksum`` is computed.

    ``flags`` holds the 12 bits after the data offset (control bits and the reserved
    ones); ``window`` defaults to 64240, what Windows advertises on Ethernet.
    """

    sport: int
    dport: int
    seq: int = 0
    ack: int = 0
    flags: TcpFlags = NO_TCP_FLAGS
    window: int = 64240
    checksum: int = 0
    urgent: int = 0
    data_offset: ClassVar[int] = 5
    SIZE: ClassVar[int] = 20
    _FLAGS: ClassVar[type[enum.IntFlag]] = TcpFlags
    LAYOUT: ClassVar[tuple[tuple[str, int, str], ...]] = (
        ("sport", 16, "d"), ("dport", 16, "d"), ("seq", 32, "d"), ("ack", 32, "d"),
        ("data_offset", 4, "w"), ("flags", 12, "f"), ("window", 16, "d"),
        ("checksum", 16, "x"), ("urgent", 16, "d"),
    )  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class UDPHeader(_Header):
    """A UDP header (8 bytes); ``length`` and ``checksum`` are computed."""

    sport: int
    dport: int
    length: int = 0
    checksum: int = 0
    SIZE: ClassVar[int] = 8
    LAYOUT: ClassVar[tuple[tuple[str, int, str], ...]] = (
        ("sport", 16, "d"), ("dport", 16, "d"), ("length", 16, "d"), ("checksum", 16, "x"),
    )  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class ICMPHeader(_Header):
    """An ICMP or ICMPv6 header (8 bytes; the IP header says which); ``checksum`` is computed.

    ``rest`` is the rest-of-header word: identifier and sequence for an echo, unused (0)
    in a port-unreachable error.
    """

    type: int
    code: int = 0
    checksum: int = 0
    rest: int = 0
    SIZE: ClassVar[int] = 8
    LAYOUT: ClassVar[tuple[tuple[str, int, str], ...]] = (
        ("type", 8, "t"), ("code", 8, "d"), ("checksum", 16, "x"), ("rest", 32, "x"),
    )  # fmt: skip

    @property
    def identifier(self) -> int:
        """Echo identifier: the high half of ``rest``."""
        return self.rest >> 16

    @property
    def sequence(self) -> int:
        """Echo sequence number: the low half of ``rest``."""
        return self.rest & 0xFFFF


#: The inspector's layer name for each transport protocol number.
LAYER_NAMES = {1: "ICMP", 6: "TCP", 17: "UDP", 58: "ICMPv6"}
#: ``(protocol, type)`` -> name, for the ICMP and ICMPv6 messages the stack sends.
ICMP_NAMES = {(1, 0): "echo reply", (1, 3): "destination unreachable", (1, 8): "echo request"}
ICMP_NAMES |= {(58, 1): "destination unreachable", (58, 128): "echo request"}
ICMP_NAMES |= {(58, 129): "echo reply"}
#: ``protocol`` -> (reply type, request type) of an echo.
ECHO_TYPES = {1: (0, 8), 58: (129, 128)}
#: ``protocol`` -> (type, code) of port unreachable.
PORT_UNREACHABLE = {1: (3, 3), 58: (1, 4)}


def icmp_name(proto: int, kind: int, code: int) -> str:
    """``echo request``, ``port unreachable``… or ``type 5 code 1`` for the others."""
    if (kind, code) == PORT_UNREACHABLE[proto]:
        return "port unreachable"
    return ICMP_NAMES.get((proto, kind), f"type {kind} code {code}")


def pseudo_header(ip: IPv4Header | IPv6Header, proto: int, length: int) -> bytes:
    """What TCP, UDP and ICMPv6 checksums cover besides the segment (RFC 9293, RFC 8200 8.1)."""
    ends = ipaddress.ip_address(ip.src).packed + ipaddress.ip_address(ip.dst).packed
    if isinstance(ip, IPv4Header):
        return ends + struct.pack("!xBH", proto, length)
    return ends + struct.pack("!I3xB", length, proto)


@dataclass(frozen=True, slots=True)
class HeaderField:
    """One field as the packet inspector shows it.

    ``layer`` is ``IPv4``, ``IPv6``, ``TCP``, ``UDP``, ``ICMP``, ``ICMPv6`` or ``payload``;
    ``name`` is the header attribute; ``offset`` and ``length`` are the bytes holding it,
    counted from the start of the packet (fields narrower than a byte share their byte).
    """

    layer: str
    name: str
    offset: int
    length: int
    value: str


def _text(style: str, value: Any, bits: int, proto: int) -> str:
    if style == "x":
        return f"0x{value:0{(bits + 3) // 4}x}"
    if style == "f":
        return str(value.label())
    if style == "p":
        return f"{value} ({LAYER_NAMES.get(value, 'not modelled')})"
    if style == "w":
        return f"{value} ({value * 4} bytes)"
    if style == "t":
        return f"{value} ({ICMP_NAMES.get((proto, value), 'other')})"
    return str(value)


def header_fields(header: _Header, layer: str, base: int, proto: int) -> list[HeaderField]:
    """The fields of ``header`` in wire order, ``base`` being where it starts in the packet.

    An ICMP echo shows ``identifier`` and ``sequence`` in place of ``rest``.
    """
    out, bit = [], 0
    for name, bits, style in header.LAYOUT:
        text = _text(style, getattr(header, name), bits, proto)
        size = (bit + bits + 7) // 8 - bit // 8
        out.append(HeaderField(layer, name, base + bit // 8, size, text))
        bit += bits
    if isinstance(header, ICMPHeader) and header.type in ECHO_TYPES[proto]:
        out[-1:] = [
            HeaderField(layer, "identifier", base + 4, 2, str(header.identifier)),
            HeaderField(layer, "sequence", base + 6, 2, str(header.sequence)),
        ]
    return out
