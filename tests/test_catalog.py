"""The layer catalog: real names, GUIDs, run-time ids and field enumerations."""

import json
import re
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
# ../shared beside the checkout (a worktree sits one level deeper: look upwards)
SHARED = next(
    (p / "shared" for p in ROOT.parents if (p / "shared" / "wfp-reference").is_dir()),
    ROOT.parent / "shared",
)
REFERENCE = SHARED / "wfp-reference"
DUMPS = SHARED / "data" / "wfp-dumps"

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
    not (REFERENCE.is_dir() and DUMPS.is_dir()),
    reason="the shared WFP reference and dumps are not beside the repo",
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
            "--dumps",
            str(DUMPS),
        ],
        check=False,
    )
    assert result.returncode == 0, "run `python tools/build_catalog.py` and commit the result"


@pytest.mark.skipif(
    not REFERENCE.is_dir(), reason="the shared WFP reference is not beside the repo"
)
def test_guids_match_the_sdk_table() -> None:
    """Every layer GUID of the 22000 reference (guids.json) is unchanged in the new catalog."""
    sdk = json.loads((REFERENCE / "data" / "guids.json").read_text())["layers"]
    mine = {la.name: str(la.guid) for la in layers()}
    assert {name: mine[name] for name in sdk} == sdk


def test_run_time_id_as_text_finds_the_layer() -> None:
    """A run-time id typed as text ("48", from a scenario file or a command line) works too."""
    from wfpsim.catalog import layer

    assert layer("48") is layer(48)
    assert layer(" 48 ").short_name == "ALE_AUTH_CONNECT_V4"


# --- the current catalog (SDK 10.0.26100 headers) -----------------------------------------

POLICY_V4 = "037f317a-d696-494a-bba5-bffc265e6052"
ACCEPT_REDIRECT_V4 = "29243af8-ecaf-4436-a44e-f9fb7070aa04"
ACCEPT_REDIRECT_V6 = "c9809347-218f-4b7f-a742-b281a3f631b4"


def test_baseline_is_the_26100_sdk() -> None:
    """The catalog is built from the Windows SDK 10.0.26100 headers."""
    assert catalog.sdk_version() == "10.0.26100"


@pytest.mark.parametrize(
    ("short", "guid", "runtime_id"),
    [
        ("OUTBOUND_NETWORK_CONNECTION_POLICY_V4", POLICY_V4, 85),
        ("OUTBOUND_NETWORK_CONNECTION_POLICY_V6", "22a4fdb1-6d7e-48ae-ae77-3742525c3119", 86),
    ],
)
def test_connection_policy_layers_by_name_and_guid(short: str, guid: str, runtime_id: int) -> None:
    """The NI connection-policy layers: fwpmu.h GUID, fwpsu.h id 85/86, 14 fields, SDK 22621."""
    la = layer(short)
    assert layer(guid) is la and layer(f"FWPM_LAYER_{short}") is la and layer(runtime_id) is la
    assert la.kind == LayerKind.CONNECTION_POLICY and la.direction == Direction.OUTBOUND
    assert la.since == "10.0.22621" and la.ntddi == "NTDDI_WIN10_NI" and la.documented
    assert not la.id_stable  # above 81: version-specific
    assert len(la.fields) == 14
    assert la.field("IP_REMOTE_PORT").index == 8
    assert la.field("ALE_PACKAGE_ID").type == DataType.SID
    # fwpsu.h's typedef differs from its enum tag; the typedef is what a driver types
    assert la.fields_enum == f"FWPS_FIELDS_{short.replace('CONNECTION_', '')}"


@pytest.mark.parametrize(
    ("guid", "runtime_id", "version", "callout"),
    [
        (ACCEPT_REDIRECT_V4, 83, 4, "FWPM_CALLOUT_BUILT_IN_RESERVED_1"),
        (ACCEPT_REDIRECT_V6, 84, 6, "FWPM_CALLOUT_BUILT_IN_RESERVED_2"),
    ],
)
def test_accept_redirect_layers_are_known_and_marked_undocumented(
    guid: str, runtime_id: int, version: int, callout: str
) -> None:
    """Real machines' accept-redirect layers resolve by GUID and say they are undocumented."""
    la = layer(guid)
    assert la.short_name == f"ALE_ACCEPT_REDIRECT_V{version}" and la.id == runtime_id
    assert layer(runtime_id) is la
    assert not la.documented and la.since is None and la.note and "Undocumented" in la.note
    assert la.runtime_name == f"FWPS_LAYER_RESERVED_LAYER_{runtime_id - 74}"  # the header's name
    assert la.kind == LayerKind.ALE_REDIRECT and la.direction == Direction.INBOUND
    assert len(la.fields) == 12 and la.accepts_callouts
    assert la.field("IP_LOCAL_PORT").type == DataType.UINT16
    assert catalog.builtin_callout(callout).layer == la.name


def test_package_family_name_condition_by_name_and_guid() -> None:
    """FWPM_CONDITION_ALE_PACKAGE_FAMILY_NAME (SDK 26100) by name and GUID, and as an ALE field."""
    info = catalog.condition("ALE_PACKAGE_FAMILY_NAME")
    assert info.guid == uuid.UUID("81bc78fb-f28d-4886-a604-6acc261f261b")
    assert catalog.condition("{81BC78FB-F28D-4886-A604-6ACC261F261B}") is info
    assert info.since == "10.0.26100"
    fld = layer("ALE_AUTH_CONNECT_V4").field("ALE_PACKAGE_FAMILY_NAME")
    assert fld.index == 41 and fld.since == "10.0.26100"
    assert fld.name == "FWPS_FIELD_ALE_AUTH_CONNECT_V4_PACKAGE_FAMILY_NAME"
    ale = [la for la in layers() if la.kind in (LayerKind.ALE, LayerKind.ALE_REDIRECT)]
    with_pfn = [la.short_name for la in ale if la.has_field("ALE_PACKAGE_FAMILY_NAME")]
    assert len(with_pfn) == 28  # every documented ALE layer, its discard twins included


def test_rpc_opnum_is_the_new_rpc_um_field() -> None:
    """SDK 26100 appends RPC_OPNUM to FWPS_FIELDS_RPC_UM (real 24H2 machines list it)."""
    fld = layer("RPC_UM").field("RPC_OPNUM")
    assert fld.index == 17 and fld.since == "10.0.26100" and fld.type == DataType.UINT16


@pytest.mark.parametrize(
    ("short", "count"),
    [
        ("ALE_AUTH_CONNECT_V4", 42),
        ("ALE_AUTH_RECV_ACCEPT_V6", 40),
        ("ALE_FLOW_ESTABLISHED_V4", 25),
        ("ALE_RESOURCE_ASSIGNMENT_V4", 19),
        ("ALE_BIND_REDIRECT_V6", 11),
        ("ALE_CONNECT_REDIRECT_V4", 15),
        ("OUTBOUND_TRANSPORT_V4", 16),
        ("INBOUND_IPPACKET_V4", 10),
        ("RPC_UM", 18),
        ("INBOUND_RESERVED2", 16),
    ],
)
def test_field_counts(short: str, count: int) -> None:
    """Each FWPS_FIELDS_* enumeration has its SDK 26100 member count (MAX excluded)."""
    assert len(layer(short).fields) == count


@pytest.mark.parametrize(
    ("short", "since"),
    [
        ("ALE_AUTH_CONNECT_V4", "6.0"),
        ("ALE_CONNECT_REDIRECT_V4", "7.0"),
        ("INBOUND_MAC_FRAME_ETHERNET", "8.0"),
        ("INBOUND_TRANSPORT_FAST", "8.1"),
        ("INBOUND_RESERVED2", "10.0.16299"),
        ("OUTBOUND_NETWORK_CONNECTION_POLICY_V6", "10.0.22621"),
    ],
)
def test_layer_since(short: str, since: str) -> None:
    """`since` is the first SDK declaring the layer (Vista..8.1 SDKs read from the NTDDI guard)."""
    assert layer(short).since == since


def test_since_of_other_identifiers() -> None:
    """Conditions, fields, sublayers, providers and callouts carry their first SDK too."""
    assert catalog.condition("COMPARTMENT_ID").since == "10.0.15063"
    assert layer("ALE_AUTH_CONNECT_V4").field("COMPARTMENT_ID").since == "10.0.15063"
    assert catalog.builtin_sublayer("MPSSVC_APP_ISOLATION").since == "10.0.22000"
    assert catalog.identifier("FWPM_PROVIDER_MPSSVC_APP_ISOLATION").since == "10.0.22000"
    assert catalog.identifier("FWPM_CALLOUT_BUILT_IN_RESERVED_1").since == "10.0.20348"


@pytest.mark.parametrize(
    ("name", "kind", "guid"),
    [
        ("FWPM_PROVIDER_MPSSVC_APP_ISOLATION", "provider", "3cc2631f-2d5d-43a0-b174-614837d863a1"),
        (
            "FWPM_CALLOUT_OUTBOUND_NETWORK_CONNECTION_POLICY_LAYER_V4",
            "callout",
            "103090d4-8e28-4fd6-9894-d1d67d6b10c9",
        ),
        (
            "FWPM_CALLOUT_OUTBOUND_NETWORK_CONNECTION_POLICY_LAYER_V6",
            "callout",
            "4ed3446d-8dc7-459b-b09f-c1cb7a8f8689",
        ),
        ("FWPM_SUBLAYER_MPSSVC_APP_ISOLATION", "sublayer", "ffe221c3-92a8-4564-a59f-dafb70756020"),
        ("FWPM_KEYING_MODULE_IKEV2", "keying_module", None),
        ("FWPM_PROVIDER_CONTEXT_SECURE_SOCKET_IPSEC", "provider_context", None),
    ],
)
def test_symbolic_names_resolve(name: str, kind: str, guid: str | None) -> None:
    """Every SDK name a dump may print resolves to its GUID, and the GUID back to the name."""
    info = catalog.identifier(name)
    assert info.kind == kind and info.name == name
    if guid:
        assert str(info.guid) == guid
    assert catalog.identifier(f"{{{info.guid}}}") is info
    assert catalog.named_guids()[name] == info.guid


def test_sdk_aliases_resolve_to_their_target() -> None:
    """`#define` synonyms (EDGE_TRAVERSAL for TEREDO) resolve; the GUID names the target."""
    alias = catalog.identifier("FWPM_CALLOUT_EDGE_TRAVERSAL_ALE_LISTEN_V6")
    assert alias.alias_of == "FWPM_CALLOUT_TEREDO_ALE_LISTEN_V6"
    assert catalog.identifier(alias.guid).name == "FWPM_CALLOUT_TEREDO_ALE_LISTEN_V6"


def test_unknown_identifier_is_a_clear_error() -> None:
    """An unknown name raises FWP_E_INVALID_PARAMETER naming it."""
    from wfpsim.errors import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="FWPM_PROVIDER_NOPE"):
        catalog.identifier("FWPM_PROVIDER_NOPE")
    with pytest.raises(InvalidParameterError, match="provider, not a built-in callout"):
        catalog.builtin_callout("FWPM_PROVIDER_MPSSVC_WF")


def test_builtin_callouts_know_their_layer() -> None:
    """Windows' own callouts carry the layer a real machine registers them at."""
    silent = catalog.builtin_callout("FWPM_CALLOUT_WFP_TRANSPORT_LAYER_V4_SILENT_DROP")
    assert silent.layer == "FWPM_LAYER_INBOUND_TRANSPORT_V4_DISCARD"
    policy = catalog.builtin_callout("103090d4-8e28-4fd6-9894-d1d67d6b10c9")
    assert policy.layer == "FWPM_LAYER_OUTBOUND_NETWORK_CONNECTION_POLICY_V4"
    assert len(catalog.builtin_callouts()) == 51


def test_ids_export_new_fields_but_not_our_names() -> None:
    """wfpsim.ids has the new SDK identifiers, and no invented name for undocumented layers."""
    from wfpsim import ids

    assert ids.FWPS_LAYER_OUTBOUND_NETWORK_CONNECTION_POLICY_V4 == 85
    assert ids.FWPS_FIELD_OUTBOUND_NETWORK_CONNECTION_POLICY_V4_IP_REMOTE_PORT == 8
    assert ids.FWPS_FIELD_ALE_AUTH_CONNECT_V4_PACKAGE_FAMILY_NAME == 41
    assert str(ids.FWPM_CONDITION_ALE_PACKAGE_FAMILY_NAME) == "81bc78fb-f28d-4886-a604-6acc261f261b"
    assert ids.FWPS_LAYER_RESERVED_LAYER_9 == 83
    assert ids.FWPS_LAYER_KM_AUTHORIZATION == 98
    assert "FWPS_LAYER_ALE_ACCEPT_REDIRECT_V4" not in ids.all_names()
    assert "FWPM_LAYER_ALE_ACCEPT_REDIRECT_V4" not in ids.all_names()


def test_user_mode_ids_moved_and_keep_their_history() -> None:
    """Ids above 81 follow SDK 26100 (as real 24H2 machines report); older SDKs' ids are kept."""
    km = layer("IPSEC_KM_DEMUX_V4")
    assert km.id == 87 and not km.id_stable
    assert dict(km.ids_by_sdk)["10.0.22000"] == 85 and dict(km.ids_by_sdk)["10.0.26100"] == 87
    assert layer("KM_AUTHORIZATION").id == 98


def test_cli_layer_by_name_json(capsys: pytest.CaptureFixture[str]) -> None:
    """`wfpsim layer OUTBOUND_NETWORK_CONNECTION_POLICY_V4 --json` prints the new layer."""
    from wfpsim.cli import main

    assert main(["layer", "OUTBOUND_NETWORK_CONNECTION_POLICY_V4", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["guid"] == POLICY_V4 and doc["id"] == 85 and doc["since"] == "10.0.22621"
    assert len(doc["fields"]) == 14 and doc["documented"] is True
    assert doc["fields"][0]["name"] == "FWPS_FIELD_OUTBOUND_NETWORK_CONNECTION_POLICY_V4_ALE_APP_ID"


def test_cli_layer_by_guid_says_undocumented(capsys: pytest.CaptureFixture[str]) -> None:
    """`wfpsim layer 29243af8-…` shows the accept-redirect layer and says it is undocumented."""
    from wfpsim.cli import main

    assert main(["layer", ACCEPT_REDIRECT_V4]) == 0
    out = capsys.readouterr().out
    assert out.startswith("FWPM_LAYER_ALE_ACCEPT_REDIRECT_V4  (run-time id 83")
    assert "Undocumented" in out and "FWPM_CALLOUT_BUILT_IN_RESERVED_1" in out


@pytest.mark.skipif(
    not REFERENCE.is_dir(), reason="the shared WFP reference is not beside the repo"
)
def test_old_ids_and_fields_are_unchanged() -> None:
    """Every 22000-era run-time id up to 82 and every field index keeps its value."""
    old_ids = json.loads((REFERENCE / "data" / "runtime_layer_ids.json").read_text())["ids"]
    for name, value in old_ids.items():
        if name.endswith("_MAX") or value > 82:
            continue
        if name.startswith("FWPS_LAYER_RESERVED_LAYER"):
            continue
        assert layer(name).id == value, name
    for enum, members in json.loads((REFERENCE / "data" / "fields.json").read_text())[
        "enums"
    ].items():
        la = next(la for la in layers() if la.fields_enum == enum)
        assert [f.name for f in la.fields[: len(members)]] == members, enum


def _dump_references(path: Path) -> list[tuple[str, str]]:
    """(tag, value) of every layer / field / object key a dump refers to."""
    text = path.read_text(encoding="utf-8-sig")
    tags = "layerKey|applicableLayer|fieldKey|subLayerKey|providerKey|calloutKey|filterType"
    return re.findall(rf"<({tags})>([^<]+)</", text)


def _unknown(refs: list[tuple[str, str]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {"layer": set(), "condition": set(), "name": set()}
    for tag, value in refs:
        if tag in ("layerKey", "applicableLayer"):
            if not _resolves(layer, value):
                out["layer"].add(value)
        elif tag == "fieldKey":
            if not _resolves(catalog.condition, value):
                out["condition"].add(value)
        elif value.startswith("FWP") and not _resolves(catalog.identifier, value):
            out["name"].add(value)  # a symbolic name netsh printed for a well-known GUID
    return out


def _resolves(lookup: object, value: str) -> bool:
    try:
        lookup(value)  # type: ignore[operator]
    except Exception:
        return False
    return True


@pytest.mark.skipif(not DUMPS.is_dir(), reason="the shared dumps are not beside the repo")
@pytest.mark.parametrize(
    "dump", ["fanyi_wfpstate.xml", "python_pi_burner_wfpstate.xml", "astralwfp_filters.xml"]
)
def test_real_dumps_reference_no_unknown_layer_or_condition(dump: str) -> None:
    """Every layer and condition the real dumps name (by SDK name or GUID) is in the catalog,
    and so is every symbolic name netsh printed (the 22000 catalog missed 4 layers, the
    PACKAGE_FAMILY_NAME and RPC_OPNUM conditions, the MPSSVC_APP_ISOLATION provider and the
    connection-policy callouts)."""
    unknown = _unknown(_dump_references(DUMPS / dump))
    assert unknown == {"layer": set(), "condition": set(), "name": set()}


def test_header_field_synonyms_resolve() -> None:
    """fwpsu.h's `#define` field synonyms (…_ICMP_TYPE, …_SIO_FIREWALL_SOCKET_PROPERTY) work."""
    from wfpsim import ids

    la = layer("INBOUND_TRANSPORT_V4")
    assert la.field("FWPS_FIELD_INBOUND_TRANSPORT_V4_ICMP_TYPE") is la.field("IP_LOCAL_PORT")
    assert la.field("IP_LOCAL_PORT").index == ids.FWPS_FIELD_INBOUND_TRANSPORT_V4_ICMP_TYPE
    accept = layer("ALE_AUTH_RECV_ACCEPT_V4")
    assert accept.field("SIO_FIREWALL_SOCKET_PROPERTY") is accept.field(
        "ALE_SIO_FIREWALL_SYSTEM_PORT"
    )
    assert ids.FWPS_FIELD_OUTBOUND_NETWORK_CONNECTION_POLICY_V6_ICMP_CODE == 8


def test_condition_flags_of_the_current_header() -> None:
    """Every FWP_CONDITION_FLAG_* of fwptypes.h, the AppContainer loopback bits included."""
    flags = catalog.condition_flags()
    assert flags["FWP_CONDITION_FLAG_IS_LOOPBACK"] == 0x1
    assert flags["FWP_CONDITION_FLAG_IS_APPCONTAINER_LOOPBACK"] == 0x00400000
    assert flags["FWP_CONDITION_FLAG_IS_NON_APPCONTAINER_LOOPBACK"] == 0x00800000
    assert flags["FWP_CONDITION_FLAG_IS_HONORING_POLICY_AUTHORIZE"] == 0x02000000
    assert len(flags) == 23 and len(set(flags.values())) == 23


@pytest.mark.skipif(not DUMPS.is_dir(), reason="the shared dumps are not beside the repo")
@pytest.mark.parametrize(
    ("dump", "filters"),
    [
        ("fanyi_wfpstate.xml", 200),
        ("python_pi_burner_wfpstate.xml", 1050),
        ("astralwfp_filters.xml", 1246),
    ],
)
def test_real_dumps_import_without_catalog_skips(dump: str, filters: int) -> None:
    """With the 26100 catalog every filter of the real dumps imports (the 22000 catalog skipped
    2, 110 and 72 objects: PACKAGE_FAMILY_NAME filters and accept-redirect callouts)."""
    from wfpsim.netsh import load_netsh

    _engine, report = load_netsh(DUMPS / dump)
    assert report.filters == filters and not report.skipped
