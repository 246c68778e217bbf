"""Issue 17 items 3, 4 and 8 on the stack side: one enum per concept, strings at the edge, and
packets that survive a build/parse round trip."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wfpsim import Engine, Filter
from wfpsim.catalog import Direction
from wfpsim.stack import Stack, Verdict
from wfpsim.stack.conversation import Conversation
from wfpsim.stack.packets import (
    Packet,
    Protocol,
    TcpFlags,
    icmp_echo,
    tcp_segment,
    udp_datagram,
    verify_checksums,
)

V4 = st.ip_addresses(v=4).map(str)
V6 = st.ip_addresses(v=6).map(str)
PORT = st.integers(0, 0xFFFF)
PAYLOAD = st.binary(max_size=64)


def test_strings_and_enums_give_the_same_journey() -> None:
    """Stack.run("tcp", "outbound", ...) keeps working; Direction members are accepted too."""
    by_text = Stack(Engine()).run("tcp", "outbound", "10.0.0.5:0", "93.184.216.34:80")
    by_enum = Stack(Engine()).run("tcp", Direction.OUTBOUND, "10.0.0.5:0", "93.184.216.34:80")
    assert by_text.layers == by_enum.layers
    assert by_text.direction is Direction.OUTBOUND and by_text.verdict is Verdict.PERMIT
    assert by_text.verdict == "PERMIT" and repr(by_text.verdict) == "'PERMIT'"
    assert json.loads(json.dumps(by_text.to_json(0)))["direction"] == "outbound"


def test_verdicts_are_one_enum() -> None:
    """BLOCK and DROP are Verdict members that still compare equal to their names."""
    engine = Engine()
    engine.add_filter(Filter("no", "ALE_AUTH_CONNECT_V4", "BLOCK"))
    blocked = Stack(engine).run("udp", "outbound", "10.0.0.5:0", "8.8.8.8:53")
    refused = Stack(Engine()).run("tcp", "outbound", "10.0.0.5:0", "1.1.1.1:80", listening=False)
    assert blocked.verdict is Verdict.BLOCK and refused.verdict is Verdict.DROP
    assert [str(v) for v in Verdict] == ["PERMIT", "BLOCK", "DROP"]


def test_conversation_protocol_is_the_protocol_enum() -> None:
    """The conversation's protocol is wfpsim.stack.packets.Protocol; ICMP over IPv6 is ICMPv6."""
    ping6 = Stack(Engine()).open("icmp", "outbound", "2001:db8::5", "2001:db8::9")
    tcp = Stack(Engine()).open("tcp", "outbound", "10.0.0.5:0", "1.1.1.1:80")
    assert ping6.protocol is Protocol.ICMPV6 and tcp.protocol is Protocol.TCP


@pytest.mark.parametrize("bad", ["sideways", "OUT", "both", ""])
def test_bad_direction_names_the_valid_ones(bad: str) -> None:
    """A direction that is not outbound/inbound is a clear error."""
    from wfpsim.errors import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="valid: outbound, inbound"):
        Stack(Engine()).run("tcp", bad, "10.0.0.5:0", "1.1.1.1:80")


def test_crossing_helpers_have_names_that_explain_themselves() -> None:
    """No x(), into() or out(): the crossings are named for what they do."""
    names = set(dir(Conversation))
    assert {"crossing", "packet_crossing", "let_through"} <= names
    assert not {"x", "packet_x", "into", "out", "verdict"} & names


@given(
    st.one_of(st.tuples(V4, V4), st.tuples(V6, V6)),
    PORT,
    PORT,
    st.integers(0, 0xFF).map(TcpFlags),
    st.integers(0, 2**32 - 1),
    st.integers(0, 2**32 - 1),
    PAYLOAD,
)
def test_tcp_segments_round_trip(
    ends: tuple[str, str], sport: int, dport: int, flags: TcpFlags, seq: int, ack: int, data: bytes
) -> None:
    """Build, serialise, parse: the same packet, with valid checksums."""
    p = tcp_segment(ends[0], ends[1], sport, dport, flags, seq=seq, ack=ack, payload=data)
    raw = p.to_bytes()
    assert Packet.from_bytes(raw) == p and verify_checksums(raw)
    assert Packet.from_bytes(raw).to_bytes() == raw


@given(st.one_of(st.tuples(V4, V4), st.tuples(V6, V6)), PORT, PORT, PAYLOAD)
def test_udp_datagrams_round_trip(
    ends: tuple[str, str], sport: int, dport: int, data: bytes
) -> None:
    """UDP over IPv4 and IPv6 survives to_bytes/from_bytes."""
    p = udp_datagram(ends[0], ends[1], sport, dport, data)
    raw = p.to_bytes()
    assert Packet.from_bytes(raw) == p and verify_checksums(raw)


@given(
    st.one_of(st.tuples(V4, V4), st.tuples(V6, V6)),
    st.integers(0, 0xFFFF),
    st.integers(0, 0xFFFF),
    PAYLOAD,
    st.booleans(),
)
def test_icmp_echoes_round_trip(
    ends: tuple[str, str], ident: int, seq: int, data: bytes, reply: bool
) -> None:
    """ICMP and ICMPv6 echo requests and replies survive to_bytes/from_bytes."""
    p = icmp_echo(ends[0], ends[1], ident, seq, data, reply=reply)
    raw = p.to_bytes()
    assert Packet.from_bytes(raw) == p and verify_checksums(raw)
