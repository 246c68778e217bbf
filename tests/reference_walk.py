"""A reference walk of filter arbitration: small, slow and obviously right — the tests' oracle.

It shares nothing with ``wfpsim.arbitration`` or ``wfpsim.index`` but the single-condition
rule (``wfpsim.conditions.matches``, checked on its own against ``ipaddress``) and the
C-shaped callout arguments. It reads the committed filters through the public API, orders
them itself and walks every filter of every sublayer, following Microsoft's *Filter
Arbitration* page and the choices the engine documents where Microsoft is silent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from wfpsim import Action, Engine, FilterFlag
from wfpsim.callouts import ClassifyOut, IncomingValues, KernelFilter, MetaValues
from wfpsim.catalog import layer
from wfpsim.classifier import incoming_values
from wfpsim.conditions import matches
from wfpsim.registry import CalloutRegisterFlag

WRITE = 0x1  # FWPS_RIGHT_ACTION_WRITE
DECIDING = (Action.PERMIT, Action.BLOCK)


@dataclass
class Outcome:
    """What the reference walk decided."""

    action: Action = Action.NONE_NO_MATCH
    filter_id: int = 0
    rights: int = WRITE
    flags: int = 0
    veto: bool = False
    invoked: list[str] = field(default_factory=list)


def conditions_hold(flt: object, values: Mapping[str, object]) -> bool:
    """AND over fields, OR within a field; a missing value is FWP_EMPTY."""
    from wfpsim.values import Value

    fields: dict[str, list[object]] = {}
    for cond in flt.conditions:  # type: ignore[attr-defined]
        fields.setdefault(cond.field, []).append(cond)
    return all(
        any(matches(c, values.get(name, Value.empty())) for c in group)  # type: ignore[arg-type]
        for name, group in fields.items()
    )


def callout_answer(filter_action: Action, written: int, left_alone: bool) -> Action:
    """What a callout filter yields from the actionType its callout left."""
    if filter_action == Action.CALLOUT_INSPECTION:
        return Action.CONTINUE
    if filter_action == Action.CALLOUT_UNKNOWN and left_alone:
        return Action.CONTINUE
    if written in (Action.PERMIT, Action.BLOCK):
        return Action(written)
    if filter_action == Action.CALLOUT_TERMINATING:
        return Action.BLOCK
    return Action.CONTINUE if written == Action.CONTINUE else Action.BLOCK


def reference_classify(
    engine: Engine,
    layer_name: str,
    values: Mapping[str, object],
    sublayer_rank: Mapping[str, int],
    flow_contexts: Mapping[int, int] | None = None,
) -> Outcome:
    """Classify by walking every filter; ``sublayer_rank`` is each sublayer's creation order."""
    la = layer(layer_name)
    typed = incoming_values(la, values)
    in_fixed = IncomingValues.build(la, typed)
    by_condition = in_fixed.by_condition()
    flow_contexts = flow_contexts or {}
    subs = {s.key: s for s in engine.sublayers()}
    filters = engine.filters(la)
    order = sorted(
        {f.sublayer for f in filters},
        key=lambda k: (-subs[k].weight, sublayer_rank.get(subs[k].name, -1)),  # type: ignore[index]
    )
    out = Outcome()
    any_match = False
    for sub_key in order:
        sub = subs[sub_key]  # type: ignore[index]
        mine = [f for f in filters if f.sublayer == sub_key]
        mine.sort(key=lambda f: (-f.effective_weight, f.filter_id))
        for flt in mine:
            if not conditions_hold(flt, by_condition):
                continue
            any_match = True
            action = flt.action_type
            if action.is_callout:
                reg = engine.registry.get(flt.callout)  # type: ignore[arg-type]
                if reg is None:
                    if action == Action.CALLOUT_INSPECTION:
                        continue
                    action = (
                        Action.PERMIT
                        if flt.flags & FilterFlag.PERMIT_IF_CALLOUT_UNREGISTERED
                        else Action.BLOCK
                    )
                else:
                    if reg.flags & CalloutRegisterFlag.CONDITIONAL_ON_FLOW and not (
                        flow_contexts.get(reg.callout_id)
                    ):
                        continue
                    if call_callout(engine, flt, sub.weight, reg, in_fixed, out, flow_contexts):
                        break
                    continue
            # a static decision (or an unregistered callout acting as one)
            if out.rights & WRITE:
                hard = action == Action.BLOCK or flt.flags & FilterFlag.CLEAR_ACTION_RIGHT
                out.action, out.filter_id, out.flags = action, flt.filter_id, 0
                out.rights = 0 if hard else WRITE
            break  # a PERMIT or BLOCK ends the sublayer, applied or not
    if out.action not in DECIDING:
        out.action = Action.NONE if any_match else Action.NONE_NO_MATCH
        out.filter_id = 0
    return out


def call_callout(
    engine: Engine,
    flt: object,
    sub_weight: int,
    reg: object,
    in_fixed: IncomingValues,
    out: Outcome,
    flow_contexts: Mapping[int, int],
) -> bool:
    """Call one registered callout and apply its answer; True when it ends the sublayer."""
    name = engine.callout(flt.callout).name  # type: ignore[attr-defined]
    out.invoked.append(name)
    before = out.action if out.action in DECIDING else Action.NONE
    cls_out = ClassifyOut(before, 0, out.filter_id, out.rights, 0)
    kfilter = KernelFilter.from_filter(
        flt,  # type: ignore[arg-type]
        sub_weight,
        reg.callout_id,  # type: ignore[attr-defined]
        engine.filter_context(flt.filter_id),  # type: ignore[attr-defined]
    )
    context = flow_contexts.get(reg.callout_id, 0)  # type: ignore[attr-defined]
    try:
        reg.classify(in_fixed, MetaValues(), None, None, kfilter, context, cls_out)  # type: ignore[attr-defined]
        written = cls_out.action_type
        for member in (written, cls_out.rights, cls_out.flags):
            if not isinstance(member, int) or isinstance(member, bool):
                raise TypeError("classify_out holds a non-integer")
    except (Exception, SystemExit):
        # a faulting callout blocks, hard, unless the decision is already a hard block
        if not (out.action == Action.BLOCK and not out.rights & WRITE):
            out.action, out.rights, out.flags = Action.BLOCK, 0, 0
            out.filter_id = flt.filter_id  # type: ignore[attr-defined]
        return True
    left_alone = (int(written), cls_out.rights, cls_out.flags) == (int(before), out.rights, 0)
    answer = callout_answer(flt.action_type, int(written), left_alone)  # type: ignore[attr-defined]
    if answer == Action.CONTINUE:
        return False
    if out.rights & WRITE:
        if not (left_alone and answer == out.action):
            out.action, out.rights, out.flags = answer, cls_out.rights, cls_out.flags
            out.filter_id = flt.filter_id  # type: ignore[attr-defined]
    elif answer == Action.BLOCK and out.action == Action.PERMIT:
        out.veto = True
        out.action, out.rights, out.flags = Action.BLOCK, 0, cls_out.flags
        out.filter_id = flt.filter_id  # type: ignore[attr-defined]
    return True
