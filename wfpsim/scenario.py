"""Scenario files (TOML): a policy and the classifications to run, written without Python.

```toml
title = "Block telnet"

[[sublayer]]
name = "FW"
weight = 0x100

[[filter]]
name = "no telnet"
layer = "ALE_AUTH_CONNECT_V4"          # or FWPM_LAYER_ALE_AUTH_CONNECT_V4, or its GUID
sublayer = "FW"                        # absent: FWPM_SUBLAYER_UNIVERSAL
action = "BLOCK"                       # or FWP_ACTION_BLOCK
weight = { range = 3 }                 # FWP_UINT8; an integer is FWP_UINT64; absent FWP_EMPTY
conditions = [{ field = "IP_REMOTE_PORT", match = "EQUAL", value = 23 }]

[[classify]]
layer = "ALE_AUTH_CONNECT_V4"
values = { IP_REMOTE_PORT = 23, IP_REMOTE_ADDRESS = "10.0.0.5" }
expect = { action = "BLOCK", filter = "no telnet" }     # optional: checked by `wfpsim run`
```

Loading checks everything and raises one :class:`ScenarioError` naming the file, the entry,
its line and the ``FWP_E_*`` code where one applies. Unknown keys are errors.
"""

from __future__ import annotations

import re
import tomllib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wfpsim.callouts import BuiltinCallout
from wfpsim.catalog import layer, parse_guid
from wfpsim.checking import check_function_ref, check_keys, check_sddl, typed_value
from wfpsim.conditions import Condition, MatchType, resolve
from wfpsim.errors import WfpError
from wfpsim.objects import Action, Callout, Filter, FilterFlag, Sublayer, Weight
from wfpsim.scenario_shape import SECTIONS as SHAPES
from wfpsim.scenario_shape import TOP
from wfpsim.traffic import DriverSpec, TrafficSpec, parse_driver, parse_traffic
from wfpsim.values import DataType, Value

SECTIONS = ("sublayer", "callout", "filter", "classify", "traffic", "driver")
TOP_KEYS = {"title", "description", "auditing", "allow_events", *SECTIONS}
KEYS = {
    "sublayer": {"name", "weight", "key", "description"},
    "callout": {
        "name",
        "layer",
        "key",
        "description",
        "classify",
        "notify",
        "flow_delete",
        "returns",
        "clear_write_right",
        "respect_write_right",
        "absorb",
        "registered",
    },
    "filter": {
        "name",
        "layer",
        "sublayer",
        "weight",
        "action",
        "callout",
        "flags",
        "conditions",
        "key",
        "description",
    },
    "classify": {"layer", "values", "name", "expect", "unregister"},
}
CONDITION_KEYS = {"field", "match", "value"}
EXPECT_KEYS = {"action", "filter", "veto", "absorbed", "callouts_invoked", "sublayers", "explains"}
BUILTIN_KEYS = {"returns", "clear_write_right", "respect_write_right", "absorb"}


class ScenarioError(WfpError):
    """An invalid scenario file; carries the underlying ``FWP_E_*`` code when there is one."""

    code = "WFPSIM_E_SCENARIO"
    hresult = 0x80320035

    def __init__(self, message: str, cause: WfpError | None = None) -> None:
        super().__init__(message)
        if cause is not None:
            self.code = cause.code
            self.hresult = cause.hresult

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class CalloutSpec:
    """A callout entry: the management object plus how (and whether) it is registered.

    The Python functions it names stay names (``"package.module:function"``) until a run
    imports them (:func:`wfpsim.runner.resolve`): reading a policy runs none of its code.
    """

    callout: Callout
    builtin: BuiltinCallout | None
    classify: str | None
    notify: str | None
    flow_delete: str | None
    registered: bool
    index: int = 0


@dataclass(frozen=True, slots=True)
class ClassifySpec:
    """One ``[[classify]]`` entry."""

    index: int
    layer: str
    values: Mapping[str, Any]
    name: str = ""
    expect: Mapping[str, Any] = field(default_factory=dict)
    #: callouts to unregister (``FwpsCalloutUnregisterByKey0``) just before this classification
    unregister: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Scenario:
    """A loaded scenario: objects to add, in file order, and what to classify."""

    path: str
    title: str
    description: str
    sublayers: tuple[Sublayer, ...]
    callouts: tuple[CalloutSpec, ...]
    filters: tuple[Filter, ...]
    classifications: tuple[ClassifySpec, ...]
    traffic: tuple[TrafficSpec, ...] = ()
    lines: Mapping[tuple[str, int], int] = field(default_factory=dict)
    drivers: tuple[DriverSpec, ...] = ()
    auditing: bool = False
    allow_events: bool = False


def _entry_lines(text: str) -> dict[tuple[str, int], int]:
    """Line numbers of the n-th ``[[section]]`` header of each section."""
    seen: dict[str, int] = {}
    out: dict[tuple[str, int], int] = {}
    for number, line in enumerate(text.splitlines(), 1):
        m = re.match(r"\s*\[\[\s*([A-Za-z_]+)\s*\]\]", line)
        if m:
            name = m.group(1)
            out[(name, seen.get(name, 0))] = number
            seen[name] = seen.get(name, 0) + 1
    return out


class _Loader:
    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.lines = _entry_lines(text)
        self.where = ""

    def fail(self, message: str, cause: WfpError | None = None) -> ScenarioError:
        code = f"{cause.code} (0x{cause.hresult:08X}): " if cause else ""
        return ScenarioError(f"{self.path}: {self.where}{code}{message}", cause)

    def at(self, section: str, index: int, entry: Mapping[str, Any]) -> None:
        name = entry.get("name") if isinstance(entry, Mapping) else None
        line = self.lines.get((section, index))
        label = f"[[{section}]] #{index + 1}" + (f" {name!r}" if name else "")
        self.where = label + (f" (line {line})" if line else "") + ": "

    def check_keys(self, entry: Mapping[str, Any], allowed: set[str], what: str) -> None:
        check_keys(entry, allowed, what)

    def require(self, entry: Mapping[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
        if key not in entry:
            raise self.fail(f"missing required key {key!r}")
        value = entry[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if not isinstance(value, kind) or (isinstance(value, bool) and bool not in kinds):
            raise self.fail(f"{key} = {value!r} has the wrong type")
        return value

    def guid_key(self, entry: Mapping[str, Any], kind: str) -> uuid.UUID:
        if "key" in entry:
            guid = parse_guid(str(entry["key"]))
            if guid is None:
                raise self.fail(f"key = {entry['key']!r} is not a GUID ('{{xxxxxxxx-…}}')")
            return guid
        # A name-derived key keeps every run of the same file identical.
        return uuid.uuid5(uuid.NAMESPACE_URL, f"wfpsim:{kind}:{entry['name']}")


def _integer(raw: Any) -> Any:
    if isinstance(raw, str) and re.fullmatch(r"\s*(0[xX][0-9a-fA-F_]+|\d[\d_]*)\s*", raw):
        return int(raw, 0)
    return raw


def _condition_value(raw: Any) -> Any:
    """Scenario value → what :func:`wfpsim.conditions.resolve` accepts."""
    if isinstance(raw, Mapping):
        return typed_value(str(raw["type"]), raw["value"])
    if isinstance(raw, list):
        return (_integer(raw[0]), _integer(raw[1]))
    return _integer(raw)


def load(path: str | Path, text: str | None = None) -> Scenario:
    """Read and check a scenario file (``text`` overrides reading ``path``)."""
    path = Path(path)
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as err:
            raise ScenarioError(f"{path}: cannot read the file ({err.strerror})") from None
    ld = _Loader(str(path), text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(f"{path}: invalid TOML: {err}") from None
    except RecursionError:
        raise ScenarioError(
            f"{path}: invalid TOML: arrays or tables nested too deeply for the parser"
        ) from None
    unknown = sorted(set(data) - TOP_KEYS)
    if unknown:
        raise ld.fail(
            f"unknown top-level key(s) {', '.join(map(repr, unknown))}; valid: "
            + ", ".join(sorted(TOP_KEYS))
        )
    for section in SECTIONS:
        if section in data and not isinstance(data[section], list):
            raise ld.fail(f"{section!r} must be an array of tables: write [[{section}]]")
    try:
        for key in ("title", "description", "auditing", "allow_events"):
            if key in data:
                TOP.keys[key].check(data[key], key)
        for section, shape in SHAPES.items():
            for i, e in enumerate(data.get(section, [])):
                ld.at(section, i, e)
                shape.check(e, f"[[{section}]]")
        ld.where = ""
    except WfpError as err:
        raise ld.fail(err.message, err) from None
    try:
        sublayers = tuple(_sublayer(ld, i, e) for i, e in enumerate(data.get("sublayer", [])))
        callouts = tuple(_callout(ld, i, e) for i, e in enumerate(data.get("callout", [])))
        filters = tuple(_filter(ld, i, e) for i, e in enumerate(data.get("filter", [])))
        classify = tuple(_classify(ld, i, e) for i, e in enumerate(data.get("classify", [])))
        traffic = []
        for i, e in enumerate(data.get("traffic", [])):
            ld.at("traffic", i, e)
            traffic.append(parse_traffic(i, e))
        drivers = []
        for i, e in enumerate(data.get("driver", [])):
            ld.at("driver", i, e)
            drivers.append(parse_driver(i, e))
        ld.where = ""
        for key in ("auditing", "allow_events"):
            if not isinstance(data.get(key, False), bool):
                raise ld.fail(f"{key} = {data[key]!r} must be true or false")
    except WfpError as err:
        if isinstance(err, ScenarioError):
            raise
        raise ld.fail(err.message, err) from None
    except (ValueError, TypeError, ImportError) as err:
        raise ld.fail(str(err)) from None
    return Scenario(
        str(path),
        str(data.get("title", path.stem)),
        str(data.get("description", "")),
        sublayers,
        callouts,
        filters,
        classify,
        tuple(traffic),
        ld.lines,
        tuple(drivers),
        bool(data.get("auditing", False)),
        bool(data.get("allow_events", False)),
    )


def _sublayer(ld: _Loader, index: int, entry: Mapping[str, Any]) -> Sublayer:
    ld.at("sublayer", index, entry)
    ld.check_keys(entry, KEYS["sublayer"], "[[sublayer]]")
    name = ld.require(entry, "name", str)
    weight = _integer(entry.get("weight", 0))
    return Sublayer(name, weight, ld.guid_key(entry, "sublayer"), str(entry.get("description", "")))


def _callout(ld: _Loader, index: int, entry: Mapping[str, Any]) -> CalloutSpec:
    ld.at("callout", index, entry)
    ld.check_keys(entry, KEYS["callout"], "[[callout]]")
    name = ld.require(entry, "name", str)
    la = ld.require(entry, "layer", (str, int))
    callout = Callout(name, la, ld.guid_key(entry, "callout"), str(entry.get("description", "")))
    builtin = {k: entry[k] for k in BUILTIN_KEYS if k in entry}
    refs = {
        k: check_function_ref(entry[k], k) if k in entry else None
        for k in ("classify", "notify", "flow_delete")
    }
    behaviour = None
    if refs["classify"] is not None:
        if builtin:
            raise ld.fail(
                f"give either classify = 'module:function' or a built-in behaviour "
                f"({', '.join(sorted(builtin))}), not both"
            )
    else:
        for key in ("clear_write_right", "respect_write_right", "absorb"):
            if key in builtin and not isinstance(builtin[key], bool):
                raise ld.fail(f"{key} = {builtin[key]!r} must be true or false")
        if "returns" in builtin and not isinstance(builtin["returns"], str):
            raise ld.fail(
                f"returns = {builtin['returns']!r}: give PERMIT, BLOCK, CONTINUE or NOTHING"
            )
        behaviour = BuiltinCallout(**builtin)
    registered = entry.get("registered", True)
    if not isinstance(registered, bool):
        raise ld.fail(f"registered = {registered!r} must be true or false")
    return CalloutSpec(
        callout,
        behaviour,
        refs["classify"],
        refs["notify"],
        refs["flow_delete"],
        registered,
        index,
    )


def _weight(raw: Any) -> Weight | int | None:
    if raw is None:
        return None
    if isinstance(raw, Mapping):
        if set(raw) != {"range"}:
            raise ValueError(f"weight = {dict(raw)!r}: write {{ range = N }} with N in 0..15")
        return Weight.range(_integer(raw["range"]))
    value = _integer(raw)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"weight = {raw!r}: give an integer, a hex string or {{ range = N }}")
    return value


def _filter(ld: _Loader, index: int, entry: Mapping[str, Any]) -> Filter:
    ld.at("filter", index, entry)
    ld.check_keys(entry, KEYS["filter"], "[[filter]]")
    name = ld.require(entry, "name", str)
    la = layer(ld.require(entry, "layer", (str, int)))
    conditions = []
    for cond in entry.get("conditions", []):
        ld.check_keys(cond, CONDITION_KEYS, "a condition")
        if "field" not in cond:
            raise ld.fail("a condition needs field = '…'")
        value = _condition_value(cond.get("value"))
        made = Condition(str(cond["field"]), MatchType.parse(cond.get("match", "EQUAL")), value)
        resolved = resolve(la, made)  # the field exists at this layer and takes this value
        typed = resolved.value
        if isinstance(typed, Value) and typed.type == DataType.SECURITY_DESCRIPTOR_TYPE:
            check_sddl(str(typed.data), f"the value of {cond['field']}")
        conditions.append(made)
    action = Action.parse(entry.get("action", "PERMIT"))
    raw_flags = entry.get("flags", [])
    known = sum(f.value for f in FilterFlag)
    if isinstance(raw_flags, int) and raw_flags & ~known:
        raise ld.fail(
            f"flags = {raw_flags:#x} has unknown bit(s) {raw_flags & ~known:#x}; valid bits: "
            + ", ".join(f"{f.name} ({f.value:#x})" for f in FilterFlag if f.value)
        )
    flags = FilterFlag.parse(raw_flags)
    if action.is_callout and "callout" not in entry:
        raise ld.fail(f"a {action.name} filter needs callout = '…'")
    if not action.is_callout and "callout" in entry:
        raise ld.fail(
            f"a static {action.name} filter cannot name a callout; use CALLOUT_TERMINATING, "
            "CALLOUT_INSPECTION or CALLOUT_UNKNOWN"
        )
    return Filter(
        name,
        la,
        action,
        conditions,
        _weight(entry.get("weight")),
        entry.get("sublayer"),
        entry.get("callout"),
        flags,
        ld.guid_key(entry, "filter") if "key" in entry else uuid.UUID(int=0),
        str(entry.get("description", "")),
    )


def _classify(ld: _Loader, index: int, entry: Mapping[str, Any]) -> ClassifySpec:
    ld.at("classify", index, entry)
    ld.check_keys(entry, KEYS["classify"], "[[classify]]")
    la = layer(ld.require(entry, "layer", (str, int)))
    values = entry.get("values", {})
    if not isinstance(values, Mapping):
        raise ld.fail("values must be a table: values = { IP_REMOTE_PORT = 80 }")
    expect = entry.get("expect", {})
    ld.check_keys(expect, EXPECT_KEYS, "expect")
    if "action" in expect:
        Action.parse(str(expect["action"]))
    typed = {k: _condition_value(v) for k, v in values.items()}
    from wfpsim.classifier import incoming_values

    incoming_values(la, typed)  # check fields and types now, with the entry's line
    unregister = entry.get("unregister", [])
    if not isinstance(unregister, list) or not all(isinstance(u, str) for u in unregister):
        raise ld.fail('unregister must be a list of callout names: unregister = ["my callout"]')
    return ClassifySpec(
        index, la.short_name, typed, str(entry.get("name", "")), dict(expect), tuple(unregister)
    )
