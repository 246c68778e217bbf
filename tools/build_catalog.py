"""Build ``wfpsim/catalog/data/catalog.json`` from SDK header facts, the reference and real dumps.

Three inputs, each for what it is the authority on:

- ``tools/sdk_headers.json`` — facts extracted from the public Windows SDK headers by
  ``tools/sdk_headers.py`` (SDKs 10.0.14393 … 10.0.26100): every ``FWPM_*`` GUID, the
  ``FWPS_BUILTIN_LAYERS`` run-time ids, every ``FWPS_FIELDS_*`` enumeration, and the first SDK
  that declares each identifier (``since``). The newest SDK is the baseline.
- the team's reference (``../shared/wfp-reference``): what headers do not say — each layer's
  kind and mode (``layers-and-flows.md`` §1.2) and each condition's documented data type and
  the conditions each layer accepts (``data/conditions.json``, from Microsoft's docs).
- real ``netsh wfp show state`` dumps (``../shared/data/wfp-dumps``): the layers Windows has but
  no header documents (the ALE accept-redirect layers, whose GUIDs appear in no SDK), with the
  fields and run-time ids the BFE reports for them, and the layer each built-in
  ``FWPM_CALLOUT_*`` sits at on a real machine.

Run it from the repository root::

    python tools/build_catalog.py [--reference ../shared/wfp-reference] [--dumps DIR] [--check]

``tests/test_catalog.py`` checks that the committed file is up to date when the reference and
the dumps are present.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "wfpsim" / "catalog" / "data" / "catalog.json"
HEADER_FACTS = ROOT / "tools" / "sdk_headers.json"

# Sublayer weights as Windows sets them, measured on the real dumps in
# ../shared/data/wfp-dumps (see the reference README): the built-in weights are not published.
MEASURED_SUBLAYER_WEIGHTS = {
    "FWPM_SUBLAYER_INSPECTION": 0,
    "FWPM_SUBLAYER_TEREDO": 1,
    "FWPM_SUBLAYER_MPSSVC_WF": 2,
    "FWPM_SUBLAYER_MPSSVC_WSH": 3,
    "FWPM_SUBLAYER_MPSSVC_QUARANTINE": 4,
    "FWPM_SUBLAYER_MPSSVC_EDP": 5,
    "FWPM_SUBLAYER_MPSSVC_TENANT_RESTRICTIONS": 6,
    "FWPM_SUBLAYER_MPSSVC_APP_ISOLATION": 7,
    "FWPM_SUBLAYER_TCP_CHIMNEY_OFFLOAD": 8192,
    "FWPM_SUBLAYER_TCP_TEMPLATES": 8704,
    "FWPM_SUBLAYER_IPSEC_SECURITY_REALM": 12288,
    "FWPM_SUBLAYER_SECURE_SOCKET": 16384,
    "FWPM_SUBLAYER_LIPS": 32767,
    "FWPM_SUBLAYER_UNIVERSAL": 32768,
    "FWPM_SUBLAYER_IPSEC_DOSP": 34816,
    "FWPM_SUBLAYER_IPSEC_FORWARD_OUTBOUND_TUNNEL": 36864,
    "FWPM_SUBLAYER_IPSEC_TUNNEL": 40960,
    "FWPM_SUBLAYER_RPC_AUDIT": 49152,
}

# Layers real machines report that no SDK header names. The GUIDs and fields are what the BFE
# of Windows 11 24H2 lists in `netsh wfp show state` (shared dumps); the run-time ids 83/84 are
# the ones fwpsu.h (SDK 10.0.20348+) calls FWPS_LAYER_RESERVED_LAYER_9/10. The FWPM_/FWPS_
# names are ours, built from the BFE's display names ("ALE Accept Redirect v4 Layer") the way
# the SDK names every other layer; Microsoft documents neither the layers nor their fields.
UNDOCUMENTED_LAYERS = {
    "29243af8-ecaf-4436-a44e-f9fb7070aa04": (
        "FWPM_LAYER_ALE_ACCEPT_REDIRECT_V4",
        "RESERVED_LAYER_9",
    ),
    "c9809347-218f-4b7f-a742-b281a3f631b4": (
        "FWPM_LAYER_ALE_ACCEPT_REDIRECT_V6",
        "RESERVED_LAYER_10",
    ),
}
UNDOCUMENTED_NOTE = (
    "Undocumented: no SDK header or Microsoft page names this layer. Windows 11 (24H2 dumps) "
    "lists it as '{display}' with run-time id {id} (fwpsu.h: FWPS_LAYER_{reserved}) and carries "
    "the built-in callout {callout} there ('{callout_name}'). Name and field names are ours."
)

# Field enumerator suffix -> condition, where the names differ (layers-and-flows.md §2).
FIELD_CONDITION_EXCEPTIONS = {
    "PROFILE_ID": "FWPM_CONDITION_CURRENT_PROFILE_ID",
    "LOCAL_ADDR_V4": "FWPM_CONDITION_IP_LOCAL_ADDRESS_V4",
    "LOCAL_ADDR_V6": "FWPM_CONDITION_IP_LOCAL_ADDRESS_V6",
    "REMOTE_ADDR_V4": "FWPM_CONDITION_IP_REMOTE_ADDRESS_V4",
    "REMOTE_ADDR_V6": "FWPM_CONDITION_IP_REMOTE_ADDRESS_V6",
    "SECURITY_REALM_ID": "FWPM_CONDITION_IPSEC_SECURITY_REALM_ID",
}
CANDIDATE_PREFIXES = ("", "ALE_", "RPC_", "KM_AUTH_", "IPSEC_", "IP_")

KIND_BY_TABLE = {
    "packet: IP": "IP_PACKET",
    "packet: forward": "IP_FORWARD",
    "packet: transport": "TRANSPORT",
    "stream data": "STREAM",
    "datagram": "DATAGRAM",
    "packet: ICMP error": "ICMP_ERROR",
    "ALE": "ALE",
    "frame: L2": "MAC_FRAME",
    "non-packet": "NAME_RESOLUTION",
    "packet: TCP segment": "STREAM_PACKET",
    "frame: vSwitch": "VSWITCH",
    "internal-only": "INTERNAL",
    "reserved": "RESERVED",
    "IPsec/IKE (UM)": "IPSEC",
    "RPC (UM)": "RPC",
    "SA authorization": "KM_AUTHORIZATION",
    "connection policy": "CONNECTION_POLICY",
}


def _norm_type(raw: object, v6: bool) -> tuple[str | None, list[str]]:
    """Return (incoming data type, condition types accepted) for a documented type."""
    if raw is None:
        return None, []
    if isinstance(raw, dict):
        accepted = list(raw["v6" if v6 else "v4"])
        return accepted[0], accepted
    text = str(raw).split(" ")[0]
    if text == "FWP_BYTE_BLOB":
        text = "FWP_BYTE_BLOB_TYPE"
    if text == "FWP_V4_ADDR_MASK":
        return "FWP_UINT32", ["FWP_UINT32", "FWP_V4_ADDR_MASK"]
    if text == "FWP_V6_ADDR_MASK":
        return "FWP_BYTE_ARRAY16_TYPE", ["FWP_BYTE_ARRAY16_TYPE", "FWP_V6_ADDR_MASK"]
    return text, [text]


def _direction(short: str) -> str:
    if short.startswith(("INBOUND_", "INGRESS_")) or "RECV_ACCEPT" in short:
        return "INBOUND"
    if "ACCEPT_REDIRECT" in short:
        return "INBOUND"
    if short.startswith(("OUTBOUND_", "EGRESS_")) or "AUTH_CONNECT" in short:
        return "OUTBOUND"
    if "CONNECT_REDIRECT" in short:
        return "OUTBOUND"
    if short.startswith(("STREAM", "DATAGRAM", "IPFORWARD", "ALE_FLOW_ESTABLISHED")):
        return "BOTH"
    return "NONE"


def _dump_layers(dumps: Path) -> tuple[dict[str, dict[str, object]], dict[str, dict[str, str]]]:
    """Layers (by key text) and built-in callouts (by name) as real machines report them."""
    layers: dict[str, dict[str, object]] = {}
    callouts: dict[str, dict[str, str]] = {}
    for path in sorted(dumps.glob("*.xml")):
        text = path.read_text(encoding="utf-8-sig")
        if "</wfpstate>" not in text:
            continue  # `show filters` output lists no layers
        root = ET.fromstring(text[: text.index("</wfpstate>") + len("</wfpstate>")])
        for item in root.iter("item"):
            lay = item.find("layer")
            if lay is None:
                continue
            key = (lay.findtext("layerKey") or "").strip("{}")
            fields = [
                (f.findtext("fieldKey") or "", f.findtext("dataType") or "")
                for f in lay.findall("field/item")
            ]
            seen = layers.get(key)
            if seen is None or len(fields) > len(seen["fields"]):  # type: ignore[arg-type]
                layers[key] = {
                    "display": lay.findtext("displayData/name") or "",
                    "id": int(lay.findtext("layerId") or -1),
                    "fields": fields,
                    "source": path.name,
                }
            for c in item.findall("callouts/item"):
                name = c.findtext("calloutKey") or ""
                if name.startswith("FWPM_CALLOUT_"):
                    callouts[name] = {
                        "layer": c.findtext("applicableLayer") or "",
                        "display": c.findtext("displayData/name") or "",
                    }
    return layers, callouts


def build(reference: Path, dumps: Path) -> dict[str, object]:
    facts = json.loads(HEADER_FACTS.read_text())
    conds = json.loads((reference / "data" / "conditions.json").read_text())
    table = (reference / "layers-and-flows.md").read_text()
    baseline: str = facts["baseline"]
    guids: dict[str, dict[str, object]] = facts["guids"]
    enums: dict[str, dict[str, object]] = facts["enums"]
    runtime: dict[str, dict[str, int]] = facts["runtime_layer_ids"]
    dump_layers, dump_callouts = _dump_layers(dumps)

    meta: dict[str, tuple[str, str]] = {}
    for line in table.splitlines():
        if not line.startswith("| FWPM_LAYER_"):
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        name = cells[0].split(" ")[0]
        if name.endswith("*"):
            continue
        kind = cells[6].replace(" +discard", "")
        meta[name] = (KIND_BY_TABLE[kind], cells[5])

    per_layer: dict[str, list[str]] = {}
    for key, value in conds["per_layer"].items():
        key = key.replace("LAYER__", "LAYER_").replace("EGRESSVSWITCH", "EGRESS_VSWITCH")
        per_layer[key] = value
    aliases = {
        name: entry["alias_of"]
        for name, entry in facts["defines"].items()
        if name.startswith(("FWPM_CONDITION_", "FWPM_SUBLAYER_", "FWPM_CALLOUT_"))
        and entry.get("alias_of") in guids
    }
    cond_guids = {n: str(e["guid"]) for n, e in guids.items() if e["kind"] == "conditions"}
    for alias, target in aliases.items():
        if target in cond_guids:
            cond_guids.setdefault(alias, cond_guids[target])
    data_types = conds["data_types"]

    def cond_type(name: str) -> object:
        if name in data_types:
            return data_types[name]
        return data_types.get(aliases.get(name, ""))

    def condition_for(suffix: str, allowed: list[str]) -> str | None:
        candidates = [FIELD_CONDITION_EXCEPTIONS.get(suffix)] + [
            f"FWPM_CONDITION_{p}{suffix}" for p in CANDIDATE_PREFIXES
        ]
        real = [c for c in candidates if c and c in cond_guids]
        for cand in real:
            if cand in allowed:
                return cand
        return real[0] if real else None

    def since_of(name: str) -> dict[str, object]:
        entry = guids.get(name, {})
        return {"since": entry.get("since"), "ntddi": entry.get("ntddi")}

    def make_field(index: int, fname: str, condition: str | None, v6: bool) -> dict[str, object]:
        incoming, accepted = _norm_type(cond_type(condition) if condition else None, v6)
        if fname.endswith("_V6") and incoming == "FWP_UINT32":
            incoming, accepted = (
                "FWP_BYTE_ARRAY16_TYPE",
                ["FWP_BYTE_ARRAY16_TYPE", "FWP_V6_ADDR_MASK"],
            )
        return {
            "index": index,
            "name": fname,
            "condition": condition,
            "condition_guid": cond_guids.get(condition) if condition else None,
            "type": incoming,
            "accepts": accepted,
        }

    layer_names = sorted(n for n, e in guids.items() if e["kind"] == "layers")
    layers = []
    for name in layer_names:
        short = name.removeprefix("FWPM_LAYER_")
        base = short.removesuffix("_DISCARD")
        discard = short.endswith("_DISCARD")
        kind, mode = meta[name]
        tag = f"FWPS_FIELDS_{base}"
        enum = enums.get(tag)
        v6 = base.endswith("V6")
        allowed = per_layer.get(name, [])
        out_fields = []
        for member in enum["members"] if enum else []:  # type: ignore[union-attr]
            fname = str(member["name"])
            if fname.endswith("_MAX"):
                continue
            suffix = fname.removeprefix(f"FWPS_FIELD_{base}_")
            if suffix == fname:  # header quirk: FWPS_FIELD_KM_DEMUX_V4_IPSEC_SECURITY_REALM_ID
                suffix = re.sub(r"^FWPS_FIELD_.*?_V[46]_", "", fname)
            condition = None if suffix.startswith("RESERVED") else condition_for(suffix, allowed)
            out_fields.append(
                make_field(int(member["value"]), fname, condition, v6) | {"since": member["since"]}  # type: ignore[arg-type]
            )
        field_names = {str(f["name"]) for f in out_fields}
        field_aliases = {
            alias: entry["alias_of"]
            for alias, entry in facts["defines"].items()
            if alias.startswith(f"FWPS_FIELD_{base}_") and entry.get("alias_of") in field_names
        }
        ids = runtime.get(f"FWPS_LAYER_{short}", {})
        runtime_id = ids.get(baseline)
        twin = None
        if discard:
            twin = f"FWPM_LAYER_{base}"
        elif f"FWPM_LAYER_{short}_DISCARD" in guids:
            twin = f"FWPM_LAYER_{short}_DISCARD"
        layers.append(
            {
                "name": name,
                "guid": guids[name]["guid"],
                "id": runtime_id,
                "id_stable": runtime_id is not None and runtime_id <= 81,
                "ids_by_sdk": ids,
                "kind": "ALE_REDIRECT" if "_REDIRECT_" in short else kind,
                "ale": kind == "ALE",
                "discard": discard,
                "twin": twin,
                "direction": _direction(short),
                "ip_version": 6 if v6 else 4 if base.endswith("V4") else None,
                "mode": "user" if mode == "user" else "kernel",
                **since_of(name),
                "documented": True,
                "note": None,
                "fields_enum": enum["typedef"] if enum else None,  # type: ignore[index]
                "runtime_alias": None,
                "fields": out_fields,
                "field_aliases": dict(sorted(field_aliases.items())),
            }
        )

    for guid, (name, reserved) in UNDOCUMENTED_LAYERS.items():
        seen = dump_layers.get(guid)
        if seen is None:
            raise SystemExit(f"{dumps}: no dump lists layer {{{guid}}} ({name})")
        short = name.removeprefix("FWPM_LAYER_")
        v6 = short.endswith("V6")
        fields = [
            make_field(i, f"FWPS_FIELD_{short}_{key.removeprefix('FWPM_CONDITION_')}", key, v6)
            | {"since": None}
            for i, (key, _dtype) in enumerate(seen["fields"])  # type: ignore[arg-type]
        ]
        ids = runtime.get(f"FWPS_LAYER_{reserved}", {})
        callout = next((c for c, v in dump_callouts.items() if v["layer"].strip("{}") == guid), "")
        layers.append(
            {
                "name": name,
                "guid": guid,
                "id": ids.get(baseline),
                "id_stable": False,
                "ids_by_sdk": ids,
                "kind": "ALE_REDIRECT",
                "ale": True,
                "discard": False,
                "twin": None,
                "direction": _direction(short),
                "ip_version": 6 if v6 else 4,
                "mode": "kernel",
                "since": None,
                "ntddi": None,
                "documented": False,
                "note": UNDOCUMENTED_NOTE.format(
                    display=seen["display"],
                    id=seen["id"],
                    reserved=reserved,
                    callout=callout or "(none)",
                    callout_name=dump_callouts.get(callout, {}).get("display", ""),
                ),
                "fields_enum": None,
                "runtime_alias": f"FWPS_LAYER_{reserved}",
                "fields": fields,
                "field_aliases": {},
            }
        )
        if seen["id"] != ids.get(baseline):
            raise SystemExit(f"{name}: dump id {seen['id']} != FWPS_LAYER_{reserved}")

    by_guid = {str(la["guid"]): str(la["name"]) for la in layers}
    for record in dump_callouts.values():
        record["layer"] = by_guid.get(record["layer"].strip("{}"), record["layer"])
    sublayers = [
        {"name": n, "guid": e["guid"], "weight": MEASURED_SUBLAYER_WEIGHTS.get(n), **since_of(n)}
        for n, e in guids.items()
        if e["kind"] == "sublayers"
    ]
    conditions = {
        name: {"guid": g, "type": cond_type(name), **since_of(aliases.get(name, name))}
        for name, g in sorted(cond_guids.items())
    }
    others: dict[str, dict[str, dict[str, object]]] = {}
    for name, entry in guids.items():
        if entry["kind"] in ("callouts", "providers", "provider_contexts", "keying_modules"):
            record: dict[str, object] = {"guid": entry["guid"], **since_of(name)}
            if entry["kind"] == "callouts":
                seen_at = dump_callouts.get(name)
                record["layer"] = seen_at["layer"] if seen_at else None
                record["display_name"] = seen_at["display"] if seen_at else None
            others.setdefault(str(entry["kind"]), {})[name] = record
    flags = {
        name: {"value": entry["value"], "since": entry["since"], "ntddi": entry["ntddi"]}
        for name, entry in facts["defines"].items()
        if name.startswith("FWP_CONDITION_FLAG_") and "value" in entry
    }
    return {
        "_about": (
            "Generated by tools/build_catalog.py from facts of the Windows SDK headers "
            f"(10.0.14393 to {baseline}; tools/sdk_headers.json), the team's WFP reference "
            "(layer kinds, documented condition types) and real netsh dumps (undocumented "
            "layers, the layer of each built-in callout). 'since' = first SDK declaring the "
            "identifier. Do not edit."
        ),
        "sdk": baseline,
        "sdks": list(facts["sdks"]),
        "layers": layers,
        "sublayers": sublayers,
        "conditions": conditions,
        "aliases": dict(sorted(aliases.items())),
        "callouts": others.get("callouts", {}),
        "providers": others.get("providers", {}),
        "provider_contexts": others.get("provider_contexts", {}),
        "keying_modules": others.get("keying_modules", {}),
        "condition_flags": dict(sorted(flags.items(), key=lambda kv: kv[1]["value"])),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # ../shared beside the checkout (worktrees sit one level deeper: look upwards).
    shared = next(
        (p / "shared" for p in ROOT.parents if (p / "shared" / "wfp-reference").is_dir()),
        ROOT.parent / "shared",
    )
    parser.add_argument("--reference", type=Path, default=shared / "wfp-reference")
    parser.add_argument("--dumps", type=Path, default=shared / "data" / "wfp-dumps")
    parser.add_argument("--check", action="store_true", help="fail if the committed file is stale")
    args = parser.parse_args(argv)
    text = json.dumps(build(args.reference, args.dumps), indent=1, ensure_ascii=False) + "\n"
    if args.check:
        return 0 if OUT.read_text() == text else 1
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
