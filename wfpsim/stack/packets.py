"""Packets as real bytes: IPv4 or IPv6 carrying TCP, UDP, ICMP or ICMPv6, checksums included.

:meth:`Packet.to_bytes` gives what a callout finds in ``layer_data`` (the
``NET_BUFFER_LIST``): every field in network byte order (big-endian), so 10.0.0.1 is
``0a 00 00 01`` and port 49152 is ``c0 00``. The classify *fields* are another matter:
WFP hands IPv4 addresses and ports to callouts as host-order integers (see
:mod:`wfpsim.values`). The header classes live in :mod:`wfpsim.stack.headers` and are
re-exported here.

>>> p = tcp_segment("10.0.0.1", "93.184.216.34", 49152, 80, TcpFlags.SYN, seq=1000)
>>> p.summary()
'TCP 10.0.0.1:49152 -> 93.184.216.34:80 [SYN] seq=1000 len=0'
>>> data = p.to_bytes()
>>> data[12:16].hex(" "), data[20:22].hex(" ")
('0a 00 00 01', 'c0 00')
>>> Packet.from_bytes(data) == p, verify_checksums(data)
(True, True)
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, replace

from wfpsim.errors import InvalidParameterError
from wfpsim.stack.headers import (
    ECHO_TYPES,
    LAYER_NAMES,
    NO_IP_FLAGS,
    PORT_UNREACHABLE,
    HeaderField,
    ICMPHeader,
    IPv4Flags,
    IPv4Header,
    IPv6Header,
    Protocol,
    TcpFlags,
    TCPHeader,
    UDPHeader,
    check_bits,
    header_fields,
    icmp_name,
    internet_checksum,
    pseudo_header,
)

__all__ = [
    "HeaderField",
    "ICMPHeader",
    "IPv4Flags",
    "IPv4Header",
    "IPv6Header",
    "Packet",
    "Protocol",
    "TCPHeader",
    "TcpFlags",
    "UDPHeader",
    "decode",
    "hexdump",
    "icmp_echo",
    "icmp_port_unreachable",
    "internet_checksum",
    "tcp_rst_for",
    "tcp_segment",
    "udp_datagram",
    "verify_checksums",
]


def _need(data: bytes, size: int, what: str) -> None:
    if len(data) < size:
        have = len(data)
        raise InvalidParameterError(f"truncated: {what} needs {size} bytes, only {have} left")


@dataclass(frozen=True, slots=True)
class Packet:
    """One IP packet: network header, transport header, payload."""

    ip: IPv4Header | IPv6Header
    transport: TCPHeader | UDPHeader | ICMPHeader
    payload: bytes = b""

    def __post_init__(self) -> None:
        object.__setattr__(self, "payload", bytes(self.payload))
        room = 0xFFFF - (self.ip_header_size if self.ip.version == 4 else 0)
        if self.transport_header_size + len(self.payload) > room:
            size = len(self.payload)
            raise InvalidParameterError(
                f"payload of {size} bytes is too long; valid: a packet of at most 65535 bytes"
            )

    @property
    def protocol(self) -> Protocol:
        """6 (TCP), 17 (UDP), 1 (ICMP) or 58 (ICMPv6)."""
        if isinstance(self.transport, TCPHeader):
            return Protocol.TCP
        if isinstance(self.transport, UDPHeader):
            return Protocol.UDP
        return Protocol.ICMP if self.ip.version == 4 else Protocol.ICMPV6

    @property
    def ip_header_size(self) -> int:
        """20 (IPv4) or 40 (IPv6)."""
        return self.ip.SIZE

    @property
    def transport_header_size(self) -> int:
        """20 (TCP) or 8 (UDP, ICMP)."""
        return self.transport.SIZE

    @property
    def transport_offset(self) -> int:
        """Where the transport header starts: right after the IP header."""
        return self.ip_header_size

    @property
    def payload_offset(self) -> int:
        """Where the payload starts."""
        return self.ip_header_size + self.transport_header_size

    def sections(self) -> dict[int, str]:
        """Where each part starts, ready for :func:`hexdump`'s ``marks``."""
        proto = LAYER_NAMES[self.protocol]
        marks = {0: f"IPv{self.ip.version} header", self.transport_offset: f"{proto} header"}
        return marks | ({self.payload_offset: "payload"} if self.payload else {})

    def finalized(self) -> Packet:
        """This packet with protocol, lengths and every checksum computed (what is sent)."""
        proto, size = self.protocol, self.transport_header_size + len(self.payload)
        t = replace(self.transport, checksum=0)
        if isinstance(t, UDPHeader):
            t = replace(t, length=size)
        ip: IPv4Header | IPv6Header
        if isinstance(self.ip, IPv4Header):
            ip = replace(self.ip, total_length=20 + size, protocol=proto, checksum=0)
            ip = replace(ip, checksum=internet_checksum(ip.pack()))
        else:
            ip = replace(self.ip, payload_length=size, next_header=proto)
        pseudo = b"" if proto is Protocol.ICMP else pseudo_header(ip, proto, size)
        checksum = internet_checksum(pseudo + t.pack() + self.payload)
        if checksum == 0 and isinstance(t, UDPHeader):
            checksum = 0xFFFF  # a UDP checksum of 0 means "none", so 0 is sent as 0xFFFF
        return Packet(ip, replace(t, checksum=checksum), self.payload)

    def to_bytes(self) -> bytes:
        """The packet in network byte order, lengths and checksums computed."""
        done = self.finalized()
        return done.ip.pack() + done.transport.pack() + self.payload

    @classmethod
    def from_bytes(cls, data: bytes) -> Packet:
        """Parse IPv4 or IPv6 carrying TCP, UDP, ICMP or ICMPv6 (checksums are not checked).

        Raises:
            InvalidParameterError: truncated or garbled bytes, lengths that disagree with
                the data, fragments, IP or TCP options, IPv6 extension headers.
        """
        data = bytes(data)
        _need(data, 1, "an IP header")
        ip: IPv4Header | IPv6Header
        if data[0] >> 4 == 4:
            _need(data, 20, "an IPv4 header")
            ip = IPv4Header.unpack(data)
            proto, length, valid = ip.protocol, ip.total_length, (1, 6, 17)
            if ip.flags & IPv4Flags.MF or ip.fragment_offset:
                raise InvalidParameterError(
                    f"IPv4 fragment (flags {ip.flags.label()}, offset {ip.fragment_offset}) "
                    "is not modelled; valid: an unfragmented packet"
                )
        elif data[0] >> 4 == 6:
            _need(data, 40, "an IPv6 header")
            ip = IPv6Header.unpack(data)
            proto, length, valid = ip.next_header, 40 + ip.payload_length, (6, 17, 58)
        else:
            raise InvalidParameterError(
                f"IP version {data[0] >> 4} (byte 0 is 0x{data[0]:02x}); valid: 4 or 6"
            )
        if length != len(data):
            raise InvalidParameterError(
                f"IPv{ip.version} header says {length} bytes but {len(data)} were given"
            )
        if proto not in valid:
            names = ", ".join(f"{p} ({LAYER_NAMES[p]})" for p in valid)
            raise InvalidParameterError(f"IPv{ip.version} protocol {proto}; valid: {names}")
        segment = data[ip.SIZE :]
        kind: type[TCPHeader | UDPHeader | ICMPHeader] = ICMPHeader
        kind = TCPHeader if proto == 6 else UDPHeader if proto == 17 else kind
        _need(segment, kind.SIZE, f"a {LAYER_NAMES[proto]} header")
        transport = kind.unpack(segment)
        if isinstance(transport, UDPHeader) and transport.length != len(segment):
            raise InvalidParameterError(
                f"UDP length {transport.length} but {len(segment)} bytes follow the IP header"
            )
        return cls(ip, transport, segment[kind.SIZE :])

    def summary(self) -> str:
        """One line: ``TCP 10.0.0.1:49152 -> 93.184.216.34:80 [SYN] seq=1000 len=0``."""
        t, size, proto = self.transport, len(self.payload), self.protocol
        src, dst = self.ip.src, self.ip.dst
        if isinstance(t, ICMPHeader):
            echo = f" id={t.identifier} seq={t.sequence}" if t.type in ECHO_TYPES[proto] else ""
            name = icmp_name(proto, t.type, t.code)
            return f"{LAYER_NAMES[proto]} {src} -> {dst} {name}{echo} len={size}"
        if self.ip.version == 6:
            src, dst = f"[{src}]", f"[{dst}]"
        ends = f"{src}:{t.sport} -> {dst}:{t.dport}"
        if isinstance(t, UDPHeader):
            return f"UDP {ends} len={size}"
        ack = f" ack={t.ack}" if t.flags & TcpFlags.ACK else ""
        return f"TCP {ends} {t.flags.label()} seq={t.seq}{ack} len={size}"


def _ip(src: str, dst: str, flags: IPv4Flags = NO_IP_FLAGS) -> IPv4Header | IPv6Header:
    """The IP header for ``src`` -> ``dst``; the addresses choose IPv4 or IPv6."""
    try:
        a, b = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    except ValueError as exc:
        raise InvalidParameterError(f"{exc}; valid: text like 10.0.0.1 or 2001:db8::1") from None
    if a.version != b.version:
        raise InvalidParameterError(
            f"src {src} is IPv{a.version} but dst {dst} is IPv{b.version}; valid: one family"
        )
    if a.version == 6:
        return IPv6Header(src=src, dst=dst)
    return IPv4Header(src=src, dst=dst, flags=flags)


def tcp_segment(
    src: str, dst: str, sport: int, dport: int, flags: TcpFlags | int,
    seq: int = 0, ack: int = 0, payload: bytes = b"",
) -> Packet:  # fmt: skip
    """A finalized TCP segment (DF set on IPv4, as Windows does for TCP)."""
    header = TCPHeader(sport=sport, dport=dport, seq=seq, ack=ack, flags=TcpFlags(flags))
    return Packet(_ip(src, dst, IPv4Flags.DF), header, payload).finalized()


def udp_datagram(src: str, dst: str, sport: int, dport: int, payload: bytes = b"") -> Packet:
    """A finalized UDP datagram."""
    return Packet(_ip(src, dst), UDPHeader(sport=sport, dport=dport), payload).finalized()


def icmp_echo(
    src: str, dst: str, identifier: int, sequence: int, payload: bytes = b"", reply: bool = False
) -> Packet:
    """A finalized echo request (ICMP type 8, ICMPv6 128) or reply (type 0, ICMPv6 129).

    Windows ``ping`` sends 32 bytes, ``abcdefghijklmnopqrstuvwabcdefghi``.
    """
    check_bits("icmp_echo", "identifier", identifier, 16)
    check_bits("icmp_echo", "sequence", sequence, 16)
    ip = _ip(src, dst)
    kind = ECHO_TYPES[1 if ip.version == 4 else 58][0 if reply else 1]
    return Packet(ip, ICMPHeader(type=kind, rest=identifier << 16 | sequence), payload).finalized()


def icmp_port_unreachable(
    original: bytes, src: str | None = None, dst: str | None = None
) -> Packet:
    """The ICMP error a host sends for a UDP datagram to a closed port.

    IPv4: type 3 code 3 quoting the original IP header and as much more as keeps the
    error within 576 bytes (RFC 1812 4.3.2.3: at most 548 bytes of the original).
    IPv6: type 1 code 4, quoting as much as keeps it within the 1280-byte minimum MTU
    (RFC 4443 2.4: at most 1232 bytes). ``src`` and ``dst`` default to the original's
    destination and source.

    Raises:
        InvalidParameterError: ``original`` does not start with an IP header, or ``src``
            and ``dst`` are of the other address family.
    """
    original = bytes(original)
    version = original[0] >> 4 if original else 0
    if version not in (4, 6):
        raise InvalidParameterError(
            f"original starts with {original[:1].hex() or 'nothing'}; valid: an IPv4 or IPv6 packet"
        )
    head = IPv4Header if version == 4 else IPv6Header
    _need(original, head.SIZE, f"the original IPv{version} header")
    quoted = head.unpack(original)
    ip = _ip(src or quoted.dst, dst or quoted.src)
    if ip.version != version:
        raise InvalidParameterError(
            f"an IPv{version} original needs IPv{version} src and dst; got {ip.src} -> {ip.dst}"
        )
    kind, code = PORT_UNREACHABLE[1 if version == 4 else 58]
    room = 548 if version == 4 else 1232
    return Packet(ip, ICMPHeader(type=kind, code=code), original[:room]).finalized()


def tcp_rst_for(segment: Packet) -> Packet:
    """The reset a stack sends for ``segment`` arriving at a closed port (RFC 9293 3.10.7.1).

    For a SYN: ``RST|ACK`` with ``seq=0`` and ``ack = seq + 1``; a segment with ACK set
    gets a bare RST with ``seq`` taken from its ``ack``. The window is 0, as Windows sends.
    """
    t = segment.transport
    if not isinstance(t, TCPHeader) or t.flags & TcpFlags.RST:
        raise InvalidParameterError(
            f"no reset answers {segment.summary()}; valid: a TCP segment without RST"
        )
    ip = _ip(segment.ip.dst, segment.ip.src, IPv4Flags.DF)
    if t.flags & TcpFlags.ACK:
        reply = TCPHeader(sport=t.dport, dport=t.sport, seq=t.ack, flags=TcpFlags.RST, window=0)
    else:
        length = len(segment.payload) + bool(t.flags & TcpFlags.SYN) + bool(t.flags & TcpFlags.FIN)
        ack = (t.seq + length) % (1 << 32)
        flags = TcpFlags.RST | TcpFlags.ACK
        reply = TCPHeader(sport=t.dport, dport=t.sport, ack=ack, flags=flags, window=0)
    return Packet(ip, reply).finalized()


def verify_checksums(data: bytes) -> bool:
    """True if every checksum in the packet is right, checked the way a receiver does.

    A correct checksum makes the RFC 1071 sum over what it covers come out 0. A UDP over
    IPv4 checksum of 0 means "not computed" and passes.

    Raises:
        InvalidParameterError: the bytes are not a packet :meth:`Packet.from_bytes` reads.
    """
    packet = Packet.from_bytes(data)
    segment = bytes(data[packet.transport_offset :])
    if isinstance(packet.ip, IPv4Header):
        if internet_checksum(bytes(data[:20])):
            return False
        if isinstance(packet.transport, UDPHeader) and packet.transport.checksum == 0:
            return True
    proto = packet.protocol
    pseudo = b"" if proto is Protocol.ICMP else pseudo_header(packet.ip, proto, len(segment))
    return internet_checksum(pseudo + segment) == 0


def decode(data: bytes) -> list[HeaderField]:
    """Every header field of the packet in wire order, then the payload (if any).

    >>> fields = decode(udp_datagram("10.0.0.1", "10.0.0.2", 5353, 53, b"hi").to_bytes())
    >>> for f in fields[9:]:
    ...     print(f"{f.layer:7} {f.name:9} {f.offset:>2} {f.length} {f.value}")
    IPv4    checksum  10 2 0x26cd
    IPv4    src       12 4 10.0.0.1
    IPv4    dst       16 4 10.0.0.2
    UDP     sport     20 2 5353
    UDP     dport     22 2 53
    UDP     length    24 2 10
    UDP     checksum  26 2 0x6e50
    payload payload   28 2 2 bytes
    """
    packet = Packet.from_bytes(data)
    proto, t_at = packet.protocol, packet.transport_offset
    fields = header_fields(packet.ip, f"IPv{packet.ip.version}", 0, proto)
    fields += header_fields(packet.transport, LAYER_NAMES[proto], t_at, proto)
    if packet.payload:
        size = len(packet.payload)
        fields.append(
            HeaderField("payload", "payload", packet.payload_offset, size, f"{size} bytes")
        )
    return fields


def hexdump(data: bytes, width: int = 16, marks: Mapping[int, str] | None = None) -> str:
    """Classic offset / hex / ASCII lines; ``marks`` (offset -> label) are pointed at.

    Under the line holding a marked offset, a marker line puts ``^`` under that byte's
    hex digits, then the label and the offset. A mark at the very end (an empty part)
    gets a line of its own.

    >>> p = udp_datagram("10.0.0.1", "10.0.0.2", 5353, 53, b"hi!!")
    >>> print(hexdump(p.to_bytes(), marks=p.sections()))
    0000  45 00 00 20 00 00 00 00 80 11 26 cb 0a 00 00 01  |E.. ......&.....|
          ^ IPv4 header (offset 0)
    0010  0a 00 00 02 14 e9 00 35 00 0c 4d 2b 68 69 21 21  |.......5..M+hi!!|
                      ^ UDP header (offset 20)
                                              ^ payload (offset 28)

    Raises:
        InvalidParameterError: ``width`` below 1 or a mark outside ``0..len(data)``.
    """
    if width < 1:
        raise InvalidParameterError(f"hexdump width {width}; valid: 1 or more bytes per line")
    pending = sorted((marks or {}).items())
    for offset, label in pending:
        if not 0 <= offset <= len(data):
            raise InvalidParameterError(
                f"mark {label!r} at offset {offset}; valid: 0..{len(data)} (the data's length)"
            )
    lines: list[str] = []
    for start in range(0, len(data), width):
        chunk = data[start : start + width]
        hexes = " ".join(f"{b:02x}" for b in chunk).ljust(3 * width - 1)
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{start:04x}  {hexes}  |{text}|")
        while pending and pending[0][0] < start + width:
            offset, label = pending.pop(0)
            lines.append(" " * (6 + 3 * (offset - start)) + f"^ {label} (offset {offset})")
    lines += [f"{offset:04x}  ^ {label} (offset {offset}, no bytes)" for offset, label in pending]
    return "\n".join(lines)
