"""Import a real machine's filters from ``netsh wfp show state`` / ``show filters`` output.

Usage: ``engine, report = load_netsh("wfpstate.xml")``.

What is imported: providers, sublayers (with their weights), callouts (the management
objects) and every filter with its conditions, action, flags, weight and **the run-time id and
effective weight Windows gave it** (the low 60 automatic bits are unpublished, so the dump's
value is kept rather than recomputed). ``show filters`` output has no sublayer or callout
section: sublayers named only by GUID get weight 0 and callouts are created at their filter's
layer — both listed in the report.

Callouts are driver code the dump does not contain. **Our choice:** by default each imported
callout is registered as a pass-through stand-in (``BuiltinCallout("CONTINUE")``) so that
classification shows the static policy; ``callouts="unregistered"`` leaves them unregistered
instead (then terminating callout filters act as BLOCK, as on a machine whose driver failed to
load). Filters the kit cannot represent are skipped and listed in the report, never dropped
silently.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wfpsim.callouts import BuiltinCallout
from wfpsim.catalog import layer, named_guids, parse_guid, sdk_version
from wfpsim.conditions import Condition, MatchType
from wfpsim.engine import Engine
from wfpsim.errors import (
    ConditionNotFoundError,
    InvalidParameterError,
    LayerNotFoundError,
    WfpError,
)
from wfpsim.objects import (
    Callout,
    Filter,
    FilterFlag,
    Provider,
    ProviderFlag,
    Sublayer,
    SublayerFlag,
    Weight,
)
from wfpsim.values import DataType, Value, parse_ipv6

OUTPUT_ONLY_FLAGS = FilterFlag.INDEXED | FilterFlag.DISABLED


@dataclass(slots=True)
class ImportReport:
    """What an import did: counts, what was created by inference, what was skipped and why."""

    source: str
    kind: str = ""
    providers: int = 0
    sublayers: int = 0
    callouts: int = 0
    filters: int = 0
    inferred: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [
            f"{self.source} ({self.kind}): {self.filters} filters, {self.sublayers} sublayers, "
            f"{self.callouts} callouts, {self.providers} providers imported"
        ]
        if self.inferred:
            lines.append(f"inferred ({len(self.inferred)}): " + "; ".join(self.inferred[:5]))
        if self.skipped:
            lines.append(f"skipped ({len(self.skipped)}), by reason:")
            groups: dict[str, list[str]] = {}
            for entry in self.skipped:
                what, _, reason = entry.partition(": ")
                groups.setdefault(reason, []).append(what)
            for reason, whats in groups.items():
                more = f" and {len(whats) - 1} more" if len(whats) > 1 else ""
                lines.append(f"  {whats[0]}{more}: {reason}")
        return "\n".join(lines)


def _root(text: str) -> ET.Element:
    """``show state`` files hold two top-level elements: wrap them in one."""
    text = text.lstrip("\ufeff")
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    try:
        return ET.fromstring(f"<netsh>{text}</netsh>")
    except ET.ParseError as err:
        raise InvalidParameterError(f"not netsh WFP XML: {err}") from None


def _text(el: ET.Element | None, path: str, default: str = "") -> str:
    found = el.find(path) if el is not None else None
    return (found.text or "").strip() if found is not None and found.text else default


def _guid(text: str) -> uuid.UUID | None:
    """A GUID written as ``{…}`` or as a well-known symbolic name."""
    if not text:
        return None
    return parse_guid(text) or named_guids().get(text)


def _items(el: ET.Element | None, path: str) -> list[ET.Element]:
    found = el.find(path) if el is not None else None
    return list(found.findall("item")) if found is not None else []


def _flags(el: ET.Element | None, prefix: str) -> list[str]:
    return [(i.text or "").strip().removeprefix(prefix) for i in _items(el, "flags")]


def _value(el: ET.Element) -> Any:
    """A ``conditionValue`` / ``valueLow`` element as something ``Condition`` accepts."""
    kind = _text(el, "type")
    if kind == "FWP_EMPTY":
        return Value.empty()
    if kind == "FWP_RANGE_TYPE":
        rng = el.find("rangeValue")
        assert rng is not None
        low, high = rng.find("valueLow"), rng.find("valueHigh")
        assert low is not None and high is not None
        return Value.range(_typed(low), _typed(high))
    return _typed(el)


def _typed(el: ET.Element) -> Value:
    kind = DataType.parse(_text(el, "type"))
    payload = el.find(kind.name.lower().removesuffix("_type").replace("_", "")) or el[-1]
    text = (payload.text or "").strip()
    if kind in (DataType.UINT8, DataType.UINT16, DataType.UINT32, DataType.UINT64):
        number = Value.ipv4(text).uint32 if "." in text else int(text, 0)
        return Value.integer(kind, number)
    if kind == DataType.BYTE_BLOB_TYPE:
        return Value.blob(bytes.fromhex(_text(payload, "data")))
    if kind == DataType.BYTE_ARRAY16_TYPE:
        return Value(kind, parse_ipv6(text))
    if kind in (DataType.SECURITY_DESCRIPTOR_TYPE, DataType.SID, DataType.UNICODE_STRING_TYPE):
        return Value(kind, text)
    if kind == DataType.BYTE_ARRAY6_TYPE:
        return Value(kind, bytes.fromhex(re.sub(r"[-:]", "", text)))
    raise InvalidParameterError(f"condition value of type {kind.fwp_name} is not supported")


def _weight(el: ET.Element | None) -> Weight:
    kind = _text(el, "type", "FWP_EMPTY")
    if kind == "FWP_UINT8":
        return Weight.range(int(_text(el, "uint8")))
    if kind == "FWP_UINT64":
        return Weight.exact(int(_text(el, "uint64")))
    return Weight.empty()


def load_netsh(
    path: str | Path, engine: Engine | None = None, callouts: str = "stand-in"
) -> tuple[Engine, ImportReport]:
    """Build an engine from a dump; returns it with an :class:`ImportReport`.

    Args:
        path: a ``netsh wfp show state`` or ``show filters`` XML file.
        engine: add to this engine (a new one by default).
        callouts: ``"stand-in"`` (registered pass-through, the default) or ``"unregistered"``.

    Raises:
        InvalidParameterError: the file is not netsh WFP XML, or ``callouts`` is unknown.
    """
    if callouts not in ("stand-in", "unregistered"):
        raise InvalidParameterError(f"callouts={callouts!r}; valid: 'stand-in', 'unregistered'")
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as err:
        raise InvalidParameterError(f"cannot read {path}: {err.strerror}") from None
    root = _root(text)
    engine = engine or Engine()
    report = ImportReport(str(path))
    state = root.find("wfpstate")
    report.kind = "show state" if state is not None else "show filters"
    top = state if state is not None else root.find("wfpdiag")
    if top is None:
        raise InvalidParameterError(f"{path}: no <wfpstate> or <wfpdiag> element")
    session = engine.session
    for item in _items(top, "providers"):
        key = _guid(_text(item, "providerKey"))
        if key is None or key in {p.key for p in engine.providers()}:
            continue
        # Everything in a dump outlives any session; boot-time filters reference providers the
        # dump does not flag persistent, so imported providers are made persistent (our choice).
        flags = ProviderFlag.PERSISTENT
        name = _text(item, "displayData/name") or str(key)
        session.add_provider(Provider(name, key, _text(item, "displayData/description"), flags))
        report.providers += 1
    known = {s.key for s in engine.sublayers()}
    for item in _items(top, "subLayers"):
        key = _guid(_text(item, "subLayerKey"))
        if key is None or key in known:
            continue
        sub = Sublayer(
            _text(item, "displayData/name") or str(key),
            int(_text(item, "weight", "0")),
            key,
            _text(item, "displayData/description"),
            SublayerFlag.PERSISTENT,
        )
        session.add_sublayer(sub)
        known.add(key)
        report.sublayers += 1
    filters = _collect(top)
    for item in _collect_callouts(top):
        _add_callout(engine, item, callouts, report)
    for item in filters:
        try:
            _add_filter(engine, item, known, callouts, report)
        except (WfpError, ValueError, AssertionError) as err:
            name = _text(item, "displayData/name") or _text(item, "filterKey")
            report.skipped.append(f"filter {name!r} ({_text(item, 'filterId')}): {_why(err)}")
    return engine, report


def _why(err: Exception) -> str:
    """The reason without the how-to-type-a-name hint meant for hand-written input."""
    text = str(err).split("; give ", 1)[0]
    if isinstance(err, (LayerNotFoundError, ConditionNotFoundError)):
        text += f" (not in wfpsim's catalog, built from the Windows SDK {sdk_version()} headers)"
    return text


def _collect(top: ET.Element) -> list[ET.Element]:
    out = list(_items(top, "filters"))
    for layer_item in _items(top, "layers"):
        out += _items(layer_item, "filters")
    return out


def _collect_callouts(top: ET.Element) -> list[ET.Element]:
    out = []
    for layer_item in _items(top, "layers"):
        out += _items(layer_item, "callouts")
    return out


def _add_callout(engine: Engine, item: ET.Element, mode: str, report: ImportReport) -> None:
    key = _guid(_text(item, "calloutKey"))
    if key is None or key in {c.key for c in engine.callouts()}:
        return
    try:
        la = layer(_text(item, "applicableLayer"))
    except WfpError as err:
        report.skipped.append(f"callout {_text(item, 'displayData/name')!r}: {_why(err)}")
        return
    if not la.accepts_callouts:
        return
    name = _text(item, "displayData/name") or str(key)
    engine.session.add_callout(Callout(name, la, key, _text(item, "displayData/description")))
    if mode == "stand-in":
        engine.register_callout(key, BuiltinCallout("CONTINUE"))
    report.callouts += 1


def _add_filter(
    engine: Engine, item: ET.Element, known: set[uuid.UUID], mode: str, report: ImportReport
) -> None:
    la = layer(_text(item, "layerKey"))
    name = _text(item, "displayData/name") or _text(item, "filterKey")
    sub_key = _guid(_text(item, "subLayerKey")) or la.default_sublayer
    if sub_key not in known:
        engine.session.add_sublayer(
            Sublayer(str(sub_key), 0, sub_key, flags=SublayerFlag.PERSISTENT)
        )
        known.add(sub_key)
        report.sublayers += 1
        report.inferred.append(f"sublayer {{{sub_key}}} (weight unknown: 0)")
    flag_names = _flags(item, "FWPM_FILTER_FLAG_")
    flags = FilterFlag.NONE
    for flag in flag_names:
        if flag in FilterFlag.__members__:
            flags |= FilterFlag[flag]
    flags &= ~OUTPUT_ONLY_FLAGS
    action = _text(item, "action/type").removeprefix("FWP_ACTION_")
    callout_key = _guid(_text(item, "action/filterType")) if action.startswith("CALLOUT") else None
    if callout_key is not None and callout_key not in {c.key for c in engine.callouts()}:
        engine.session.add_callout(Callout(str(callout_key), la, callout_key))
        if mode == "stand-in":
            engine.register_callout(callout_key, BuiltinCallout("CONTINUE"))
        report.callouts += 1
        report.inferred.append(f"callout {{{callout_key}}} at {la.short_name}")
    conditions = [
        Condition(
            str(_guid(_text(c, "fieldKey")) or _text(c, "fieldKey")),
            MatchType.parse(_text(c, "matchType")),
            _value(c.find("conditionValue")),  # type: ignore[arg-type]
        )
        for c in _items(item, "filterCondition")
    ]
    provider = _guid(_text(item, "providerKey"))
    effective = int(_text(item, "effectiveWeight/uint64", "0"))
    engine.session.add_filter(
        Filter(
            name,
            la,
            action,
            conditions,
            _weight(item.find("weight")),
            sub_key,
            callout_key,
            flags,
            _guid(_text(item, "filterKey")) or uuid.UUID(int=0),
            _text(item, "displayData/description"),
            provider,
            filter_id=int(_text(item, "filterId", "0")),
            effective_weight=effective,
        )
    )
    report.filters += 1
