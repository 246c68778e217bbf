"""Issue 10 items 1-6: loopback and AppContainer flags, ICMP errors, endpoints, bind, stream
disconnects and FwpsFlowRemoveContext0, each as Microsoft's pages describe them."""

from pathlib import Path
from typing import Any

import pytest

from wfpsim import Callout, Condition, Engine, Filter, ids
from wfpsim.errors import InvalidParameterError
from wfpsim.flows import STATUS_UNSUCCESSFUL
from wfpsim.kernel import FwpsFlowRemoveContext0
from wfpsim.stack import Stack
from wfpsim.stack.layerdata import StreamCalloutIoPacket
from wfpsim.stack.packets import Packet

PACKAGE = "S-1-15-2-2967553933-3217682302-1494388624-1520441230-1286441420-3166565081-2547287883"
LOOPBACK = ids.FWP_CONDITION_FLAG_IS_LOOPBACK
AC_LOOP = ids.FWP_CONDITION_FLAG_IS_APPCONTAINER_LOOPBACK
NON_AC_LOOP = ids.FWP_CONDITION_FLAG_IS_NON_APPCONTAINER_LOOPBACK
DUMP = Path(__file__).parent.parent / "notebooks" / "data" / "fanyi_wfpstate.xml"


def flags(step: Any) -> int:
    return int(step.in_fixed_values["FLAGS"].uint32)


def test_condition_flags_of_fwptypes_h_are_in_ids() -> None:
    """Every FWP_CONDITION_FLAG_* of the current fwptypes.h, with its value."""
    assert ids.FWP_CONDITION_FLAG_IS_APPCONTAINER_LOOPBACK == 0x00400000
    assert ids.FWP_CONDITION_FLAG_IS_NON_APPCONTAINER_LOOPBACK == 0x00800000
    assert ids.FWP_CONDITION_FLAG_IS_RESERVED == 0x01000000
    assert ids.FWP_CONDITION_FLAG_IS_HONORING_POLICY_AUTHORIZE == 0x02000000
    assert ids.FWP_CONDITION_REAUTHORIZE_REASON_POLICY_CHANGE == 0x1
    values = list(ids.CONDITION_FLAGS.values())
    assert len(values) == len(set(values)) == 23
    assert all(v & (v - 1) == 0 for v in values)  # one bit each


def test_stream_flags_are_in_ids() -> None:
    """The FWPS_STREAM_FLAG_* constants, the disconnect ones included."""
    assert ids.FWPS_STREAM_FLAG_RECEIVE == 0x1 and ids.FWPS_STREAM_FLAG_SEND == 0x10000
    assert ids.FWPS_STREAM_FLAG_RECEIVE_DISCONNECT == 0x4
    assert ids.FWPS_STREAM_FLAG_SEND_DISCONNECT == 0x80000


@pytest.mark.parametrize("package", [None, PACKAGE])
def test_loopback_flags_at_ale_and_stream_layers(package: str | None) -> None:
    """IS_LOOPBACK at AUTH_CONNECT and STREAM (Win32 page); the AppContainer bit at the ALE
    authorize layers; ALE_PACKAGE_ID is the package SID, or S-1-0-0 for a desktop app."""
    j = Stack(Engine()).run(
        "tcp", "outbound", "127.0.0.1:0", "127.0.0.1:8080", payload=["hi"], package=package
    )
    container = AC_LOOP if package else NON_AC_LOOP
    for layer in ("ALE_AUTH_CONNECT_V4", "ALE_AUTH_RECV_ACCEPT_V4"):
        got = flags(j.at(layer))
        assert got & LOOPBACK and got & container and not got & (AC_LOOP ^ NON_AC_LOOP ^ container)
        assert j.at(layer).in_fixed_values["ALE_PACKAGE_ID"].text == (package or "S-1-0-0")
    assert all(flags(s) & LOOPBACK for s in j.steps if s.layer == "STREAM_V4")
    assert not flags(j.at("ALE_FLOW_ESTABLISHED_V4")) & (AC_LOOP | NON_AC_LOOP)


def test_no_loopback_bits_off_loopback() -> None:
    """A connection to another host has neither loopback bit at AUTH_CONNECT."""
    j = Stack(Engine()).run("tcp", "outbound", "10.0.0.5:0", "93.184.216.34:80", package=PACKAGE)
    assert flags(j.at("ALE_AUTH_CONNECT_V4")) & (LOOPBACK | AC_LOOP | NON_AC_LOOP) == 0
    assert j.at("ALE_AUTH_CONNECT_V4").in_fixed_values["ALE_PACKAGE_ID"].text == PACKAGE


def sddl_matches(sddl: str, package: str | None) -> bool:
    """Does a filter ALE_USER_ID == sddl at AUTH_CONNECT match this application?"""
    engine = Engine()
    engine.add_filter(
        Filter("f", "ALE_AUTH_CONNECT_V4", "BLOCK", [Condition("ALE_USER_ID", "EQUAL", sddl)])
    )
    j = Stack(engine).run("udp", "outbound", "10.0.0.5:0", "8.8.8.8:53", package=package)
    return j.verdict == "BLOCK"


@pytest.mark.parametrize(
    ("sddl", "packaged", "desktop"),
    [
        ("O:LSD:(A;;CC;;;WD)", False, True),  # Everyone alone: not the AppContainer side
        ("O:LSD:(A;;CC;;;AC)(A;;CC;;;WD)", True, True),  # ALL APPLICATION PACKAGES
        (f"O:LSD:(A;;CC;;;{PACKAGE})(A;;CC;;;WD)", True, True),  # the package SID itself
        ("O:LSD:(A;;CC;;;S-1-15-2-1-2-3-4-5-6-7)(A;;CC;;;WD)", False, True),  # another package
        ("O:LSD:(A;;CC;;;AC)", False, False),  # no grant for the user side
        ("O:LSD:(D;;CC;;;AC)(A;;CC;;;WD)", False, True),  # a deny for AppContainers
    ],
)
def test_appcontainer_token_in_sddl_conditions(sddl: str, packaged: bool, desktop: bool) -> None:
    """The token holds the package SID and ALL APPLICATION PACKAGES (S-1-15-2-1); an
    AppContainer passes an SDDL only if both its user side and its AppContainer side are
    granted (the two access checks Windows makes for AppContainer processes)."""
    assert sddl_matches(sddl, PACKAGE) is packaged
    assert sddl_matches(sddl, None) is desktop


def test_appcontainer_token_metadata() -> None:
    """TOKEN metadata and ALE_USER_ID carry the user, the package and S-1-15-2-1."""
    j = Stack(Engine()).run("tcp", "outbound", "10.0.0.5:0", "1.1.1.1:80", package=PACKAGE)
    step = j.at("ALE_AUTH_CONNECT_V4")
    assert step.in_meta_values.token is not None
    assert step.in_meta_values.token.split(",")[1:] == [PACKAGE, "S-1-15-2-1"]
    assert step.in_fixed_values["ALE_USER_ID"].text == step.in_meta_values.token


def test_bad_package_is_a_clear_error() -> None:
    """A package that is not an AppContainer SID names the value and the valid form."""
    with pytest.raises(InvalidParameterError, match=r"S-1-5-18.*S-1-15-2-"):
        Stack(Engine()).run("tcp", "outbound", "10.0.0.5:0", "1.1.1.1:80", package="S-1-5-18")


def test_real_machine_permits_a_desktop_localhost_connection() -> None:
    """The imported built-in filters block no ordinary desktop app's localhost connection."""
    from wfpsim.netsh import load_netsh

    engine, _ = load_netsh(DUMP)
    for kind in ("tcp", "udp"):
        j = Stack(engine).run(kind, "outbound", "127.0.0.1:0", "127.0.0.1:8080")
        assert j.verdict == "PERMIT", (kind, j.decided_at, j.decided_by)


def test_package_key_in_a_scenario(tmp_path: Path) -> None:
    """[[traffic]] package = SID reaches ALE_PACKAGE_ID; a bad one names the key's value."""
    from wfpsim.runner import run

    path = tmp_path / "pkg.toml"
    path.write_text(
        "[[filter]]\nname = 'packaged'\nlayer = 'ALE_AUTH_CONNECT_V4'\naction = 'BLOCK'\n"
        "conditions = [{field = 'ALE_PACKAGE_ID', match = 'NOT_EQUAL', value = 'S-1-0-0'}]\n\n"
        "[[traffic]]\nkind = 'tcp'\ndirection = 'outbound'\nlocal = '10.0.0.5:0'\n"
        f"remote = '1.1.1.1:443'\npackage = '{PACKAGE}'\nexpect = {{ verdict = 'BLOCK' }}\n\n"
        "[[traffic]]\nkind = 'tcp'\ndirection = 'outbound'\nlocal = '10.0.0.5:0'\n"
        "remote = '1.1.1.1:443'\nexpect = { verdict = 'PERMIT' }\n"
    )
    result = run(path)
    assert [t.journey.verdict for t in result.traffic] == ["BLOCK", "PERMIT"]


def test_icmp_error_fields_inbound() -> None:
    """INBOUND_ICMP_ERROR: ICMP_TYPE/CODE and the EMBEDDED_* fields of the quoted datagram;
    a filter ICMP_TYPE == 3 there matches a port unreachable."""
    engine = Engine()
    engine.add_filter(
        Filter(
            "unreachables",
            "INBOUND_ICMP_ERROR_V4",
            "BLOCK",
            [Condition("ICMP_TYPE", "EQUAL", 3), Condition("EMBEDDED_REMOTE_PORT", "EQUAL", 53)],
        )
    )
    j = Stack(engine).run("udp", "outbound", "10.0.0.5:0", "10.0.0.9:53", listening=False)
    err = j.at("INBOUND_ICMP_ERROR_V4")
    fv = err.in_fixed_values
    assert (fv["ICMP_TYPE"].uint16, fv["ICMP_CODE"].uint16) == (3, 3)
    assert fv["EMBEDDED_PROTOCOL"].uint8 == 17
    assert (fv["EMBEDDED_LOCAL_PORT"].uint16, fv["EMBEDDED_REMOTE_PORT"].uint16) == (49152, 53)
    assert fv["EMBEDDED_REMOTE_ADDRESS"].uint32 == 0x0A000009
    assert fv["EMBEDDED_LOCAL_ADDRESS_TYPE"].uint8 == 1
    assert err.blocked and err.classification.filter_name == "unreachables"


def test_outgoing_icmp_error_is_icmp_at_transport_and_ippacket() -> None:
    """The error this host sends is IP protocol 1 with type/code in the port fields."""
    j = Stack(Engine()).run("udp", "inbound", "10.0.0.5:9", "192.168.1.9:5353", listening=False)
    out = j.at("OUTBOUND_TRANSPORT_V4")
    fv = out.in_fixed_values
    assert fv["IP_PROTOCOL"].uint8 == 1
    assert (fv["IP_LOCAL_PORT"].uint16, fv["IP_REMOTE_PORT"].uint16) == (3, 3)
    assert j.at("OUTBOUND_ICMP_ERROR_V4").in_fixed_values["ICMP_TYPE"].uint16 == 3


def test_icmpv6_error_type_and_code_agree_with_the_bytes() -> None:
    """ICMPv6 port unreachable is type 1 code 4, in the fields and in the packet."""
    j = Stack(Engine()).run(
        "udp", "inbound", "[2001:db8::5]:9", "[2001:db8::9]:5353", listening=False
    )
    step = j.at("OUTBOUND_ICMP_ERROR_V6")
    fv = step.in_fixed_values
    assert (fv["ICMP_TYPE"].uint16, fv["ICMP_CODE"].uint16) == (1, 4)
    assert step.packet is not None
    sent = Packet.from_bytes(step.packet).transport
    assert (getattr(sent, "type", None), getattr(sent, "code", None)) == (1, 4)
    transport = j.at("OUTBOUND_TRANSPORT_V6").in_fixed_values
    assert transport["IP_PROTOCOL"].uint8 == 58 and transport["IP_LOCAL_PORT"].uint16 == 1


def test_every_endpoint_has_its_own_handle() -> None:
    """Client, listener and accepted connection: three handles; PARENT names the listener."""
    j = Stack(Engine()).run("tcp", "outbound", "127.0.0.1:0", "127.0.0.1:8080")
    listener = j.setup[-1].in_meta_values.transport_endpoint_handle
    client = j.at("ALE_AUTH_CONNECT_V4").in_meta_values
    accept = j.at("ALE_AUTH_RECV_ACCEPT_V4").in_meta_values
    handles = {listener, client.transport_endpoint_handle, accept.transport_endpoint_handle}
    assert None not in handles and len(handles) == 3
    assert accept.has("PARENT_ENDPOINT_HANDLE") and accept.parent_endpoint_handle == listener
    assert not client.has("PARENT_ENDPOINT_HANDLE") and client.parent_endpoint_handle is None
    closures = [s for s in j.steps if s.layer == "ALE_ENDPOINT_CLOSURE_V4"]
    assert [c.in_meta_values.transport_endpoint_handle for c in closures] == [
        client.transport_endpoint_handle,
        accept.transport_endpoint_handle,
    ]
    assert closures[1].in_meta_values.parent_endpoint_handle == listener


def test_closure_after_a_block_at_auth_connect() -> None:
    """A blocked connect() still closes its endpoint (and releases its port)."""
    engine = Engine()
    engine.add_filter(Filter("no", "ALE_AUTH_CONNECT_V4", "BLOCK"))
    j = Stack(engine).run("tcp", "outbound", "10.0.0.5:0", "93.184.216.34:80")
    assert j.layers[-2:] == ["ALE_ENDPOINT_CLOSURE_V4", "ALE_RESOURCE_RELEASE_V4"]


def test_closure_after_a_block_at_auth_recv_accept_names_the_accepted_endpoint() -> None:
    """Blocked at AUTH_RECV_ACCEPT: ENDPOINT_CLOSURE for that endpoint, no RESOURCE_RELEASE."""
    engine = Engine()
    engine.add_filter(Filter("no inbound", "ALE_AUTH_RECV_ACCEPT_V4", "BLOCK"))
    j = Stack(engine).run("tcp", "inbound", "10.0.0.5:80", "203.0.113.9:51000")
    accept, closure = j.at("ALE_AUTH_RECV_ACCEPT_V4"), j.at("ALE_ENDPOINT_CLOSURE_V4")
    assert j.layers[-1] == "ALE_ENDPOINT_CLOSURE_V4" and "ALE_RESOURCE_RELEASE_V4" not in j.layers
    handle = accept.in_meta_values.transport_endpoint_handle
    assert closure.in_meta_values.transport_endpoint_handle == handle
    assert (
        closure.in_meta_values.parent_endpoint_handle
        == j.setup[-1].in_meta_values.transport_endpoint_handle
    )


def test_tcp_close_is_a_stream_disconnect_indication() -> None:
    """Our FIN: STREAM with SEND|SEND_DISCONNECT; the peer's: RECEIVE|RECEIVE_DISCONNECT."""
    j = Stack(Engine()).run("tcp", "outbound", "10.0.0.5:0", "93.184.216.34:80", payload=["x"])
    streams = [s.layer_data for s in j.steps if s.layer == "STREAM_V4"]
    assert all(isinstance(d, StreamCalloutIoPacket) for d in streams)
    data, our_fin, their_fin = streams
    assert not data.disconnect
    assert our_fin.flags == ids.FWPS_STREAM_FLAG_SEND | ids.FWPS_STREAM_FLAG_SEND_DISCONNECT
    assert their_fin.flags == (
        ids.FWPS_STREAM_FLAG_RECEIVE | ids.FWPS_STREAM_FLAG_RECEIVE_DISCONNECT
    )
    assert our_fin.data_length == their_fin.data_length == 0


def test_a_stream_callout_sees_the_disconnect() -> None:
    """A stream callout is called for the FIN and reads the disconnect flag."""
    engine = Engine()
    engine.add_callout(Callout("fin watcher", "STREAM_V4"))
    seen: list[int] = []

    def watch(fixed: Any, meta: Any, data: Any, ctx: Any, flt: Any, flow: int, out: Any) -> None:
        seen.append(data.flags)

    engine.register_callout("fin watcher", watch)
    engine.add_filter(Filter("w", "STREAM_V4", "CALLOUT_INSPECTION", callout="fin watcher"))
    Stack(engine).run("tcp", "inbound", "10.0.0.5:80", "203.0.113.9:51000")
    assert seen == [
        ids.FWPS_STREAM_FLAG_RECEIVE | ids.FWPS_STREAM_FLAG_RECEIVE_DISCONNECT,
        ids.FWPS_STREAM_FLAG_SEND | ids.FWPS_STREAM_FLAG_SEND_DISCONNECT,
    ]


def test_flow_remove_context_without_a_context_is_unsuccessful() -> None:
    """FwpsFlowRemoveContext0 with no context associated: STATUS_UNSUCCESSFUL (0xC0000001)."""
    engine = Engine()
    engine.add_callout(Callout("remover", "ALE_FLOW_ESTABLISHED_V4"))
    statuses: list[int] = []

    def remove(fixed: Any, meta: Any, data: Any, ctx: Any, flt: Any, flow: int, out: Any) -> None:
        statuses.append(FwpsFlowRemoveContext0(meta.flow_handle, fixed.layer_id, 1))

    engine.register_callout("remover", remove, flow_delete=lambda *a: None)
    engine.add_filter(
        Filter("r", "ALE_FLOW_ESTABLISHED_V4", "CALLOUT_INSPECTION", callout="remover")
    )
    Stack(engine).run("tcp", "outbound", "10.0.0.5:0", "93.184.216.34:80")
    assert statuses == [STATUS_UNSUCCESSFUL] and STATUS_UNSUCCESSFUL == 0xC0000001
