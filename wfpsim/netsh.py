"""Import a real machine's filters from ``netsh wfp show state`` / ``show filters`` output.

Usage: ``engine, report = load_netsh("wfpstate.xml")``.

What is imported: providers, sublayers (with their weights), callouts (the management
objects) and every filter with its conditions, action, flags, weight and **the run-time id and
effective weight Windows gave it** (the low 60 automatic bits are unpublished, so the dump's
value is kept rather than recomputed). ``show filters`` output has no sublayer or callout
section: sublayers named only by GUID get weight 0 and callouts are created at their filter's
layer — both listed in the report.

Callouts are driver code the dump does not contain. A ``show state`` dump says which callouts
a driver had registered (``FWPM_CALLOUT_FLAG_REGISTERED``); the others stay unregistered here too
(their terminating filters act as BLOCK, or PERMIT with ``PERMIT_IF_CALLOUT_UNREGISTERED``). A
registered callout gets, by default (``callouts="unknown"``), a model when it is one of Windows'
own (:mod:`wfpsim.windows_callouts`) and otherwise an :class:`~wfpsim.unknown.UnknownCallout`,
whose possible answers :mod:`wfpsim.analysis.whatif` explores (PERMIT, BLOCK or DEPENDS).
``callouts="unregistered"`` registers none; ``"stand-in"`` registers every callout as a
pass-through (``BuiltinCallout("CONTINUE")``, the kit's former default). Every object the kit
cannot represent is skipped and listed in the report (:class:`~wfpsim.importreport.ImportReport`),
never dropped silently; symbolic names resolve through the catalog, and a symbolic name it does
not know is kept as the object's name.

**What is read.** The file as UTF-8 (with or without a byte-order mark) or UTF-16 — little or
big endian, with a BOM (what PowerShell's ``>`` writes) or without one when the bytes show it
(the first character ``<`` or white space with a zero byte beside it). Anything else is
refused naming the problem and its byte offset. A ``<!DOCTYPE`` (which could declare entities:
"billion laughs", external files) is refused as such. Each item's values are checked: an id
or weight that is empty, not a number or outside its range, a missing or repeated
``filterId``, a condition value without its payload — each filter with one is skipped and
listed with the reason; an id is never renumbered silently.

**How fast.** One parse (``ElementTree``), one pass over each item's children, GUID, layer and
match-type look-ups cached, every object added in one transaction.
"""

from __future__ import annotations

import contextlib
import gc
import re
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from wfpsim.catalog import layer, named_guids, parse_guid, sdk_version
from wfpsim.conditions import Condition, MatchType, resolve
from wfpsim.dumpfile import (
    condition_value,
    items,
    number,
    parse_dump,
    read_dump,
    text_of,
    value_key,
    weight_of,
)
from wfpsim.dumpfile import kids as children
from wfpsim.engine import Engine
from wfpsim.errors import (
    ConditionNotFoundError,
    InvalidParameterError,
    LayerNotFoundError,
    WfpError,
)
from wfpsim.importreport import ImportReport
from wfpsim.objects import (
    Callout,
    CalloutFlag,
    Filter,
    FilterFlag,
    Provider,
    ProviderFlag,
    Sublayer,
    SublayerFlag,
)
from wfpsim.registry import CalloutRegisterFlag
from wfpsim.windows_callouts import IMPORT_MODES, register_imported

OUTPUT_ONLY_FLAGS = FilterFlag.INDEXED | FilterFlag.DISABLED

#: A symbolic identifier as dumps write them (``FWPM_PROVIDER_MPSSVC_APP_ISOLATION``).
SYMBOLIC = re.compile(r"[A-Z][A-Z0-9_]{2,}")
#: The namespace of keys derived from symbolic names the catalog does not know.
NAMESPACE = uuid.UUID("6f3c1a52-5e1b-4c8e-9a57-1b7e1d0c2a11")


class _Reader:
    """One import: the engine, the report and the caches of one pass over the dump."""

    def __init__(self, engine: Engine, mode: str, report: ImportReport) -> None:
        self.engine = engine
        self.session = engine.session
        self.mode = mode
        self.report = report
        self.guids: dict[str, uuid.UUID | None] = {}
        self.layers: dict[str, Any] = {}
        self.matches: dict[str, MatchType] = {}
        self.fields: dict[str, str] = {}
        self.values: dict[object, Any] = {}
        self.conditions: dict[tuple[str, str, str, object], Condition] = {}
        self.flags: dict[tuple[str, ...], FilterFlag] = {}
        self.names = named_guids()
        self.providers = {p.key for p in engine.providers()}
        self.sublayers = {s.key for s in engine.sublayers()}
        self.callouts = {c.key for c in engine.callouts()}
        self.filter_ids = {f.filter_id for f in engine.filters()}

    def guid(self, text: str) -> uuid.UUID | None:
        """A GUID written as ``{…}`` or as a symbolic name (cached). A symbolic name the catalog
        does not know keeps its name: it gets a key derived from it (``uuid5``), the same for
        every object that names it, and the report says so."""
        if text not in self.guids:
            found = (parse_guid(text) or self.names.get(text)) if text else None
            if found is None and text and SYMBOLIC.fullmatch(text):
                found = uuid.uuid5(NAMESPACE, text)
                self.report.inferred.append(
                    f"{text}: a symbolic name the catalog does not know (key {{{found}}})"
                )
            self.guids[text] = found
        return self.guids[text]

    def layer(self, text: str) -> Any:
        if text not in self.layers:
            try:
                self.layers[text] = layer(text)
            except WfpError as err:
                self.layers[text] = err
        found = self.layers[text]
        if isinstance(found, WfpError):
            raise found
        return found

    def value(self, el: ET.Element) -> Any:
        """A condition value (:func:`~wfpsim.dumpfile.condition_value`), cached by its text."""
        key = value_key(el)
        if key is None:  # ranges and blobs: nested, not cached
            return condition_value(el)
        if key not in self.values:
            self.values[key] = condition_value(el)
        return self.values[key]

    def condition(self, la: Any, el: ET.Element) -> Condition:
        """One ``filterCondition`` item, resolved against the filter's layer (cached: a
        layer's filters test the same fields for the same values again and again).

        A condition the layer refuses is returned unresolved: admission refuses it with the
        same error, after the checks it makes first, so the report names the same reason.
        """
        ck = children(el)
        field_text = text_of(ck, "fieldKey")
        value_el = ck.get("conditionValue")
        if value_el is None:
            raise InvalidParameterError(f"condition on {field_text} has no conditionValue")
        match_text = text_of(ck, "matchType")
        flat = value_key(value_el)
        key = (la.name, field_text, match_text, flat)
        if flat is not None and key in self.conditions:
            return self.conditions[key]
        if field_text not in self.fields:
            self.fields[field_text] = str(self.guid(field_text) or field_text)
        cond = Condition(self.fields[field_text], self.match(match_text), self.value(value_el))
        with contextlib.suppress(WfpError):  # admit_filter raises it in its order (see above)
            cond = resolve(la, cond)
        if flat is not None:
            self.conditions[key] = cond
        return cond

    def match(self, text: str) -> MatchType:
        if text not in self.matches:
            self.matches[text] = MatchType.parse(text)
        return self.matches[text]

    def filter_flags(self, flags: ET.Element | None) -> FilterFlag:
        names = tuple((i.text or "").strip() for i in items(flags))
        if names not in self.flags:
            value = 0
            for name in names:
                short = name.removeprefix("FWPM_FILTER_FLAG_")
                if short in FilterFlag.__members__:
                    value |= FilterFlag[short].value
            self.flags[names] = FilterFlag(value) & ~OUTPUT_ONLY_FLAGS
        return self.flags[names]

    # providers, sublayers, callouts ---------------------------------------------------
    def provider(self, item: ET.Element) -> None:
        kids = children(item)
        self.report.count("providers")
        key_text = text_of(kids, "providerKey")
        key = self.guid(key_text)
        if key is None:
            self.report.skip("providers", repr(key_text), "no providerKey GUID or name")
            return
        if key in self.providers:
            self.report.imported("providers")
            return
        # Everything in a dump outlives any session; boot-time filters reference providers the
        # dump does not flag persistent, so imported providers are made persistent (our choice).
        display = children(kids.get("displayData"))
        name = text_of(display, "name") or str(key)
        self.session.add_provider(
            Provider(name, key, text_of(display, "description"), ProviderFlag.PERSISTENT)
        )
        self.providers.add(key)
        self.report.imported("providers")

    def sublayer(self, item: ET.Element) -> None:
        kids = children(item)
        self.report.count("sublayers")
        key_text = text_of(kids, "subLayerKey")
        key = self.guid(key_text)
        if key is None:
            self.report.skip("sublayers", repr(key_text), "no subLayerKey GUID or name")
            return
        if key in self.sublayers:
            self.report.imported("sublayers")  # a built-in sublayer: already in the engine
            return
        display = children(kids.get("displayData"))
        name = text_of(display, "name") or str(key)
        try:
            weight = number(text_of(kids, "weight") or "0", "weight", 0xFFFF)
        except InvalidParameterError as err:
            self.report.skip("sublayers", repr(name), err.message)
            return
        sub = Sublayer(name, weight, key, text_of(display, "description"), SublayerFlag.PERSISTENT)
        self.session.add_sublayer(sub)
        self.sublayers.add(key)
        self.report.imported("sublayers")

    def callout(self, item: ET.Element) -> None:
        kids = children(item)
        self.report.count("callouts")
        key_text = text_of(kids, "calloutKey")
        key = self.guid(key_text)
        display = children(kids.get("displayData"))
        name = text_of(display, "name") or key_text
        if key is None:
            self.report.skip("callouts", repr(name), "no calloutKey GUID or name")
            return
        if key in self.callouts:
            self.report.imported("callouts")
            return
        try:
            la = self.layer(text_of(kids, "applicableLayer"))
        except WfpError as err:
            self.report.skip("callouts", repr(name), _why(err))
            return
        if not la.accepts_callouts:
            reason = f"{la.short_name} is a user-mode layer: callouts run only in kernel drivers"
            self.report.skip("callouts", repr(name), reason)
            return
        flags = [(i.text or "").strip() for i in items(kids.get("flags"))]
        manage = CalloutFlag.NONE
        for f in flags:
            short = f.removeprefix("FWPM_CALLOUT_FLAG_")
            if short in CalloutFlag.__members__:
                manage |= CalloutFlag[short]
        register = CalloutRegisterFlag.NONE
        for f in flags:
            short = f.removeprefix("FWP_CALLOUT_FLAG_")
            if f.startswith("FWP_CALLOUT_FLAG_") and short in CalloutRegisterFlag.__members__:
                register |= CalloutRegisterFlag[short]
        provider = self.guid(text_of(kids, "providerKey"))
        callout = Callout(name, la, key, text_of(display, "description"), manage, provider)
        self.session.add_callout(callout)
        # ``show state`` says whether a driver registered the callout (FWPM_CALLOUT_FLAG_REGISTERED)
        registered = bool(manage & CalloutFlag.REGISTERED)
        register_imported(self.engine, callout, registered, register, self.mode)
        self.callouts.add(key)
        self.report.imported("callouts")

    # filters --------------------------------------------------------------------------
    def filter(self, item: ET.Element) -> None:
        kids = children(item)
        self.report.count("filters")
        display = children(kids.get("displayData"))
        name = text_of(display, "name") or text_of(kids, "filterKey")
        id_text = text_of(kids, "filterId")
        try:
            self._add_filter(kids, display, name, id_text)
        except (WfpError, ValueError) as err:
            self.report.skip("filters", f"{name!r} ({id_text or 'no id'})", _why(err))

    def _add_filter(
        self, kids: dict[str, ET.Element], display: dict[str, ET.Element], name: str, id_text: str
    ) -> None:
        if not id_text:
            raise InvalidParameterError("no filterId (every filter in a dump has one)")
        filter_id = number(id_text, "filterId")
        if filter_id == 0:
            raise InvalidParameterError("filterId 0 (Windows numbers filters from 1)")
        if filter_id in self.filter_ids:
            raise InvalidParameterError(f"filterId {filter_id} is used by another filter")
        effective = number(
            text_of(children(kids.get("effectiveWeight")), "uint64") or "0", "effectiveWeight"
        )
        la = self.layer(text_of(kids, "layerKey"))
        sub_key = self.guid(text_of(kids, "subLayerKey")) or la.default_sublayer
        if sub_key not in self.sublayers:
            self.session.add_sublayer(
                Sublayer(str(sub_key), 0, sub_key, flags=SublayerFlag.PERSISTENT)
            )
            self.sublayers.add(sub_key)
            self.report.inferred.append(f"sublayer {{{sub_key}}} (weight unknown: 0)")
        action_kids = children(kids.get("action"))
        action = text_of(action_kids, "type").removeprefix("FWP_ACTION_")
        callout_key = None
        if action.startswith("CALLOUT"):
            callout_key = self.guid(text_of(action_kids, "filterType"))
        if callout_key is not None and callout_key not in self.callouts:
            inferred = Callout(str(callout_key), la, callout_key)
            self.session.add_callout(inferred)
            # ``show filters`` has no callout section: whether a driver registered it is unknown
            register_imported(self.engine, inferred, True, CalloutRegisterFlag.NONE, self.mode)
            self.callouts.add(callout_key)
            self.report.inferred.append(f"callout {{{callout_key}}} at {la.short_name}")
        conditions = [self.condition(la, c) for c in items(kids.get("filterCondition"))]
        stored = self.session.add_filter(
            Filter(
                name,
                la,
                action,
                conditions,
                weight_of(kids.get("weight")),
                sub_key,
                callout_key,
                self.filter_flags(kids.get("flags")),
                self.guid(text_of(kids, "filterKey")) or uuid.UUID(int=0),
                text_of(display, "description"),
                self.guid(text_of(kids, "providerKey")),
                filter_id=filter_id,
                effective_weight=effective,
            )
        )
        self.filter_ids.add(filter_id)
        if getattr(stored, "filter_id", filter_id) != filter_id:  # never renumber silently
            self.report.inferred.append(
                f"filter {name!r}: id {filter_id} was taken, the engine gave it {stored.filter_id}"
            )
        self.report.imported("filters")


def load_netsh(
    path: str | Path, engine: Engine | None = None, callouts: str = "unknown"
) -> tuple[Engine, ImportReport]:
    """Build an engine from a dump; returns it with an :class:`ImportReport`.

    Args:
        path: a ``netsh wfp show state`` or ``show filters`` XML file (UTF-8 or UTF-16).
        engine: add to this engine (a new one by default).
        callouts: ``"unknown"`` (the default; ``"permit"`` and ``"block"`` import the same),
            ``"unregistered"`` or ``"stand-in"`` (see the module doc).

    Raises:
        InvalidParameterError: the file cannot be read or decoded, holds a DOCTYPE, is not
            netsh WFP XML, or ``callouts`` is unknown.
    """
    if callouts not in IMPORT_MODES:
        valid = ", ".join(repr(m) for m in IMPORT_MODES)
        raise InvalidParameterError(f"callouts={callouts!r}; valid: {valid}")
    path = Path(path)
    paused = gc.isenabled()
    gc.disable()  # see _load
    try:
        return _load(path, engine, callouts)
    finally:
        if paused:
            gc.enable()


def _load(path: Path, engine: Engine | None, callouts: str) -> tuple[Engine, ImportReport]:
    """:func:`load_netsh`'s work, run while the cyclic garbage collector waits.

    Parsing and importing make hundreds of thousands of objects and no cyclic garbage; left
    running, the collector would walk the growing tree again and again (a third of the time
    of a large import). Reference counting frees everything as usual meanwhile.
    """
    root = parse_dump(read_dump(path), str(path))
    top_kids = children(root)
    state = top_kids.get("wfpstate")
    top = state if state is not None else top_kids.get("wfpdiag")
    if top is None:
        raise InvalidParameterError(f"{path}: no <wfpstate> or <wfpdiag> element")
    engine = engine or Engine()
    report = ImportReport(str(path), "show state" if state is not None else "show filters")
    reader = _Reader(engine, callouts, report)
    sections = children(top)
    layer_items = [children(item) for item in items(sections.get("layers"))]
    own = not engine.session.in_transaction
    if own:
        engine.session.begin()
    try:
        for item in items(sections.get("providers")):
            reader.provider(item)
        for item in items(sections.get("subLayers")):
            reader.sublayer(item)
        for kids in layer_items:
            for item in items(kids.get("callouts")):
                reader.callout(item)
        for item in items(sections.get("filters")):
            reader.filter(item)
        for kids in layer_items:
            for item in items(kids.get("filters")):
                reader.filter(item)
    except BaseException:
        if own and engine.session.in_transaction:
            engine.session.abort()
        raise
    if own:
        engine.session.commit()
    return engine, report


def _why(err: Exception) -> str:
    """The reason without the how-to-type-a-name hint meant for hand-written input."""
    text = str(err).split("; give ", 1)[0]
    if isinstance(err, (LayerNotFoundError, ConditionNotFoundError)):
        text += f" (not in wfpsim's catalog, built from the Windows SDK {sdk_version()} headers)"
    return text
