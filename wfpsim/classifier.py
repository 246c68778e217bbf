"""Classify at one layer: build what callouts see, run arbitration, count and report.

The rules live in :mod:`wfpsim.arbitration`; this module only prepares the inputs
(``FWPS_INCOMING_VALUES0``, ``FWPS_FILTER``, ``FWPS_CLASSIFY_OUT0``) and calls callouts,
containing any exception a Python callout raises.
"""

from __future__ import annotations

import os
import traceback
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from wfpsim.arbitration import arbitrate, normalise
from wfpsim.callouts import ClassifyOut, IncomingValues, KernelFilter, MetaValues
from wfpsim.catalog import Layer, layer
from wfpsim.conditions import coerce, field_for
from wfpsim.kernel import CURRENT_ENGINE
from wfpsim.objects import Action, Filter, Sublayer
from wfpsim.registry import CalloutRegisterFlag
from wfpsim.trace import CalloutCall, Classification
from wfpsim.values import DataType, Value

if TYPE_CHECKING:
    from wfpsim.engine import Engine


@dataclass(slots=True)
class LayerStatistics:
    """``FWPM_LAYER_STATISTICS0``-style counters for one layer."""

    classify_permit_count: int = 0
    classify_block_count: int = 0
    classify_veto_count: int = 0
    classify_count: int = 0


@dataclass(frozen=True, slots=True)
class VetoEvent:
    """A veto notification: which callout filter overrode which hard permit."""

    layer: str
    filter_id: int
    filter_name: str
    overridden: str
    audit_event_id: int = 5153


@dataclass(slots=True)
class ClassifyLog:
    """What classification leaves behind on the engine: statistics and veto events."""

    statistics: dict[str, LayerStatistics] = field(default_factory=dict)
    vetoes: list[VetoEvent] = field(default_factory=list)


def incoming_values(la: Layer, values: Mapping[str, Any] | None) -> dict[str, Value]:
    """Friendly field → value input to typed incoming values keyed by condition name.

    Integers are typed as the field is; ``"10.1.2.3"`` becomes a host-order ``FWP_UINT32``;
    a path becomes an app-id blob; a user id string becomes token information.
    """
    out: dict[str, Value] = {}
    for name, raw in (values or {}).items():
        fld = field_for(la, name)
        assert fld.condition is not None and fld.type is not None
        tokens = (DataType.TOKEN_ACCESS_INFORMATION_TYPE, DataType.TOKEN_INFORMATION_TYPE)
        if fld.type == DataType.SECURITY_DESCRIPTOR_TYPE and isinstance(raw, str):
            value = Value(DataType.TOKEN_ACCESS_INFORMATION_TYPE, raw)
        elif isinstance(raw, Value) and raw.type in tokens:
            value = raw  # what classify hands over for a user: the token, not a descriptor
        else:
            value = coerce(fld.type, [fld.type], raw, f"{fld.condition} at {la.short_name}")
        out[fld.condition] = value
    return out


def classify(
    engine: Engine,
    layer_ref: Layer | str | int,
    values: Mapping[str, Any] | None = None,
    meta: MetaValues | None = None,
    layer_data: object = None,
    flow_contexts: Mapping[int, int] | None = None,
) -> Classification:
    """Classify once at a layer with the engine's committed filters."""
    la = layer(layer_ref)
    typed = incoming_values(la, values)
    in_fixed = IncomingValues.build(la, typed)
    in_meta = meta or MetaValues()
    state = engine._state
    registry = engine.registry

    def is_registered(flt: Filter) -> bool:
        return isinstance(flt.callout, uuid.UUID) and registry.get(flt.callout) is not None

    def invoke(flt: Filter, sub: Sublayer, out: ClassifyOut) -> CalloutCall:
        assert isinstance(flt.callout, uuid.UUID)
        reg = registry.get(flt.callout)
        assert reg is not None and reg.classify is not None
        callout = state.callouts.get(flt.callout)
        name = callout.name if callout else str(flt.callout)
        saw_action, saw_rights = Action(out.action_type), out.rights
        kfilter = KernelFilter.from_filter(
            flt, sub.weight, reg.callout_id, engine.kernel_filter_contexts.get(flt.filter_id)
        )
        context = (flow_contexts or {}).get(reg.callout_id, 0)
        fault = ""
        try:
            reg.classify(in_fixed, in_meta, layer_data, None, kfilter, context, out)
        except Exception as err:  # a faulty callout must not take the engine down
            frames = traceback.extract_tb(err.__traceback__)
            here = os.path.dirname(os.path.abspath(__file__))
            own = [f for f in frames[1:] if not os.path.abspath(f.filename).startswith(here)]
            frame = (own or frames)[-1]  # the innermost line of the callout's own code
            fault = f"{type(err).__name__}: {err} (at {frame.filename}:{frame.lineno})"
        written = int(out.action_type)
        call = CalloutCall(
            name, saw_action, saw_rights, written, out.rights, out.flags, Action.BLOCK, "", fault
        )
        if fault:
            return replace(call, note="callout fault: blocked")
        normalized, note = normalise(flt.action_type, written, call.left_alone)
        return replace(call, normalized=normalized, note=note)

    def skip_call(flt: Filter) -> bool:
        assert isinstance(flt.callout, uuid.UUID)
        reg = registry.get(flt.callout)
        if reg is None or not reg.flags & CalloutRegisterFlag.CONDITIONAL_ON_FLOW:
            return False
        return not (flow_contexts or {}).get(reg.callout_id)

    token = CURRENT_ENGINE.set(engine)
    try:
        result = arbitrate(
            la.short_name,
            la.id,
            state.evaluation_order(la),
            in_fixed.by_condition(),
            invoke,
            is_registered,
            skip_call,
        )
    finally:
        CURRENT_ENGINE.reset(token)
    stats = engine.classify_log.statistics.setdefault(la.short_name, LayerStatistics())
    stats.classify_count += 1
    if result.action == Action.PERMIT:
        stats.classify_permit_count += 1
    elif result.action == Action.BLOCK:
        stats.classify_block_count += 1
    if result.veto:
        stats.classify_veto_count += 1
        engine.classify_log.vetoes.append(
            VetoEvent(
                la.short_name,
                result.decision.filter_id,
                result.decision.filter_name or "",
                result.vetoed,
            )
        )
    return result
