"""Build ``wfpsim/catalog/data/catalog.json`` from the team's WFP reference.

The reference (``../shared/wfp-reference``) holds the identifier tables taken from the
Windows SDK headers (fwpmu.h, fwpsu.h, fwptypes.h) and Microsoft's condition documentation.
This script turns them into the one package-data file the engine loads, so that the
installed package does not depend on the reference folder.

Run it from the repository root::

    python tools/build_catalog.py [--reference ../shared/wfp-reference]

``tests/test_catalog_reference.py`` checks that the committed file is up to date when
the reference folder is present.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "wfpsim" / "catalog" / "data" / "catalog.json"

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
# fwpmu.h (Windows 8+ block); missing from the reference's guids.json.
EXTRA_SUBLAYER_GUIDS = {
    "FWPM_SUBLAYER_MPSSVC_APP_ISOLATION": "ffe221c3-92a8-4564-a59f-dafb70756020"
}

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
    if short.startswith(("OUTBOUND_", "EGRESS_")) or "AUTH_CONNECT" in short:
        return "OUTBOUND"
    if "CONNECT_REDIRECT" in short:
        return "OUTBOUND"
    if short.startswith(("STREAM", "DATAGRAM", "IPFORWARD", "ALE_FLOW_ESTABLISHED")):
        return "BOTH"
    return "NONE"


def build(reference: Path) -> dict[str, object]:
    data = reference / "data"
    guids = json.loads((data / "guids.json").read_text())
    fields = json.loads((data / "fields.json").read_text())["enums"]
    conds = json.loads((data / "conditions.json").read_text())
    ids = json.loads((data / "runtime_layer_ids.json").read_text())["ids"]
    table = (reference / "layers-and-flows.md").read_text()

    meta: dict[str, tuple[str, str, str]] = {}
    for line in table.splitlines():
        if not line.startswith("| FWPM_LAYER_"):
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        name = cells[0].split(" ")[0]
        if name.endswith("*"):
            continue
        kind = cells[6].replace(" +discard", "")
        meta[name] = (KIND_BY_TABLE[kind], cells[5], cells[4])

    per_layer: dict[str, list[str]] = {}
    for key, value in conds["per_layer"].items():
        key = key.replace("LAYER__", "LAYER_").replace("EGRESSVSWITCH", "EGRESS_VSWITCH")
        per_layer[key] = value
    aliases: dict[str, str] = guids["aliases"]
    cond_guids: dict[str, str] = dict(guids["conditions"])
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

    layers = []
    for name, guid in sorted(guids["layers"].items(), key=lambda kv: kv[0]):
        short = name.removeprefix("FWPM_LAYER_")
        base = short.removesuffix("_DISCARD")
        discard = short.endswith("_DISCARD")
        kind, mode, since = meta[name]
        enum = f"FWPS_FIELDS_{base}"
        if enum not in fields and f"{enum}_IF" in fields:
            enum = f"{enum}_IF"  # header quirk: FWPS_FIELDS_RPC_PROXY_IF_IF
        v6 = base.endswith("V6")
        allowed = per_layer.get(name, [])
        out_fields = []
        for index, fname in enumerate(fields.get(enum, [])):
            suffix = fname.removeprefix(f"FWPS_FIELD_{base}_")
            if suffix == fname:  # header quirk: FWPS_FIELD_KM_DEMUX_V4_IPSEC_SECURITY_REALM_ID
                suffix = re.sub(r"^FWPS_FIELD_.*?_V[46]_", "", fname)
            condition = None if suffix.startswith("RESERVED") else condition_for(suffix, allowed)
            incoming, accepted = _norm_type(cond_type(condition) if condition else None, v6)
            if suffix.endswith("_V6") and incoming == "FWP_UINT32":
                incoming, accepted = (
                    "FWP_BYTE_ARRAY16_TYPE",
                    ["FWP_BYTE_ARRAY16_TYPE", "FWP_V6_ADDR_MASK"],
                )
            out_fields.append(
                {
                    "index": index,
                    "name": fname,
                    "condition": condition,
                    "condition_guid": cond_guids.get(condition) if condition else None,
                    "type": incoming,
                    "accepts": accepted,
                }
            )
        runtime = ids.get(f"FWPS_LAYER_{short}")
        twin = None
        if discard:
            twin = f"FWPM_LAYER_{base}"
        elif f"FWPM_LAYER_{short}_DISCARD" in guids["layers"]:
            twin = f"FWPM_LAYER_{short}_DISCARD"
        layers.append(
            {
                "name": name,
                "guid": guid,
                "id": runtime,
                "id_stable": runtime is not None and runtime <= 81,
                "kind": "ALE_REDIRECT" if "_REDIRECT_" in short else kind,
                "ale": kind == "ALE",
                "discard": discard,
                "twin": twin,
                "direction": _direction(short),
                "ip_version": 6 if v6 else 4 if base.endswith("V4") else None,
                "mode": "user" if mode == "user" else "kernel",
                "since": since,
                "fields_enum": enum if enum in fields else None,
                "fields": out_fields,
            }
        )

    sub_guids = dict(guids["sublayers"]) | EXTRA_SUBLAYER_GUIDS
    sublayers = [
        {"name": n, "guid": g, "weight": MEASURED_SUBLAYER_WEIGHTS.get(n)}
        for n, g in sorted(sub_guids.items())
    ]
    conditions = {
        name: {"guid": g, "type": cond_type(name)} for name, g in sorted(cond_guids.items())
    }
    return {
        "_about": "Generated by tools/build_catalog.py from the team's WFP reference "
        "(Windows SDK 10.0.22000 headers and Microsoft's condition documentation). Do not edit.",
        "layers": layers,
        "sublayers": sublayers,
        "conditions": conditions,
        "aliases": aliases,
        "callouts": dict(sorted(guids["callouts"].items())),
        "providers": dict(sorted(guids["providers"].items())),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=ROOT.parent / "shared" / "wfp-reference")
    parser.add_argument("--check", action="store_true", help="fail if the committed file is stale")
    args = parser.parse_args(argv)
    text = json.dumps(build(args.reference), indent=1, ensure_ascii=False) + "\n"
    if args.check:
        return 0 if OUT.read_text() == text else 1
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
