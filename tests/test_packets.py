"""Packet bytes: headers in network order, checksums, builders, parsing and the inspector."""

import ipaddress
import re
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wfpsim.errors import InvalidParameterError
from wfpsim.stack.packets import (
    ICMPHeader,
    IPv4Flags,
    IPv4Header,
    IPv6Header,
    Packet,
    TcpFlags,
    TCPHeader,
    UDPHeader,
    decode,
    hexdump,
    icmp_echo,
    icmp_port_unreachable,
    tcp_rst_for,
    tcp_segment,
    udp_datagram,
    verify_checksums,
)
from wfpsim.values import parse_ipv4

V4 = ("10.0.0.1", "93.184.216.34")
V6 = ("2001:db8::1", "2001:db8::2")


def builders(src: str, dst: str) -> list[Packet]:
    return [
        tcp_segment(
            src, dst, 49152, 80, TcpFlags.PSH | TcpFlags.ACK, seq=7, ack=9, payload=b"GET /"
        ),
        udp_datagram(src, dst, 5353, 53, b"\x12\x34query"),
        icmp_echo(src, dst, identifier=1, sequence=2, payload=b"abcdefghijklmnopqrstuvwabcdefghi"),
        icmp_echo(src, dst, identifier=1, sequence=2, reply=True),
    ]


ALL = builders(*V4) + builders(*V6)
IDS = [p.summary() for p in ALL]


def tcp(packet: Packet) -> TCPHeader:
    assert isinstance(packet.transport, TCPHeader)
    return packet.transport


def icmp(packet: Packet) -> ICMPHeader:
    assert isinstance(packet.transport, ICMPHeader)
    return packet.transport


def rfc1071(data: bytes) -> int:
    """A deliberately naive RFC 1071 checksum, independent of the module's."""
    if len(data) % 2:
        data += b"\x00"
    total = 0
    for i in range(0, len(data), 2):
        total += data[i] << 8 | data[i + 1]
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


@pytest.mark.parametrize("packet", ALL, ids=IDS)
def test_round_trip(packet: Packet) -> None:
    """to_bytes then from_bytes gives the same packet back, for TCP/UDP/ICMP over v4 and v6."""
    data = packet.to_bytes()
    assert Packet.from_bytes(data) == packet
    assert Packet.from_bytes(data).to_bytes() == data


def test_ipv4_header_checksum_known_vector() -> None:
    """A classic IPv4 header (UDP, 115 bytes, DF, TTL 64) gets its well-known checksum 0xb861."""
    ip = IPv4Header(src="192.168.0.1", dst="192.168.0.199", flags=IPv4Flags.DF, ttl=64)
    data = Packet(ip, UDPHeader(sport=1, dport=2), bytes(0x73 - 28)).to_bytes()
    assert data[:20] == bytes.fromhex("45000073000040004011b861c0a80001c0a800c7")


@pytest.mark.parametrize("packet", ALL, ids=IDS)
def test_checksums_match_an_independent_sum(packet: Packet) -> None:
    """Every checksum equals a naive RFC 1071 sum over what it covers (pseudo-header included)."""
    data = packet.to_bytes()
    ip_size, proto = packet.ip_header_size, packet.protocol
    segment = bytearray(data[ip_size:])
    at = {6: 16, 17: 6, 1: 2, 58: 2}[proto]
    sent = int.from_bytes(segment[at : at + 2], "big")
    segment[at : at + 2] = b"\x00\x00"
    src = ipaddress.ip_address(packet.ip.src).packed
    dst = ipaddress.ip_address(packet.ip.dst).packed
    if proto == 1:
        pseudo = b""
    elif ip_size == 20:
        pseudo = src + dst + bytes([0, proto]) + len(segment).to_bytes(2, "big")
    else:
        pseudo = src + dst + len(segment).to_bytes(4, "big") + bytes([0, 0, 0, proto])
    assert sent == rfc1071(pseudo + bytes(segment))
    if ip_size == 20:
        header = data[:10] + b"\x00\x00" + data[12:20]
        assert int.from_bytes(data[10:12], "big") == rfc1071(header)
    assert verify_checksums(data)


@pytest.mark.parametrize(
    "offset", [8, 12, 19, 21, -1], ids=["ttl", "src", "dst", "sport", "payload"]
)
def test_flipped_byte_fails_verification(offset: int) -> None:
    """Changing any covered byte after the checksums were computed is caught."""
    data = bytearray(udp_datagram("10.0.0.1", "10.0.0.2", 5353, 53, b"query").to_bytes())
    data[offset] ^= 0x01
    assert verify_checksums(bytes(data)) is False


def test_flipped_byte_fails_verification_ipv6() -> None:
    """IPv6 has no header checksum, but the pseudo-header puts its addresses under TCP's."""
    data = bytearray(tcp_segment(*V6, 49152, 443, TcpFlags.SYN).to_bytes())
    data[23] ^= 0x80
    assert verify_checksums(bytes(data)) is False


def test_udp_checksum_zero_is_sent_as_ffff() -> None:
    """A UDP checksum that computes to 0 goes out as 0xFFFF: 0 on the wire means "none"."""
    probe = udp_datagram("10.0.0.1", "10.0.0.2", 1000, 2000, b"\x00\x00")
    word = probe.transport.checksum.to_bytes(2, "big")  # makes the ones' complement sum 0xFFFF
    data = udp_datagram("10.0.0.1", "10.0.0.2", 1000, 2000, word).to_bytes()
    assert data[26:28] == b"\xff\xff"
    assert verify_checksums(data)


def test_udp_over_ipv4_without_checksum_passes() -> None:
    """A UDP-over-IPv4 checksum of 0 means "not computed" and is accepted."""
    data = bytearray(udp_datagram("10.0.0.1", "10.0.0.2", 1000, 2000, b"x").to_bytes())
    data[26:28] = b"\x00\x00"
    assert verify_checksums(bytes(data))


def test_addresses_and_ports_are_in_network_order() -> None:
    """192.168.1.5 is c0 a8 01 05 at offset 12; port 80 is 00 50; WFP's host-order value is the big-endian read."""
    data = tcp_segment("192.168.1.5", "10.0.0.2", 49152, 80, TcpFlags.SYN).to_bytes()
    assert data[12:16] == bytes.fromhex("c0a80105")
    assert data[22:24] == bytes.fromhex("0050")
    assert int.from_bytes(data[12:16], "big") == parse_ipv4("192.168.1.5") == 0xC0A80105


def test_ipv4_header_fields_on_the_wire() -> None:
    """A TCP segment's IPv4 header: 0x45, Windows TTL 128, DF set, protocol 6, total length."""
    data = tcp_segment(*V4, 49152, 80, TcpFlags.SYN, payload=b"abc").to_bytes()
    assert data[0] == 0x45
    assert struct.unpack("!H", data[2:4])[0] == 20 + 20 + 3 == len(data)
    assert data[6] & 0x40  # DF
    assert (data[8], data[9]) == (128, 6)


def test_tcp_header_fields_on_the_wire() -> None:
    """Data offset 5, SYN|ACK in byte 13, window 64240 by default."""
    data = tcp_segment(*V4, 49152, 80, TcpFlags.SYN | TcpFlags.ACK, seq=1, ack=2).to_bytes()
    tcp = data[20:]
    assert struct.unpack("!HHII", tcp[:12]) == (49152, 80, 1, 2)
    assert tcp[12] >> 4 == 5
    assert tcp[13] == 0x12
    assert struct.unpack("!H", tcp[14:16])[0] == 64240


def test_ipv6_header_fields_on_the_wire() -> None:
    """Version 6, payload length, next header 17, hop limit 128, addresses at 8 and 24."""
    data = udp_datagram(*V6, 5353, 53, b"q").to_bytes()
    assert data[0] >> 4 == 6
    assert struct.unpack("!HBB", data[4:8]) == (9, 17, 128)
    assert data[8:24] == ipaddress.IPv6Address(V6[0]).packed
    assert data[24:40] == ipaddress.IPv6Address(V6[1]).packed


def test_echo_types_follow_the_address_family() -> None:
    """Echo request/reply are ICMP 8/0 over IPv4 and ICMPv6 128/129 over IPv6."""
    kinds = [(p.protocol, p.transport.type) for p in ALL if isinstance(p.transport, ICMPHeader)]
    assert kinds == [(1, 8), (1, 0), (58, 128), (58, 129)]


def test_offsets_and_sizes() -> None:
    """Header sizes and offsets: IPv4 20 / IPv6 40, TCP 20, UDP and ICMP 8."""
    tcp4, udp4, icmp4, _, tcp6, *_ = ALL
    assert (tcp4.ip_header_size, tcp4.transport_header_size, tcp4.payload_offset) == (20, 20, 40)
    assert (udp4.transport_offset, udp4.payload_offset) == (20, 28)
    assert icmp4.transport_header_size == 8
    assert (tcp6.transport_offset, tcp6.payload_offset) == (40, 60)
    assert [p.protocol for p in ALL[:4]] == [6, 17, 1, 1]


def test_port_unreachable_quotes_the_original_ipv4() -> None:
    """ICMP type 3 code 3 from the original's destination, quoting its IP header and UDP header."""
    original = udp_datagram("10.0.0.1", "10.0.0.2", 5353, 9999, b"hello").to_bytes()
    error = icmp_port_unreachable(original)
    assert (error.ip.src, error.ip.dst) == ("10.0.0.2", "10.0.0.1")
    assert (icmp(error).type, icmp(error).code) == (3, 3)
    data = error.to_bytes()
    assert data[28:48] == original[:20]  # after the error's IP (20) and ICMP (8) headers
    assert error.payload == original  # short enough to quote whole
    assert Packet.from_bytes(error.payload).summary() == "UDP 10.0.0.1:5353 -> 10.0.0.2:9999 len=5"
    assert verify_checksums(error.to_bytes())


def test_port_unreachable_stays_within_576_bytes() -> None:
    """A long IPv4 original is cut so the whole error is 576 bytes (548 quoted, RFC 1812)."""
    original = udp_datagram("10.0.0.1", "10.0.0.2", 5353, 9999, bytes(1400)).to_bytes()
    error = icmp_port_unreachable(original, src="10.0.0.2", dst="10.0.0.1")
    assert len(error.to_bytes()) == 576
    assert error.payload == original[:548]


def test_port_unreachable_ipv6() -> None:
    """ICMPv6 type 1 code 4, quoting as much as fits in 1280 bytes."""
    original = udp_datagram(*V6, 5353, 9999, bytes(2000)).to_bytes()
    error = icmp_port_unreachable(original)
    assert (error.protocol, icmp(error).type, icmp(error).code) == (58, 1, 4)
    assert len(error.to_bytes()) == 1280
    assert error.payload == original[:1232]
    assert error.summary() == "ICMPv6 2001:db8::2 -> 2001:db8::1 port unreachable len=1232"


def test_port_unreachable_refuses_the_other_family() -> None:
    """An IPv4 original cannot get an ICMPv6 error."""
    original = udp_datagram("10.0.0.1", "10.0.0.2", 1, 2).to_bytes()
    with pytest.raises(InvalidParameterError, match="IPv4 original needs IPv4"):
        icmp_port_unreachable(original, src=V6[0], dst=V6[1])


def test_rst_for_a_syn() -> None:
    """A SYN to a closed port gets RST|ACK, seq 0, ack = seq + 1, window 0, ends swapped."""
    syn = tcp_segment(*V4, 49152, 81, TcpFlags.SYN, seq=1000)
    rst = tcp_rst_for(syn)
    t = tcp(rst)
    assert (rst.ip.src, rst.ip.dst, t.sport, t.dport) == (V4[1], V4[0], 81, 49152)
    assert (t.flags, t.seq, t.ack, t.window) == (TcpFlags.RST | TcpFlags.ACK, 0, 1001, 0)
    assert rst.summary() == "TCP 93.184.216.34:81 -> 10.0.0.1:49152 [RST, ACK] seq=0 ack=1001 len=0"
    assert verify_checksums(rst.to_bytes())


def test_rst_for_a_segment_with_ack_takes_its_ack_as_seq() -> None:
    """A segment with ACK set gets a bare RST whose seq is that segment's ack (RFC 9293)."""
    rst = tcp_rst_for(tcp_segment(*V6, 49152, 81, TcpFlags.ACK, seq=5, ack=4242))
    assert (tcp(rst).flags, tcp(rst).seq) == (TcpFlags.RST, 4242)


def test_rst_ack_wraps_around() -> None:
    """ack = seq + 1 wraps at 2**32."""
    rst = tcp_rst_for(tcp_segment(*V4, 1, 2, TcpFlags.SYN, seq=2**32 - 1))
    assert tcp(rst).ack == 0


def test_no_rst_for_a_rst_or_udp() -> None:
    """A reset is never answered with a reset, and only TCP gets one."""
    with pytest.raises(InvalidParameterError, match="without RST"):
        tcp_rst_for(tcp_segment(*V4, 1, 2, TcpFlags.RST))
    with pytest.raises(InvalidParameterError, match="UDP"):
        tcp_rst_for(udp_datagram(*V4, 1, 2))


def test_summaries() -> None:
    """One line per packet, IPv6 endpoints in brackets."""
    assert (
        tcp_segment("10.0.0.1", "93.184.216.34", 49152, 80, TcpFlags.SYN, seq=1000).summary()
        == "TCP 10.0.0.1:49152 -> 93.184.216.34:80 [SYN] seq=1000 len=0"
    )
    assert ALL[5].summary() == "UDP [2001:db8::1]:5353 -> [2001:db8::2]:53 len=7"
    assert ALL[2].summary() == "ICMP 10.0.0.1 -> 93.184.216.34 echo request id=1 seq=2 len=32"


def test_decode_lists_every_ipv4_tcp_field_with_its_offset() -> None:
    """decode gives each field in wire order with offset, length and readable value."""
    data = tcp_segment(
        "10.0.0.1", "93.184.216.34", 49152, 80, TcpFlags.SYN | TcpFlags.ACK, payload=b"hi"
    ).to_bytes()
    rows = [(f.layer, f.name, f.offset, f.length) for f in decode(data)]
    assert rows == [
        ("IPv4", "version", 0, 1), ("IPv4", "ihl", 0, 1), ("IPv4", "tos", 1, 1),
        ("IPv4", "total_length", 2, 2), ("IPv4", "identification", 4, 2),
        ("IPv4", "flags", 6, 1), ("IPv4", "fragment_offset", 6, 2), ("IPv4", "ttl", 8, 1),
        ("IPv4", "protocol", 9, 1), ("IPv4", "checksum", 10, 2), ("IPv4", "src", 12, 4),
        ("IPv4", "dst", 16, 4),
        ("TCP", "sport", 20, 2), ("TCP", "dport", 22, 2), ("TCP", "seq", 24, 4),
        ("TCP", "ack", 28, 4), ("TCP", "data_offset", 32, 1), ("TCP", "flags", 32, 2),
        ("TCP", "window", 34, 2), ("TCP", "checksum", 36, 2), ("TCP", "urgent", 38, 2),
        ("payload", "payload", 40, 2),
    ]  # fmt: skip
    values = {f.name: f.value for f in decode(data)}
    assert values["src"] == "10.0.0.1"
    assert values["flags"] == "[SYN, ACK]"
    assert values["protocol"] == "6 (TCP)"
    assert values["ihl"] == values["data_offset"] == "5 (20 bytes)"
    assert values["checksum"] == f"0x{data[36] << 8 | data[37]:04x}"


def test_decode_ipv6_icmp_echo() -> None:
    """IPv6 fields sit at their offsets; an echo shows identifier and sequence."""
    fields = decode(icmp_echo(*V6, identifier=0x0102, sequence=7).to_bytes())
    by_name = {(f.layer, f.name): (f.offset, f.length, f.value) for f in fields}
    assert by_name[("IPv6", "src")] == (8, 16, "2001:db8::1")
    assert by_name[("IPv6", "dst")] == (24, 16, "2001:db8::2")
    assert by_name[("IPv6", "next_header")] == (6, 1, "58 (ICMPv6)")
    assert by_name[("ICMPv6", "type")] == (40, 1, "128 (echo request)")
    assert by_name[("ICMPv6", "identifier")] == (44, 2, "258")
    assert by_name[("ICMPv6", "sequence")] == (46, 2, "7")
    assert ("ICMPv6", "rest") not in by_name


def test_decode_fields_cover_the_headers_without_gaps() -> None:
    """Every header byte is in some field and the payload follows the last header field."""
    for packet in ALL:
        fields = decode(packet.to_bytes())
        covered = {i for f in fields for i in range(f.offset, f.offset + f.length)}
        assert covered == set(range(len(packet.to_bytes())))


def test_hexdump_lines() -> None:
    """Offset, hex bytes and ASCII columns; a short last line keeps the columns aligned."""
    text = hexdump(b"GET / HTTP/1.1\r\nHost: x\r\n", width=16)
    assert text.splitlines() == [
        "0000  47 45 54 20 2f 20 48 54 54 50 2f 31 2e 31 0d 0a  |GET / HTTP/1.1..|",
        "0010  48 6f 73 74 3a 20 78 0d 0a                       |Host: x..|",
    ]


def test_hexdump_marks_point_at_their_byte() -> None:
    """A marker line puts ^ under the marked byte, after the line that holds it."""
    packet = tcp_segment(*V4, 49152, 80, TcpFlags.SYN, payload=b"data")
    lines = hexdump(packet.to_bytes(), marks=packet.sections()).splitlines()
    assert lines[1] == "      ^ IPv4 header (offset 0)"
    assert lines[2].startswith("0010  ")
    assert lines[3] == " " * 18 + "^ TCP header (offset 20)"
    assert lines[5] == " " * 30 + "^ payload (offset 40)"
    assert lines[4][30:32] == f"{packet.to_bytes()[40]:02x}"


def test_hexdump_mark_at_the_end() -> None:
    """A mark just past the last byte (an empty part) gets a line of its own."""
    lines = hexdump(bytes(16), marks={16: "payload"}).splitlines()
    assert lines[-1] == "0010  ^ payload (offset 16, no bytes)"


def test_hexdump_rejects_marks_outside_the_data() -> None:
    """A mark beyond the data names the valid range."""
    with pytest.raises(InvalidParameterError, match=r"valid: 0\.\.4"):
        hexdump(b"abcd", marks={9: "x"})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "an IP header needs 1 bytes, only 0"),
        (b"\x45\x00\x00\x14", "an IPv4 header needs 20 bytes, only 4"),
        (bytes.fromhex("5500") + bytes(18), "IP version 5 .*valid: 4 or 6"),
        (bytes.fromhex("46") + bytes(19), "ihl is 6.*valid: 5"),
    ],
    ids=["empty", "short-ipv4", "version", "options"],
)
def test_garbled_headers_are_refused(data: bytes, message: str) -> None:
    """Truncated or garbled IP headers raise InvalidParameterError saying what is wrong."""
    with pytest.raises(InvalidParameterError, match=message) as caught:
        Packet.from_bytes(data)
    assert caught.value.code == "FWP_E_INVALID_PARAMETER"


def test_length_disagreeing_with_the_data_is_refused() -> None:
    """A packet cut short (total length says more) is refused with both numbers."""
    data = udp_datagram(*V4, 1, 2, b"payload").to_bytes()
    with pytest.raises(InvalidParameterError, match="says 35 bytes but 30 were given"):
        Packet.from_bytes(data[:30])


def test_truncated_transport_header_is_refused() -> None:
    """An IPv6 packet whose TCP header is cut is refused."""
    data = bytearray(tcp_segment(*V6, 1, 2, TcpFlags.SYN).to_bytes()[:50])
    data[4:6] = (10).to_bytes(2, "big")
    with pytest.raises(InvalidParameterError, match="a TCP header needs 20 bytes, only 10"):
        Packet.from_bytes(bytes(data))


def test_unmodelled_protocol_is_refused() -> None:
    """IPv4 protocol 47 (GRE) is not modelled; the message lists what is."""
    data = bytearray(udp_datagram(*V4, 1, 2).to_bytes())
    data[9] = 47
    with pytest.raises(
        InvalidParameterError, match=r"protocol 47; valid: 1 \(ICMP\), 6 \(TCP\), 17 \(UDP\)"
    ):
        Packet.from_bytes(bytes(data))


def test_mixed_address_families_are_refused() -> None:
    """An IPv4 source with an IPv6 destination is an error."""
    with pytest.raises(
        InvalidParameterError, match=re.escape("10.0.0.1 is IPv4 but dst 2001:db8::2 is IPv6")
    ):
        udp_datagram("10.0.0.1", "2001:db8::2", 1, 2)


def test_bad_addresses_and_ranges_are_refused() -> None:
    """A non-address, a port over 65535 or a v6 address in an IPv4 header name the bad value."""
    with pytest.raises(InvalidParameterError, match=re.escape("'10.0.0.300'")):
        udp_datagram("10.0.0.300", "10.0.0.1", 1, 2)
    with pytest.raises(InvalidParameterError, match=r"sport=70000 .*valid: 0\.\.65535"):
        tcp_segment(*V4, 70000, 80, TcpFlags.SYN)
    with pytest.raises(InvalidParameterError, match="src='::1' is not an IPv4 address"):
        IPv4Header(src="::1", dst="10.0.0.1")
    with pytest.raises(InvalidParameterError, match="sequence=65536"):
        icmp_echo(*V4, identifier=1, sequence=65536)


def test_headers_are_frozen_values() -> None:
    """Headers compare by value, normalise addresses and cannot be changed."""
    assert IPv6Header(src="2001:DB8:0::1", dst="::1").src == "2001:db8::1"
    header = UDPHeader(sport=1, dport=2)
    with pytest.raises(AttributeError):
        header.sport = 3  # type: ignore[misc]


@given(
    v6=st.booleans(),
    sport=st.integers(0, 0xFFFF),
    dport=st.integers(0, 0xFFFF),
    seq=st.integers(0, 2**32 - 1),
    ack=st.integers(0, 2**32 - 1),
    flags=st.integers(0, 0xFF),
    payload=st.binary(max_size=300),
)
def test_tcp_round_trip_property(
    v6: bool, sport: int, dport: int, seq: int, ack: int, flags: int, payload: bytes
) -> None:
    """Any ports, sequence numbers, flags and payload survive to_bytes/from_bytes with valid checksums."""
    src, dst = V6 if v6 else V4
    packet = tcp_segment(src, dst, sport, dport, TcpFlags(flags), seq=seq, ack=ack, payload=payload)
    data = packet.to_bytes()
    assert Packet.from_bytes(data) == packet
    assert verify_checksums(data)
    assert len(data) == packet.payload_offset + len(payload)
