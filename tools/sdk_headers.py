"""Extract WFP identifier facts from Windows SDK headers into ``tools/sdk_headers.json``.

The catalog (``wfpsim/catalog/data/catalog.json``) is built from facts, never from copied
headers. This script reads the public headers of one or more Windows SDKs (``fwpmu.h``,
``fwpsu.h``, ``fwptypes.h``, ``sdkddkver.h``), keeps only facts — names, GUIDs, enumerator
order and values, the ``NTDDI_VERSION`` guard around each one — and records, for every
identifier, the first SDK (of those given) that declares it. Headers are not committed.

Run it with each SDK's ``Include/<version>`` folder (any folder holding the headers at any
depth), in any order, and say where each came from::

    python tools/sdk_headers.py --sdk 10.0.26100=/path/Include/10.0.26100.0 \\
        --origin "10.0.26100=Windows SDK 10.0.26100.3323" --sdk 10.0.22621=... ...

The committed facts were read from the public SDK header mirror github.com/KNSoft/WinSDK (one
commit per SDK release, 10.0.14393 to 10.0.26100; ``origins`` in the JSON names each commit).

The newest SDK is the baseline: its enumerations (evaluated at its ``WDK_NTDDI_VERSION``)
define the current field indexes and run-time ids. For identifiers already present in the
oldest SDK given, ``since`` comes from the ``NTDDI_VERSION`` guard around them instead, mapped
to the SDK that introduced that Windows version (``GUARD_SDK`` below; e.g. a
``NTDDI_WIN7`` guard → the Windows 7 SDK, "7.0"); such values carry ``"since_basis": "guard"``.

Then run ``python tools/build_catalog.py`` to rebuild the catalog.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tools" / "sdk_headers.json"
HEADERS = ("fwpmu.h", "fwpsu.h", "fwptypes.h", "sdkddkver.h")

# The SDK that first shipped each NTDDI target, for identifiers older than the oldest SDK
# compared (Windows SDK for Vista 6.0, Server 2008 6.1, Windows 7 7.0, Windows 8 8.0, 8.1, then
# the Windows 10/11 SDK builds). Our mapping: a guard names the first Windows version whose
# SDK can declare the identifier.
GUARD_SDK = {
    None: "6.0",
    "NTDDI_WIN6": "6.0",
    "NTDDI_VISTA": "6.0",
    "NTDDI_WIN6SP1": "6.1",
    "NTDDI_WS08": "6.1",
    "NTDDI_WIN7": "7.0",
    "NTDDI_WIN8": "8.0",
    "NTDDI_WINBLUE": "8.1",
    "NTDDI_WINTHRESHOLD": "10.0.10240",
    "NTDDI_WIN10": "10.0.10240",
    "NTDDI_WIN10_TH2": "10.0.10586",
    "NTDDI_WIN10_RS1": "10.0.14393",
    "NTDDI_WIN10_RS2": "10.0.15063",
    "NTDDI_WIN10_RS3": "10.0.16299",
    "NTDDI_WIN10_RS4": "10.0.17134",
    "NTDDI_WIN10_RS5": "10.0.17763",
    "NTDDI_WIN10_19H1": "10.0.18362",
    "NTDDI_WIN10_VB": "10.0.19041",
    "NTDDI_WIN10_FE": "10.0.20348",
    "NTDDI_WIN10_CO": "10.0.22000",
    "NTDDI_WIN10_NI": "10.0.22621",
}

GUID_KINDS = (
    ("FWPM_LAYER_", "layers"),
    ("FWPM_SUBLAYER_", "sublayers"),
    ("FWPM_CONDITION_", "conditions"),
    ("FWPM_CALLOUT_", "callouts"),
    ("FWPM_PROVIDER_CONTEXT_", "provider_contexts"),
    ("FWPM_PROVIDER_", "providers"),
    ("FWPM_KEYING_MODULE_", "keying_modules"),
)

_COND = re.compile(r"NTDDI_VERSION\s*(>=|==|<=|!=|>|<)\s*\(?\s*(NTDDI_\w+)")
_GUID = re.compile(
    r"DEFINE_GUID\s*\(\s*(\w+)\s*,\s*" + r"\s*,\s*".join([r"(0x[0-9a-fA-F]+|\d+)"] * 11) + r"\s*\)"
)
_DEFINE = re.compile(r"#define\s+((?:FWPM|FWPS|FWP)_\w+)\s+\\?\s*\(?\s*(\w+)\s*\)?\s*$", re.M)


def _ntddi_values(text: str) -> dict[str, int]:
    values: dict[str, int] = {}
    for name, raw in re.findall(r"#define\s+(NTDDI_\w+)\s+(0x[0-9A-Fa-f]+|NTDDI_\w+)", text):
        values[name] = int(raw, 16) if raw.startswith("0x") else values.get(raw, 0)
    return values


def _lines_with_guards(text: str) -> list[tuple[str, tuple[tuple[str, str, bool], ...]]]:
    """Each source line with the NTDDI conditions around it: (op, NTDDI name, negated)."""
    text = text.replace("\r", "")
    text = re.sub(r"\\\n", " ", text)  # continuation lines
    out = []
    stack: list[tuple[tuple[str, str, bool] | None, bool]] = []  # (condition, taken)
    for line in text.split("\n"):
        s = line.strip()
        if s.startswith("#if"):
            found = _COND.search(s)
            stack.append(((found.group(1), found.group(2), False) if found else None, True))
            continue
        if s.startswith("#elif"):
            found = _COND.search(s)
            stack[-1] = ((found.group(1), found.group(2), False) if found else None, False)
            continue
        if s.startswith("#else"):
            cond, _taken = stack[-1]
            # The #else of a non-NTDDI condition is assumed not taken (the headers' own
            # defaults are the primary branch).
            stack[-1] = ((cond[0], cond[1], True), True) if cond else (None, False)
            continue
        if s.startswith("#endif"):
            if stack:
                stack.pop()
            continue
        if not all(taken for _c, taken in stack):
            continue
        out.append((line, tuple(c for c, _t in stack if c is not None)))
    return out


def _holds(guards: tuple[tuple[str, str, bool], ...], target: int, ntddi: dict[str, int]) -> bool:
    for op, name, negated in guards:
        value = ntddi.get(name)
        if value is None:
            raise SystemExit(f"unknown NTDDI constant {name} (not in sdkddkver.h)")
        result = {
            ">=": target >= value,
            ">": target > value,
            "==": target == value,
            "<=": target <= value,
            "<": target < value,
            "!=": target != value,
        }[op]
        if result == negated:
            return False
    return True


def _guard_name(guards: tuple[tuple[str, str, bool], ...], ntddi: dict[str, int]) -> str | None:
    """The highest ``NTDDI_VERSION >= X`` guard around a line (its minimum Windows target)."""
    lows = [name for op, name, neg in guards if op in (">=", ">", "==") and not neg]
    return max(lows, key=lambda n: ntddi.get(n, 0)) if lows else None


def _guid_text(parts: tuple[str, ...]) -> str:
    n = [int(p, 0) for p in parts]
    return f"{n[0]:08x}-{n[1]:04x}-{n[2]:04x}-{n[3]:02x}{n[4]:02x}-" + "".join(
        f"{b:02x}" for b in n[5:]
    )


def read_sdk(folder: Path) -> dict[str, object]:
    """The facts one SDK's headers declare."""
    texts: dict[str, str] = {}
    for name in HEADERS:
        hits = sorted(folder.rglob(name))
        if not hits:
            raise SystemExit(f"{folder}: no {name} below this folder")
        texts[name] = hits[0].read_text(encoding="utf-8", errors="replace")
    ntddi = _ntddi_values(texts["sdkddkver.h"])
    wdk = re.search(r"#define\s+WDK_NTDDI_VERSION\s+(NTDDI_\w+)", texts["sdkddkver.h"])
    # Older SDKs have no WDK_NTDDI_VERSION: their newest NTDDI constant is the target.
    target_name = wdk.group(1) if wdk else max(ntddi, key=lambda n: (ntddi[n], n))
    target = ntddi[target_name]

    guids: dict[str, dict[str, object]] = {}
    defines: dict[str, dict[str, object]] = {}
    for header in ("fwpmu.h", "fwpsu.h", "fwptypes.h"):
        lines = _lines_with_guards(texts[header])
        body = "\n".join(line for line, _g in lines)
        guard_of: dict[str, str | None] = {}
        for line, guards in lines:
            m = re.match(r"\s*(?:DEFINE_GUID\s*\(\s*)?((?:FWPM|FWPS|FWP)_\w+)\s*,?", line)
            if m and m.group(1) not in guard_of:
                guard_of[m.group(1)] = _guard_name(guards, ntddi)
            d = re.match(r"\s*#define\s+((?:FWPM|FWPS|FWP)_\w+)", line)
            if d and d.group(1) not in guard_of:
                guard_of[d.group(1)] = _guard_name(guards, ntddi)
        for m in _GUID.finditer(body):
            name = m.group(1)
            guids.setdefault(
                name,
                {"guid": _guid_text(m.groups()[1:]), "ntddi": guard_of.get(name), "header": header},
            )
        for m in _DEFINE.finditer(body):
            name, value = m.group(1), m.group(2)
            if name in guids:
                continue
            entry: dict[str, object] = {"ntddi": guard_of.get(name), "header": header}
            number = re.fullmatch(r"(0x[0-9A-Fa-f]+|\d+)(?:ui64|i64|[uUlL]*)", value)
            if number:
                entry["value"] = int(number.group(1), 0)
            else:
                entry["alias_of"] = value
            defines.setdefault(name, entry)

    enums: dict[str, dict[str, object]] = {}
    current: str | None = None
    members: list[dict[str, object]] = []
    value = 0
    for line, guards in _lines_with_guards(texts["fwpsu.h"]):
        code = re.sub(r"//.*", "", line).strip()
        opened = re.match(r"typedef\s+enum\s+(\w+)", code)
        if opened:
            tag = opened.group(1).removesuffix("_")
            current = tag if tag.startswith(("FWPS_FIELDS_", "FWPS_BUILTIN_LAYERS")) else None
            members, value = [], 0
            continue
        if current is None:
            continue
        closed = re.match(r"\}\s*(\w+)\s*;", code)
        if closed:
            enums[current] = {"typedef": closed.group(1), "members": members}
            current = None
            continue
        name, _, assigned = code.rstrip(",").partition("=")
        name = name.strip()
        if not re.fullmatch(r"[A-Z]\w+", name):
            continue
        if assigned.strip():
            value = int(assigned.strip(), 0)
        if not _holds(guards, target, ntddi):
            continue
        members.append({"name": name, "value": value, "ntddi": _guard_name(guards, ntddi)})
        value += 1
    return {"ntddi_target": target_name, "guids": guids, "defines": defines, "enums": enums}


def merge(sdks: dict[str, dict[str, object]]) -> dict[str, object]:
    """One table over all SDKs: the newest SDK's facts, each with the first SDK declaring it."""
    order = sorted(sdks, key=lambda v: tuple(int(x) for x in v.split(".")))
    newest, oldest = sdks[order[-1]], order[0]

    def since(kind: str, name: str, ntddi: str | None, sub: str | None = None) -> dict[str, str]:
        first = next(
            v
            for v in order
            if name in _find(sdks[v], kind, sub)  # type: ignore[arg-type]
        )
        if first != oldest:
            return {"since": first, "since_basis": "measured"}
        return {"since": GUARD_SDK.get(ntddi, oldest), "since_basis": "guard"}

    out_guids: dict[str, dict[str, object]] = {}
    for name, entry in newest["guids"].items():  # type: ignore[attr-defined]
        kind = next((k for prefix, k in GUID_KINDS if name.startswith(prefix)), "other")
        out_guids[name] = {**entry, "kind": kind, **since("guids", name, entry["ntddi"])}
    out_defines: dict[str, dict[str, object]] = {}
    for name, entry in newest["defines"].items():  # type: ignore[attr-defined]
        out_defines[name] = {**entry, **since("defines", name, entry["ntddi"])}
    out_enums: dict[str, dict[str, object]] = {}
    for tag, enum in newest["enums"].items():  # type: ignore[attr-defined]
        members = []
        for member in enum["members"]:
            members.append({**member, **since("enums", member["name"], member["ntddi"], tag)})
        out_enums[tag] = {"typedef": enum["typedef"], "members": members}
    runtime_ids: dict[str, dict[str, int]] = {}
    for version in order:
        for member in sdks[version]["enums"]["FWPS_BUILTIN_LAYERS"]["members"]:  # type: ignore[index]
            runtime_ids.setdefault(member["name"], {})[version] = member["value"]
    return {
        "_about": (
            "Facts extracted by tools/sdk_headers.py from the public Windows SDK headers fwpmu.h, "
            "fwpsu.h, fwptypes.h (names, GUIDs, enumerator order/values, NTDDI guards). 'since' is "
            "the first SDK of those compared that declares the identifier ('since_basis': "
            "'measured'), or, for identifiers already in the oldest SDK compared, the SDK that "
            "introduced their NTDDI guard ('guard'). Enumerations are evaluated at the newest "
            "SDK's WDK_NTDDI_VERSION. Do not edit; regenerate."
        ),
        "sdks": {v: sdks[v]["ntddi_target"] for v in order},
        "baseline": order[-1],
        "guids": dict(sorted(out_guids.items())),
        "defines": dict(sorted(out_defines.items())),
        "enums": dict(sorted(out_enums.items())),
        "runtime_layer_ids": dict(sorted(runtime_ids.items())),
    }


def _find(sdk: dict[str, object], kind: str, sub: str | None) -> set[str]:
    table = sdk[kind]
    if kind == "enums":
        members = table.get(sub, {"members": []})["members"]  # type: ignore[attr-defined]
        return {m["name"] for m in members}
    return set(table)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sdk",
        action="append",
        required=True,
        metavar="VERSION=FOLDER",
        help="an SDK version (10.0.26100) and the folder holding its headers; repeat",
    )
    parser.add_argument(
        "--origin",
        action="append",
        default=[],
        metavar="VERSION=TEXT",
        help="where that SDK's headers came from (recorded in the JSON); repeat",
    )
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    sdks: dict[str, dict[str, object]] = {}
    for spec in args.sdk:
        version, sep, folder = spec.partition("=")
        if not sep or not re.fullmatch(r"\d+\.\d+(\.\d+)?", version):
            parser.error(f"--sdk {spec!r}: write VERSION=FOLDER, e.g. 10.0.26100=/sdk/Include")
        print(f"reading SDK {version} from {folder}", file=sys.stderr)
        sdks[version] = read_sdk(Path(folder))
    facts = merge(sdks)
    origins = dict(o.partition("=")[::2] for o in args.origin)
    facts["origins"] = {v: origins.get(v) for v in facts["sdks"]}  # type: ignore[union-attr]
    args.out.write_text(json.dumps(facts, indent=1) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
