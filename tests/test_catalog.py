"""The layer catalog: real names, GUIDs, run-time ids and field enumerations."""

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from wfpsim import catalog
from wfpsim.catalog import Direction, LayerKind, layer, layers
from wfpsim.errors import ConditionNotFoundError, LayerNotFoundError
from wfpsim.values import DataType

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT.parent / "shared" / "wfp-reference"

# (layer, run-time id) pairs measured in the real dumps (shared/data/wfp-dumps/README.md)
MEASURED_IDS = {
    "INBOUND_IPPACKET_V4": 0,
    "OUTBOUND_IPPACKET_V4": 4,
    "INBOUND_TRANSPORT_V4": 12,
    "OUTBOUND_TRANSPORT_V4": 16,
    "STREAM_V4": 20,
    "ALE_RESOURCE_ASSIGNMENT_V4": 36,
    "ALE_AUTH_LISTEN_V4": 40,
    "ALE_AUTH_RECV_ACCEPT_V4": 44,
    "ALE_AUTH_CONNECT_V4": 48,
    "ALE_FLOW_ESTABLISHED_V4": 52,
    "ALE_CONNECT_REDIRECT_V4": 66,
    "ALE_BIND_REDIRECT_V4": 68,
}


@pytest.mark.parametrize(("short", "runtime_id"), sorted(MEASURED_IDS.items()))
def test_runtime_ids_match_real_machines(short: str, runtime_id: int) -> None:
    """Run-time ids agree with what Windows reports in netsh dumps."""
    assert layer(short).id == runtime_id


def test_every_stable_id_0_to_81_is_one_layer() -> None:
    """Ids 0-81 each name exactly one layer, as in FWPS_BUILTIN_LAYERS."""
    stable = {la.id: la for la in layers() if la.id is not None and la.id <= 81}
    assert sorted(stable) == list(range(82))
    assert all(la.id_stable for la in stable.values())


def test_lookup_by_every_kind_of_name() -> None:
    """Short name, full name, run-time name, GUID (with or without braces) and id agree."""
    target = layer("ALE_AUTH_CONNECT_V4")
    for key in (
        "FWPM_LAYER_ALE_AUTH_CONNECT_V4",
        "FWPS_LAYER_ALE_AUTH_CONNECT_V4",
        "ale_auth_connect_v4",
        "c38d57d1-05a7-4c33-904f-7fbceee60e82",
        "{C38D57D1-05A7-4C33-904F-7FBCEEE60E82}",
        uuid.UUID("c38d57d1-05a7-4c33-904f-7fbceee60e82"),
        48,
    ):
        assert layer(key) is target


def test_unknown_layer_names_the_value_and_the_choices() -> None:
    """An unknown layer raises FWP_E_LAYER_NOT_FOUND naming it."""
    with pytest.raises(LayerNotFoundError, match="ALE_AUTH_CONECT_V4") as info:
        layer("ALE_AUTH_CONECT_V4")
    assert info.value.code == "FWP_E_LAYER_NOT_FOUND"
    assert "wfpsim layers" in str(info.value)


def test_fields_follow_header_order() -> None:
    """FWPS_FIELDS_ALE_AUTH_CONNECT_V4 indexes as in fwpsk.h."""
    la = layer("ALE_AUTH_CONNECT_V4")
    expect = {
        "ALE_APP_ID": 0,
        "IP_LOCAL_ADDRESS": 2,
        "IP_PROTOCOL": 5,
        "IP_REMOTE_PORT": 7,
        "FLAGS": 12,
    }
    for short, index in expect.items():
        fld = la.field(short)
        assert fld.index == index
        assert fld.name == f"FWPS_FIELD_ALE_AUTH_CONNECT_V4_{short}"
        assert la.fields[index] is fld


def test_field_carries_condition_key_guid_and_type() -> None:
    """Each field has its FWPM_CONDITION key, GUID and data type."""
    port = layer("OUTBOUND_TRANSPORT_V4").field("FWPM_CONDITION_IP_REMOTE_PORT")
    assert port.condition_guid == uuid.UUID("c35a604d-d22b-4e1a-91b4-68f674ee674b")
    assert port.type == DataType.UINT16
    addr4 = layer("ALE_AUTH_CONNECT_V4").field("IP_REMOTE_ADDRESS")
    assert addr4.type == DataType.UINT32
    assert DataType.V4_ADDR_MASK in addr4.accepts
    addr6 = layer("ALE_AUTH_CONNECT_V6").field("IP_REMOTE_ADDRESS")
    assert addr6.type == DataType.BYTE_ARRAY16_TYPE
    assert DataType.V6_ADDR_MASK in addr6.accepts
    assert layer("ALE_AUTH_CONNECT_V4").field("ALE_APP_ID").type == DataType.BYTE_BLOB_TYPE


def test_icmp_type_and_code_alias_the_port_slots() -> None:
    """ICMP_TYPE/ICMP_CODE are #defined to the local/remote port fields."""
    la = layer("INBOUND_TRANSPORT_V4")
    assert la.field("ICMP_TYPE") is la.field("IP_LOCAL_PORT")
    assert la.field("FWPM_CONDITION_ICMP_CODE") is la.field("IP_REMOTE_PORT")


def test_discard_twin_shares_the_field_enumeration() -> None:
    """A _DISCARD layer uses its base layer's enumeration and points back at it."""
    base, twin = layer("INBOUND_TRANSPORT_V4"), layer("INBOUND_TRANSPORT_V4_DISCARD")
    assert twin.discard and not base.discard
    assert base.twin == twin.name and twin.twin == base.name
    assert [f.name for f in twin.fields] == [f.name for f in base.fields]
    assert twin.id == base.id + 1


def test_kinds_and_directions() -> None:
    """Layers know what they classify and which way."""
    assert layer("ALE_AUTH_CONNECT_V4").kind == LayerKind.ALE
    assert layer("ALE_AUTH_CONNECT_V4").direction == Direction.OUTBOUND
    assert layer("ALE_AUTH_RECV_ACCEPT_V6").direction == Direction.INBOUND
    assert layer("ALE_CONNECT_REDIRECT_V4").kind == LayerKind.ALE_REDIRECT
    assert layer("INBOUND_IPPACKET_V4").kind == LayerKind.IP_PACKET
    assert layer("STREAM_V4").kind == LayerKind.STREAM
    assert layer("DATAGRAM_DATA_V6").kind == LayerKind.DATAGRAM
    assert layer("OUTBOUND_TRANSPORT_V4").kind == LayerKind.TRANSPORT
    assert layer("RPC_UM").mode == "user"
    assert layer("ALE_AUTH_CONNECT_V4").is_ale and not layer("STREAM_V4").is_ale


def test_ip_packet_layers_have_no_ports() -> None:
    """Ports are not available at the IP-packet layers (a classic misconception)."""
    la = layer("OUTBOUND_IPPACKET_V4")
    assert not la.has_field("IP_REMOTE_PORT")
    with pytest.raises(ConditionNotFoundError, match="OUTBOUND_IPPACKET_V4"):
        la.field("IP_REMOTE_PORT")


def test_every_field_of_a_kernel_layer_maps_to_a_condition() -> None:
    """Except reserved slots, every field has a condition GUID and a data type."""
    for la in layers():
        for fld in la.fields:
            if "RESERVED" in fld.name:
                continue
            assert fld.condition and fld.condition_guid and fld.type, (la.name, fld.name)


def test_builtin_sublayers_have_measured_weights() -> None:
    """Built-in sublayer weights are those Windows sets (measured on real dumps)."""
    weights = {s.name: s.weight for s in catalog.builtin_sublayers()}
    assert weights["FWPM_SUBLAYER_INSPECTION"] == 0
    assert weights["FWPM_SUBLAYER_MPSSVC_WF"] == 2
    assert weights["FWPM_SUBLAYER_UNIVERSAL"] == 32768
    assert weights["FWPM_SUBLAYER_RPC_AUDIT"] == 49152
    assert catalog.builtin_sublayer("EDGE_TRAVERSAL").name == "FWPM_SUBLAYER_TEREDO"


@pytest.mark.skipif(
    not REFERENCE.is_dir(), reason="the shared WFP reference is not beside the repo"
)
def test_committed_catalog_matches_the_reference() -> None:
    """wfpsim/catalog/data/catalog.json is what tools/build_catalog.py makes today."""
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "build_catalog.py"),
            "--check",
            "--reference",
            str(REFERENCE),
        ],
        check=False,
    )
    assert result.returncode == 0, "run `python tools/build_catalog.py` and commit the result"


@pytest.mark.skipif(
    not REFERENCE.is_dir(), reason="the shared WFP reference is not beside the repo"
)
def test_guids_match_the_sdk_table() -> None:
    """Every layer GUID is the one in fwpmu.h (reference guids.json)."""
    sdk = json.loads((REFERENCE / "data" / "guids.json").read_text())["layers"]
    assert {la.name: str(la.guid) for la in layers()} == sdk


def test_run_time_id_as_text_finds_the_layer() -> None:
    """A run-time id typed as text ("48", from a scenario file or a command line) works too."""
    from wfpsim.catalog import layer

    assert layer("48") is layer(48)
    assert layer(" 48 ").short_name == "ALE_AUTH_CONNECT_V4"
