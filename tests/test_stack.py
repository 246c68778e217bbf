"""The simulated stack: whole layer sequences, as Microsoft documents them (issue 'Done when')."""

from typing import Any

import pytest

from wfpsim import Callout, Condition, Engine, Filter
from wfpsim.callouts import BuiltinCallout
from wfpsim.catalog import Direction
from wfpsim.kernel import FwpsFlowAssociateContext0
from wfpsim.stack import Stack, to_netsh_xml
from wfpsim.stack.layerdata import NetBufferList, StreamCalloutIoPacket

OUT_PKT = ["OUTBOUND_TRANSPORT_V4", "OUTBOUND_IPPACKET_V4"]
IN_PKT = ["INBOUND_IPPACKET_V4", "INBOUND_TRANSPORT_V4"]
BIND = ["ALE_BIND_REDIRECT_V4", "ALE_RESOURCE_ASSIGNMENT_V4"]
CLOSE = ["ALE_ENDPOINT_CLOSURE_V4", "ALE_RESOURCE_RELEASE_V4"]


def test_outbound_tcp_connect_data_close() -> None:
    """bind → connect (AUTH_CONNECT before any SYN) → handshake → data → FIN → closure."""
    j = Stack(Engine()).run("tcp", "outbound", "10.0.0.5:0", "93.184.216.34:80", payload=["GET /"])
    assert j.layers == [
        *BIND, "ALE_CONNECT_REDIRECT_V4", "ALE_AUTH_CONNECT_V4",
        *OUT_PKT,                                   # SYN
        *IN_PKT, "ALE_FLOW_ESTABLISHED_V4",         # SYN-ACK, then the flow is established
        *OUT_PKT,                                   # ACK
        "STREAM_V4", *OUT_PKT,                      # data
        *IN_PKT,                                    # the peer's ACK
        "STREAM_V4", *OUT_PKT,                      # our FIN: a SEND_DISCONNECT indication
        *IN_PKT, "STREAM_V4",                       # the peer's FIN: RECEIVE_DISCONNECT
        *OUT_PKT,                                   # the last ACK
        *CLOSE,
    ]  # fmt: skip
    assert j.verdict == "PERMIT" and j.decided_at is None
    connect = j.steps[3]
    assert connect.packet is None and connect.layer_data is None  # no SYN exists yet


def test_inbound_tcp_accept() -> None:
    """The SYN reaches ALE_AUTH_RECV_ACCEPT; FLOW_ESTABLISHED follows the final ACK."""
    j = Stack(Engine()).run("tcp", "inbound", "10.0.0.5:80", "203.0.113.9:51000", payload=["hi"])
    assert [s.layer for s in j.setup] == [*BIND, "ALE_AUTH_LISTEN_V4"]
    assert j.layers == [
        *IN_PKT, "ALE_AUTH_RECV_ACCEPT_V4",         # SYN
        *OUT_PKT,                                   # SYN-ACK
        *IN_PKT, "ALE_FLOW_ESTABLISHED_V4",         # ACK
        *IN_PKT, "STREAM_V4", *OUT_PKT,             # data in, our ACK
        *IN_PKT, "STREAM_V4",                       # the peer's FIN
        "STREAM_V4", *OUT_PKT,                      # our FIN
        *IN_PKT,                                    # the last ACK
        "ALE_ENDPOINT_CLOSURE_V4",
    ]  # fmt: skip
    syn_at_ale = j.steps[2]
    assert isinstance(syn_at_ale.layer_data, NetBufferList)
    assert syn_at_ale.data_offset == 40  # payload: after the 20-byte IP and TCP headers


def test_syn_to_closed_port_never_reaches_ale() -> None:
    """No listener: INBOUND_TRANSPORT_V4_DISCARD (transport module, endpoint not found), RST."""
    j = Stack(Engine()).run("tcp", "inbound", "10.0.0.5:81", "203.0.113.9:51000", listening=False)
    assert j.layers == ["INBOUND_IPPACKET_V4", "INBOUND_TRANSPORT_V4_DISCARD", *OUT_PKT]
    assert not any(layer.startswith("ALE_") for layer in j.layers)
    discard = j.steps[1].in_meta_values
    assert (discard.discard_module, discard.discard_reason) == (1, 4)
    assert discard.has("DISCARD_REASON")
    assert (j.verdict, j.decided_at) == ("DROP", "INBOUND_TRANSPORT_V4_DISCARD")


def test_stealth_filter_at_the_discard_layer_suppresses_the_rst() -> None:
    """Blocking the SYN at the transport discard layer: no RST goes out."""
    engine = Engine()
    engine.add_filter(Filter("stealth", "INBOUND_TRANSPORT_V4_DISCARD", "BLOCK"))
    j = Stack(engine).run("tcp", "inbound", "10.0.0.5:81", "203.0.113.9:51000", listening=False)
    assert j.layers == ["INBOUND_IPPACKET_V4", "INBOUND_TRANSPORT_V4_DISCARD"]


def test_udp_first_datagram_authorized_once() -> None:
    """ALE is asked for the first datagram to a peer; later ones cross only the packet layers."""
    j = Stack(Engine()).run("udp", "outbound", "10.0.0.5:0", "8.8.8.8:53", payload=["q1", "q2"])
    assert j.layers == [
        *BIND, "ALE_CONNECT_REDIRECT_V4", "ALE_AUTH_CONNECT_V4", "ALE_FLOW_ESTABLISHED_V4",
        "DATAGRAM_DATA_V4", *OUT_PKT,
        "DATAGRAM_DATA_V4", *OUT_PKT,
        *CLOSE,
    ]  # fmt: skip
    first = j.steps[3]
    assert first.packet is not None and first.data_offset == 20  # transport header


def test_inbound_udp_first_vs_later() -> None:
    """Inbound: the first datagram goes to AUTH_RECV_ACCEPT, the second does not."""
    engine = Engine()
    stack = Stack(engine)
    conv = stack.open("udp", "inbound", "10.0.0.5:5353", "192.168.1.9:5353")
    conv.send(b"one")
    conv.send(b"two")
    layers = conv.journey.layers
    assert layers.count("ALE_AUTH_RECV_ACCEPT_V4") == 1
    assert layers == [
        *IN_PKT, "ALE_AUTH_RECV_ACCEPT_V4", "ALE_FLOW_ESTABLISHED_V4", "DATAGRAM_DATA_V4",
        *IN_PKT, "DATAGRAM_DATA_V4",
    ]  # fmt: skip


def test_udp_to_closed_port() -> None:
    """No listener: IP-packet discard (network module, port unreachable), ICMP error goes out."""
    j = Stack(Engine()).run("udp", "inbound", "10.0.0.5:9", "192.168.1.9:5353", listening=False)
    assert j.layers == [
        "INBOUND_IPPACKET_V4", "INBOUND_IPPACKET_V4_DISCARD",
        "OUTBOUND_ICMP_ERROR_V4", *OUT_PKT,
    ]  # fmt: skip
    meta = j.steps[1].in_meta_values
    assert (meta.discard_module, meta.discard_reason) == (0, 4)
    icmp = j.steps[2]
    assert (
        icmp.in_fixed_values["ICMP_TYPE"].uint16 == 3
        and icmp.in_fixed_values["ICMP_CODE"].uint16 == 3
    )


def test_blocked_udp_datagram_loses_only_that_one() -> None:
    """A blocked datagram is lost; the next send goes on."""
    engine = Engine()
    engine.add_callout(Callout("drop first", "DATAGRAM_DATA_V4"))
    seen: list[int] = []

    def drop_first(
        fixed: Any, meta: Any, data: Any, ctx: Any, flt: Any, flow: int, out: Any
    ) -> None:
        seen.append(1)
        out.action_type = 0x1001 if len(seen) == 1 else 0x1002

    engine.register_callout("drop first", drop_first)
    engine.add_filter(Filter("f", "DATAGRAM_DATA_V4", "CALLOUT_TERMINATING", callout="drop first"))
    j = Stack(engine).run("udp", "outbound", "10.0.0.5:0", "8.8.8.8:53", payload=["a", "b"])
    assert j.verdict == "BLOCK" and j.decided_at == "DATAGRAM_DATA_V4"
    assert j.layers.count("OUTBOUND_IPPACKET_V4") == 1  # the second datagram went out
    assert "DATAGRAM_DATA_V4_DISCARD" in j.layers


def test_icmp_echo_is_authorized_at_ale_connect() -> None:
    """The first echo request goes through AUTH_CONNECT; its type sits in the local-port slot."""
    j = Stack(Engine()).run("icmp", "outbound", "10.0.0.5", "8.8.8.8", payload=["a", "b"])
    echo = ["DATAGRAM_DATA_V4", *OUT_PKT, *IN_PKT, "DATAGRAM_DATA_V4"]  # request out, reply in
    assert j.layers == [
        "ALE_CONNECT_REDIRECT_V4", "ALE_AUTH_CONNECT_V4", "ALE_FLOW_ESTABLISHED_V4",
        *echo, *echo,                              # ALE once; the second echo is packets only
    ]  # fmt: skip
    connect = next(s for s in j.steps if s.layer == "ALE_AUTH_CONNECT_V4")
    assert connect.in_fixed_values["IP_PROTOCOL"].uint8 == 1
    assert connect.in_fixed_values["ICMP_TYPE"].uint16 == 8  # echo request
    replies = [s for s in j.steps if s.event == "echo reply" and s.layer == "INBOUND_TRANSPORT_V4"]
    assert len(replies) == 2


def test_icmp_block_at_ale_connect() -> None:
    """A filter on ICMP at ALE_AUTH_CONNECT blocks the ping (the misconception says it can't)."""
    engine = Engine()
    engine.add_filter(
        Filter("no ping", "ALE_AUTH_CONNECT_V4", "BLOCK", [Condition("IP_PROTOCOL", "EQUAL", 1)])
    )
    j = Stack(engine).run("icmp", "outbound", "10.0.0.5", "8.8.8.8")
    assert (j.verdict, j.decided_at, j.decided_by) == ("BLOCK", "ALE_AUTH_CONNECT_V4", "no ping")
    assert "ALE_AUTH_CONNECT_V4_DISCARD" in j.layers


def test_loopback_runs_both_ends_with_is_loopback() -> None:
    """Loopback: client and server sequences on one host, IS_LOOPBACK at the packet layers."""
    j = Stack(Engine()).run("tcp", "outbound", "127.0.0.1:0", "127.0.0.1:8080")
    hop = [*OUT_PKT, *IN_PKT]  # one packet: out of one end, into the other
    assert j.layers == [
        *BIND, "ALE_CONNECT_REDIRECT_V4", "ALE_AUTH_CONNECT_V4",
        *hop, "ALE_AUTH_RECV_ACCEPT_V4",           # SYN, authorized by the server side
        *hop, "ALE_FLOW_ESTABLISHED_V4",           # SYN-ACK: the client's flow
        *hop, "ALE_FLOW_ESTABLISHED_V4",           # ACK: the server's flow
        "STREAM_V4", *hop, "STREAM_V4",            # client FIN: send, then receive disconnect
        "STREAM_V4", *hop, "STREAM_V4",            # server FIN
        *hop,                                      # last ACK
        *CLOSE, "ALE_ENDPOINT_CLOSURE_V4",         # client socket; the accepted socket
    ]  # fmt: skip
    assert [s.side for s in j.steps if s.layer.startswith("ALE_FLOW")] == ["client", "server"]
    for step in j.steps:
        if step.layer in ("OUTBOUND_TRANSPORT_V4", "INBOUND_IPPACKET_V4"):
            assert step.in_fixed_values["FLAGS"].uint32 & 0x1
    assert {s.side for s in j.steps} == {"client", "server"}


def test_reauthorization_after_a_block_filter_is_added() -> None:
    """A new filter at AUTH_CONNECT re-classifies the next packet with IS_REAUTHORIZE."""
    engine = Engine()
    conv = Stack(engine).open("tcp", "outbound", "10.0.0.5:0", "93.184.216.34:80")
    assert conv.send(b"before")
    engine.add_filter(
        Filter(
            "too late", "ALE_AUTH_CONNECT_V4", "BLOCK", [Condition("IP_REMOTE_PORT", "EQUAL", 80)]
        )
    )
    assert not conv.send(b"after")
    conv.close()
    assert conv.journey.layers == [
        *BIND, "ALE_CONNECT_REDIRECT_V4", "ALE_AUTH_CONNECT_V4",
        *OUT_PKT, *IN_PKT, "ALE_FLOW_ESTABLISHED_V4", *OUT_PKT,   # handshake
        "STREAM_V4", *OUT_PKT, *IN_PKT,                           # "before" and its ACK
        "ALE_AUTH_CONNECT_V4", "ALE_AUTH_CONNECT_V4_DISCARD",     # "after": reauthorized, blocked
        *CLOSE,
    ]  # fmt: skip
    reauth = next(s for s in conv.journey.steps if s.event.startswith("reauthorize"))
    assert reauth.layer == "ALE_AUTH_CONNECT_V4"
    assert reauth.in_fixed_values["FLAGS"].uint32 & 0x4  # FWP_CONDITION_FLAG_IS_REAUTHORIZE
    assert reauth.in_fixed_values["REAUTHORIZE_REASON"].uint32 == 0x1  # POLICY_CHANGE
    assert reauth.packet is not None  # a packet is reauthorized, unlike the first connect
    assert reauth.in_meta_values.has("PACKET_DIRECTION")
    assert reauth.in_meta_values.has("TRANSPORT_HEADER_SIZE")
    first = conv.journey.at("ALE_AUTH_CONNECT_V4")  # connect(): no packet, no reauthorization
    assert not first.in_meta_values.has("PACKET_DIRECTION")
    assert not first.in_meta_values.has("TRANSPORT_HEADER_SIZE")
    assert (
        conv.journey.layers[conv.journey.layers.index("ALE_AUTH_CONNECT_V4", 4) + 1]
        == "ALE_AUTH_CONNECT_V4_DISCARD"
    )
    assert (conv.journey.verdict, conv.journey.decided_by) == ("BLOCK", "too late")


def test_byte_order_host_integer_and_network_bytes() -> None:
    """The same address: a host-order integer in in_fixed_values, network-order bytes in layer_data."""
    j = Stack(Engine()).run("tcp", "outbound", "10.0.0.5:0", "192.168.1.5:443")
    ip_out = next(s for s in j.steps if s.layer == "OUTBOUND_IPPACKET_V4")
    assert ip_out.in_fixed_values["IP_REMOTE_ADDRESS"].uint32 == 0xC0A80105
    assert isinstance(ip_out.layer_data, NetBufferList) and ip_out.data_offset == 0
    assert ip_out.layer_data.data[16:20] == bytes([0xC0, 0xA8, 0x01, 0x05])
    transport = next(s for s in j.steps if s.layer == "OUTBOUND_TRANSPORT_V4")
    assert transport.in_fixed_values["IP_REMOTE_PORT"].uint16 == 443
    assert transport.layer_data.current[2:4] == (443).to_bytes(2, "big")


def test_stream_layer_sees_data_only() -> None:
    """STREAM_V4 hands the data, no headers, with the direction flags."""
    j = Stack(Engine()).run("tcp", "outbound", "10.0.0.5:0", "93.184.216.34:80", payload=["hello"])
    stream = next(s for s in j.steps if s.layer == "STREAM_V4")
    assert isinstance(stream.layer_data, StreamCalloutIoPacket)
    assert stream.layer_data.data == b"hello" and stream.layer_data.outbound


def test_metadata_per_layer() -> None:
    """Header sizes, flow handle and process id where Windows documents them."""
    j = Stack(Engine()).run("tcp", "inbound", "10.0.0.5:80", "203.0.113.9:51000")
    ip_in = j.steps[0].in_meta_values
    assert ip_in.ip_header_size == 20 and ip_in.flow_handle is None
    accept = j.at("ALE_AUTH_RECV_ACCEPT_V4").in_meta_values
    assert accept.flow_handle is None and not accept.has("FLOW_HANDLE")  # no flow before ALE
    assert accept.has("PROCESS_ID") and accept.has("TRANSPORT_ENDPOINT_HANDLE")
    transport = j.steps[1].in_meta_values
    assert transport.has("ALE_CLASSIFY_REQUIRED") and transport.transport_header_size == 20
    established = next(s for s in j.steps if s.layer == "ALE_FLOW_ESTABLISHED_V4").in_meta_values
    assert established.flow_handle is not None and established.process_id is not None


def test_ale_block_fails_operation_and_shows_at_discard_twin() -> None:
    """A block at AUTH_RECV_ACCEPT: the SYN goes to the discard twin and nothing answers."""
    engine = Engine()
    engine.add_filter(Filter("no inbound", "ALE_AUTH_RECV_ACCEPT_V4", "BLOCK"))
    j = Stack(engine).run("tcp", "inbound", "10.0.0.5:80", "203.0.113.9:51000")
    assert j.layers == [
        *IN_PKT, "ALE_AUTH_RECV_ACCEPT_V4", "ALE_AUTH_RECV_ACCEPT_V4_DISCARD",
        "ALE_ENDPOINT_CLOSURE_V4",  # closure for every AUTH_RECV_ACCEPT indication, blocked too
    ]  # fmt: skip
    assert (j.verdict, j.decided_by) == ("BLOCK", "no inbound")
    accept, closure = j.at("ALE_AUTH_RECV_ACCEPT_V4"), j.at("ALE_ENDPOINT_CLOSURE_V4")
    handle = accept.in_meta_values.transport_endpoint_handle
    assert handle is not None and closure.in_meta_values.transport_endpoint_handle == handle


def test_absorbed_block_skips_discard_and_events() -> None:
    """BLOCK + ABSORB at a packet layer: no discard indication, no net event, no audit."""
    engine = Engine()
    engine.add_callout(Callout("absorb", "OUTBOUND_TRANSPORT_V4"))
    engine.register_callout("absorb", BuiltinCallout("BLOCK", clear_write_right=True, absorb=True))
    engine.add_filter(
        Filter("take over", "OUTBOUND_TRANSPORT_V4", "CALLOUT_TERMINATING", callout="absorb")
    )
    stack = Stack(engine, auditing=True)
    j = stack.run("tcp", "outbound", "10.0.0.5:0", "93.184.216.34:80")
    assert "OUTBOUND_TRANSPORT_V4_DISCARD" not in j.layers and j.verdict == "BLOCK"
    assert [e.event_id for e in stack.events.audit_events] == [5158, 5156]
    assert stack.events.net_events == []


def test_net_events_and_audit() -> None:
    """A drop is a CLASSIFY_DROP net event; with auditing on, 5157 (and 5152 at packet layers)."""
    engine = Engine()
    engine.add_filter(
        Filter(
            "no telnet", "ALE_AUTH_CONNECT_V4", "BLOCK", [Condition("IP_REMOTE_PORT", "EQUAL", 23)]
        )
    )
    quiet = Stack(engine)
    quiet.run("tcp", "outbound", "10.0.0.5:0", "198.51.100.7:23", app=r"C:\Tools\telnet.exe")
    (event,) = quiet.events.net_events
    assert (event.type, event.filter_id, event.layer_id) == ("CLASSIFY_DROP", 1, 48)
    assert (event.remote_address, event.remote_port, event.app_id) == (
        "198.51.100.7",
        23,
        r"C:\Tools\telnet.exe",
    )
    assert quiet.events.audit_events == []  # auditing is off by default
    xml = to_netsh_xml(quiet.events.net_events)
    assert (
        "<type>FWPM_NET_EVENT_TYPE_CLASSIFY_DROP</type>" in xml
        and "<remotePort>23</remotePort>" in xml
    )
    loud = Stack(engine, auditing=True)
    loud.run("tcp", "outbound", "10.0.0.5:0", "198.51.100.7:23")
    assert [e.event_id for e in loud.events.audit_events] == [5158, 5157]
    engine.add_filter(Filter("no SYN", "OUTBOUND_TRANSPORT_V4", "BLOCK"))
    loud.run("tcp", "outbound", "10.0.0.5:0", "198.51.100.7:80")
    assert loud.events.audit_events[-1].event_id == 5152


def test_flow_context_and_flow_delete() -> None:
    """A callout associates a context at FLOW_ESTABLISHED, a stream callout gets it back, and
    flowDeleteFn runs when the connection closes."""
    engine = Engine()
    engine.add_callout(Callout("tracker", "ALE_FLOW_ESTABLISHED_V4"))
    engine.add_callout(Callout("inspector", "STREAM_V4"))
    seen: list[int] = []
    deleted: list[tuple[int, int, int]] = []

    def track(fixed: Any, meta: Any, data: Any, ctx: Any, flt: Any, flow: int, out: Any) -> None:
        inspector = engine.callout("inspector").callout_id
        status = FwpsFlowAssociateContext0(meta.flow_handle, 20, inspector, 0xC0FFEE)
        assert status == 0

    def inspect(fixed: Any, meta: Any, data: Any, ctx: Any, flt: Any, flow: int, out: Any) -> None:
        seen.append(flow)

    engine.register_callout("tracker", track, flow_delete=lambda *a: None)
    engine.register_callout("inspector", inspect, flow_delete=lambda *a: deleted.append(a))
    engine.add_filter(
        Filter("track", "ALE_FLOW_ESTABLISHED_V4", "CALLOUT_INSPECTION", callout="tracker")
    )
    engine.add_filter(Filter("inspect", "STREAM_V4", "CALLOUT_INSPECTION", callout="inspector"))
    Stack(engine).run("tcp", "outbound", "10.0.0.5:0", "93.184.216.34:80", payload=["a", "b"])
    assert seen == [0xC0FFEE] * 4  # two sends, our FIN, the peer's FIN
    assert deleted == [(20, engine.callout("inspector").callout_id, 0xC0FFEE)]


def test_bad_endpoints_are_clear_errors() -> None:
    """Bad kinds, directions and endpoints name the value and what is valid."""
    from wfpsim.errors import InvalidParameterError

    stack = Stack(Engine())
    with pytest.raises(InvalidParameterError, match="sctp"):
        stack.run("sctp", "outbound", "10.0.0.5:0", "8.8.8.8:53")
    with pytest.raises(InvalidParameterError, match="sideways"):
        stack.run("tcp", "sideways", "10.0.0.5:0", "8.8.8.8:53")
    with pytest.raises(InvalidParameterError, match="70000"):
        stack.run("tcp", "outbound", "10.0.0.5:0", "8.8.8.8:70000")
    with pytest.raises(InvalidParameterError, match="different IP versions"):
        stack.run("tcp", "outbound", "10.0.0.5:0", "[2001:db8::1]:80")


def test_ipv6_connection_uses_v6_layers() -> None:
    """An IPv6 connection crosses the _V6 layers with 16-byte addresses."""
    j = Stack(Engine()).run("tcp", "outbound", "[2001:db8::5]:0", "[2001:db8::80]:443")
    assert "ALE_AUTH_CONNECT_V6" in j.layers and all(not layer.endswith("V4") for layer in j.layers)
    connect = next(s for s in j.steps if s.layer == "ALE_AUTH_CONNECT_V6")
    assert connect.in_fixed_values["IP_REMOTE_ADDRESS"].byte_array16[:2] == b"\x20\x01"


def test_connect_redirect_to_a_local_proxy() -> None:
    """A connect-redirect callout rewrites the remote end; AUTH_CONNECT sees the new one,
    flagged IS_CONNECTION_REDIRECTED, and the proxy on this host accepts it."""
    from wfpsim.ids import FWP_ACTION_PERMIT

    engine = Engine()

    def redirect(
        fixed: Any, meta: Any, request: Any, ctx: Any, flt: Any, flow: int, out: Any
    ) -> None:
        if request.remote_port == 80:
            request.remote_address, request.remote_port = "127.0.0.1", 8080
            request.modifier_filter_id = flt.filter_id
        out.action_type = FWP_ACTION_PERMIT

    engine.add_callout(Callout("proxy", "ALE_CONNECT_REDIRECT_V4"))
    engine.register_callout("proxy", redirect)
    engine.add_filter(
        Filter("to proxy", "ALE_CONNECT_REDIRECT_V4", "CALLOUT_TERMINATING", callout="proxy")
    )
    j = Stack(engine).run("tcp", "outbound", "10.0.0.5:0", "93.184.216.34:80")
    connect = j.steps[3]
    assert connect.layer == "ALE_AUTH_CONNECT_V4"
    assert connect.in_fixed_values["IP_REMOTE_ADDRESS"].uint32 == 0x7F000001
    assert connect.in_fixed_values["IP_REMOTE_PORT"].uint16 == 8080
    assert connect.in_fixed_values["FLAGS"].uint32 & 0x00100000
    assert "ALE_AUTH_RECV_ACCEPT_V4" in j.layers  # the local proxy's side
    assert j.notes == ["connect redirected from 93.184.216.34:80 to 127.0.0.1:8080"]


def test_icmpv6_echo_is_protocol_58() -> None:
    """A ping over IPv6 is ICMPv6: IP protocol 58 at ALE_AUTH_CONNECT_V6."""
    j = Stack(Engine()).run("icmp", "outbound", "2001:db8::5", "2001:db8::1")
    connect = next(s for s in j.steps if s.layer == "ALE_AUTH_CONNECT_V6")
    assert connect.in_fixed_values["IP_PROTOCOL"].uint8 == 58
    assert connect.in_fixed_values["ICMP_TYPE"].uint16 == 128  # ICMPv6 echo request


def test_block_at_connect_redirect_fails_the_connect() -> None:
    """A BLOCK at ALE_CONNECT_REDIRECT stops the connection before ALE_AUTH_CONNECT."""
    engine = Engine()
    engine.add_callout(Callout("veto", "ALE_CONNECT_REDIRECT_V4"))
    engine.register_callout("veto", BuiltinCallout("BLOCK", clear_write_right=True))
    engine.add_filter(
        Filter("no", "ALE_CONNECT_REDIRECT_V4", "CALLOUT_TERMINATING", callout="veto")
    )
    j = Stack(engine).run("tcp", "outbound", "10.0.0.5:0", "93.184.216.34:80")
    assert (j.verdict, j.decided_at) == ("BLOCK", "ALE_CONNECT_REDIRECT_V4")
    assert "ALE_AUTH_CONNECT_V4" not in j.layers


def test_static_block_at_a_redirect_layer_does_not_fail_the_connect() -> None:
    """Our choice: redirect layers act on callouts; a static BLOCK there is only recorded."""
    engine = Engine()
    engine.add_filter(Filter("static at redirect", "ALE_CONNECT_REDIRECT_V4", "BLOCK"))
    j = Stack(engine).run("tcp", "outbound", "10.0.0.5:0", "93.184.216.34:80")
    assert j.verdict == "PERMIT" and j.steps[2].action.name == "BLOCK"


def test_wildcard_bind_sets_the_flag_and_packets_use_the_host_address() -> None:
    """bind(0.0.0.0) or port 0: IS_WILDCARD_BIND; no address given: IP_LOCAL_ADDRESS is
    FWP_EMPTY at RESOURCE_ASSIGNMENT (*ALE Layers*); packets then use the host's address."""
    engine = Engine()
    engine.add_filter(
        Filter(
            "no wildcard binds",
            "ALE_RESOURCE_ASSIGNMENT_V4",
            "BLOCK",
            [Condition("FLAGS", "FLAGS_ALL_SET", 0x8)],
        )
    )
    for local in ("0.0.0.0:5000", "10.0.0.5:0", "0.0.0.0:0"):
        wild = Stack(engine).run("udp", "outbound", local, "10.0.0.9:53")
        assert wild.at("ALE_RESOURCE_ASSIGNMENT_V4").blocked, local
    explicit = Stack(engine).run("udp", "outbound", "10.0.0.5:5000", "10.0.0.9:53")
    assert not any(s.blocked for s in explicit.steps)
    open_engine = Stack(Engine()).run("tcp", "outbound", "0.0.0.0:0", "93.184.216.34:80")
    assign = open_engine.at("ALE_RESOURCE_ASSIGNMENT_V4").in_fixed_values
    assert assign["IP_LOCAL_ADDRESS"].is_empty and assign["IP_LOCAL_ADDRESS_TYPE"].is_empty
    assert assign["IP_LOCAL_PORT"].uint16 == 49152  # the port the stack picked is classified
    local = [
        s.classification.values["FWPM_CONDITION_IP_LOCAL_ADDRESS"].data
        for s in open_engine.steps[2:]
    ]
    assert set(local) == {0x0A000005}
    given = Stack(Engine()).run("tcp", "outbound", "10.0.0.5:0", "93.184.216.34:80")
    assert given.at("ALE_RESOURCE_ASSIGNMENT_V4").in_fixed_values["IP_LOCAL_ADDRESS"].uint32
    assert any("wildcard bind" in note for note in open_engine.notes)


def test_journey_at_finds_a_layer_or_names_the_layers_crossed() -> None:
    """journey.at(layer) takes short or FWPM names; a layer never crossed is a clear error."""
    j = Stack(Engine()).run("udp", "outbound", "10.0.0.5:0", "10.0.0.9:53")
    assert j.at("FWPM_LAYER_ALE_AUTH_CONNECT_V4") is j.at("ALE_AUTH_CONNECT_V4")
    with pytest.raises(Exception, match=r"never crossed 'STREAM_V4'.*ALE_AUTH_CONNECT_V4"):
        j.at("STREAM_V4")


def test_refused_outbound_connect_closes_the_socket_once() -> None:
    """SYN to a peer without a listener: its RST comes back; the socket closes once."""
    j = Stack(Engine()).run("tcp", "outbound", "10.0.0.5:0", "198.51.100.9:81", listening=False)
    assert j.layers == [
        *BIND, "ALE_CONNECT_REDIRECT_V4", "ALE_AUTH_CONNECT_V4",
        *OUT_PKT, *IN_PKT,                         # SYN out, RST in
        *CLOSE,
    ]  # fmt: skip
    assert (j.verdict, j.decided_at) == ("DROP", None)


def test_event_directions_are_one_enum_written_as_windows_does() -> None:
    """Net and audit events carry the catalog's Direction; netsh XML says MS_FWP_DIRECTION_*."""
    engine = Engine()
    engine.add_filter(Filter("no inbound 22", "ALE_AUTH_RECV_ACCEPT_V4", "BLOCK"))
    engine.add_filter(Filter("no telnet", "ALE_AUTH_CONNECT_V4", "BLOCK"))
    stack = Stack(engine, auditing=True)
    stack.run("tcp", "inbound", "10.0.0.5:22", "198.51.100.7:50000")
    stack.run("tcp", "outbound", "10.0.0.5:0", "198.51.100.7:23")
    inbound, outbound = stack.events.net_events
    assert (inbound.direction, outbound.direction) == (Direction.INBOUND, Direction.OUTBOUND)
    xml = to_netsh_xml(stack.events.net_events)
    assert "<msFwpDirection>MS_FWP_DIRECTION_IN</msFwpDirection>" in xml
    assert "<msFwpDirection>MS_FWP_DIRECTION_OUT</msFwpDirection>" in xml
    blocked = [a for a in stack.events.audit_events if a.event_id == 5157]
    assert [a.direction for a in blocked] == [Direction.INBOUND, Direction.OUTBOUND]
    assert blocked[0].source == "198.51.100.7:50000"  # inbound: the peer is the source
