"""Filter arbitration at one layer — a pure function of the ordered filters and the values.

The algorithm follows Microsoft's *Filter Arbitration* page and the callout pages it relies
on (*FWPS_CLASSIFY_OUT0*, *FWPS_ACTION0*, *Types of Callouts*; all on Microsoft Learn):

* sublayers from highest weight; every sublayer is evaluated;
* inside a sublayer, matching filters from highest effective weight; the first PERMIT or
  BLOCK ends the sublayer (later filters and their callouts are skipped); CONTINUE goes on;
* the decision and the write right (``FWPS_RIGHT_ACTION_WRITE``) are carried from sublayer to
  sublayer: a static PERMIT is soft, a static BLOCK hard, ``CLEAR_ACTION_RIGHT`` makes a
  decision hard; a lower sublayer may override a soft decision only;
* a callout that returns BLOCK without the write right while the decision is PERMIT
  **vetoes** it; a static filter never vetoes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace

from wfpsim.callouts import ClassifyOut
from wfpsim.conditions import filter_matches
from wfpsim.objects import Action, Filter, FilterFlag, Sublayer
from wfpsim.trace import (
    ABSORB,
    WRITE,
    CalloutCall,
    Classification,
    Decision,
    Effect,
    FilterStep,
    SublayerRecord,
    WalkRecord,
    filter_step,
)
from wfpsim.values import Value

#: Invoke a filter's callout: fills ``classify_out`` and returns the call record.
Invoker = Callable[[Filter, Sublayer, ClassifyOut], CalloutCall]

CHOICE_UNKNOWN_NOTHING = (
    "[our choice] a CALLOUT_UNKNOWN callout that leaves classifyOut untouched is read as CONTINUE"
)
CHOICE_UNKNOWN_ODD = "[our choice] a CALLOUT_UNKNOWN callout's odd return is read as BLOCK"
CHOICE_NO_DECISION = (
    "[our choice] NONE / NONE_NO_MATCH lets traffic pass (Microsoft documents no default)"
)
#: FWPM_FILTER0 says such a filter "is treated as a permit filter" (or a block filter without
#: the flag); our reading is that it then follows the static rules exactly.
CHOICE_UNREGISTERED = (
    "[our reading] a filter whose callout is not registered acts as a static filter: "
    "its BLOCK is hard, a PERMIT_IF_CALLOUT_UNREGISTERED permit soft "
    "(hard only with CLEAR_ACTION_RIGHT)"
)
CHOICE_FAULT = (
    "[our choice] a callout that raises is read as BLOCK (in the kernel it would bug-check)"
)


def normalise(filter_action: Action, written: int, left_alone: bool) -> tuple[Action, str]:
    """What a callout filter yields, from the ``actionType`` its callout left.

    Microsoft Learn, *FWPS_ACTION0 structure*: what each filter action lets a callout return.

    Returns the action and a note when the written value was reinterpreted.
    """
    names = {int(a): a.name for a in Action}
    shown = names.get(written, f"{written:#x}")
    if filter_action == Action.CALLOUT_INSPECTION:
        note = "" if written == Action.CONTINUE or left_alone else f"{shown} read as CONTINUE"
        return Action.CONTINUE, note
    if filter_action == Action.CALLOUT_UNKNOWN and left_alone:
        return Action.CONTINUE, CHOICE_UNKNOWN_NOTHING
    if written in (Action.BLOCK, Action.PERMIT):
        return Action(written), ""
    if filter_action == Action.CALLOUT_TERMINATING:
        return Action.BLOCK, f"a terminating callout returned {shown}: treated as BLOCK"
    if written == Action.CONTINUE:
        return Action.CONTINUE, ""
    return Action.BLOCK, f"{shown}: {CHOICE_UNKNOWN_ODD}"


_step = filter_step


def _static_decision(flt: Filter, action: Action, sub: Sublayer, source: str) -> Decision:
    hard = action == Action.BLOCK or bool(flt.flags & FilterFlag.CLEAR_ACTION_RIGHT)
    return Decision(action, 0 if hard else WRITE, 0, flt.filter_id, flt.name, sub.name, source)


class _Arbiter:
    """The mutable walk behind :func:`arbitrate`: the decision so far and the records."""

    def __init__(
        self,
        invoke: Invoker,
        is_registered: Callable[[Filter], bool],
        skip_call: Callable[[Filter], bool] | None = None,
    ) -> None:
        self.invoke = invoke
        self.is_registered = is_registered
        self.skip_call = skip_call or (lambda flt: False)
        self.vetoed = ""
        self.state = Decision()
        self.any_match = False
        self.veto = False
        self.invoked: list[str] = []
        self.faults: list[str] = []
        self.choices: list[str] = []

    def choose(self, note: str) -> None:
        if note not in self.choices:
            self.choices.append(note)

    def sublayer(
        self, sub: Sublayer, candidates: Iterable[Filter], values: Mapping[str, Value]
    ) -> SublayerRecord:
        """Walk one sublayer's candidates; the first PERMIT/BLOCK ends it.

        ``candidates`` are the filters that can match, in effective-weight order (all of
        them, or what :mod:`wfpsim.index` selects); only those that match are recorded.
        """
        matched: dict[int, FilterStep] = {}
        ended_with = Action.NONE_NO_MATCH
        for flt in candidates:
            if not filter_matches(flt.conditions, values).matched:
                continue
            self.any_match = True
            ended_with = Action.NONE
            step, action = self.matched(flt, sub)
            matched[flt.filter_id] = step
            if action in (Action.PERMIT, Action.BLOCK):
                return SublayerRecord(sub, matched, flt.filter_id, action, flt.name, self.state)
        return SublayerRecord(sub, matched, None, ended_with, None, self.state)

    def matched(self, flt: Filter, sub: Sublayer) -> tuple[FilterStep, Action]:
        """A matching filter: static, unregistered callout, or a callout call."""
        if not flt.is_callout:
            action = flt.action_type
            source = f"static {action.name.lower()}"
            if flt.flags & FilterFlag.CLEAR_ACTION_RIGHT:
                source += " with CLEAR_ACTION_RIGHT"
            return self.static(flt, sub, action, source), action
        if not self.is_registered(flt):
            if flt.action_type == Action.CALLOUT_INSPECTION:
                return _step(flt, Effect.UNREGISTERED_SKIPPED), Action.CONTINUE
            self.choose(CHOICE_UNREGISTERED)
            if flt.flags & FilterFlag.PERMIT_IF_CALLOUT_UNREGISTERED:
                source = "unregistered callout, PERMIT_IF_CALLOUT_UNREGISTERED"
                return self.static(flt, sub, Action.PERMIT, source), Action.PERMIT
            source = "unregistered callout: acts as a block filter"
            return self.static(flt, sub, Action.BLOCK, source), Action.BLOCK
        if self.skip_call(flt):
            return _step(flt, Effect.NO_FLOW_CONTEXT), Action.CONTINUE
        return self.callout(flt, sub)

    def static(self, flt: Filter, sub: Sublayer, action: Action, source: str) -> FilterStep:
        """A static decision applies only while the write right is held."""
        if self.state.rights & WRITE:
            self.state = _static_decision(flt, action, sub, source)
            return _step(flt, Effect.DECIDED, note=source)
        return _step(flt, Effect.IGNORED, note=source)

    def callout(self, flt: Filter, sub: Sublayer) -> tuple[FilterStep, Action]:
        """Call the callout with the decision so far and apply what it returns."""
        st = self.state
        # flags start empty for every callout: an earlier callout's ABSORB is its own business
        call = self.invoke(flt, sub, ClassifyOut(st.action, 0, st.filter_id, st.rights, 0))
        self.invoked.append(call.callout)
        if call.fault:
            self.faults.append(f"callout {call.callout!r} (filter {flt.name!r}): {call.fault}")
            self.choose(CHOICE_FAULT)
            if not (st.action == Action.BLOCK and not st.rights & WRITE):
                self.state = Decision(Action.BLOCK, 0, 0, flt.filter_id, flt.name, sub.name, FAULT)
            return _step(flt, Effect.FAULT, callout=call), Action.BLOCK
        for choice in (CHOICE_UNKNOWN_NOTHING, CHOICE_UNKNOWN_ODD):
            if choice in call.note:
                self.choose(choice)
        action = call.normalized
        if action == Action.CONTINUE:
            return _step(flt, Effect.CONTINUE, callout=call), action
        if st.rights & WRITE:
            if call.left_alone and action == st.action:
                return _step(flt, Effect.KEPT, callout=call), action
            kind = f"callout {action.name.lower()}"
            self.state = Decision(
                action,
                call.returned_rights,
                call.returned_flags,
                flt.filter_id,
                flt.name,
                sub.name,
                kind,
            )
            return _step(flt, Effect.DECIDED, callout=call), action
        if action == Action.BLOCK and st.action == Action.PERMIT:
            self.veto = True
            self.vetoed = self.vetoed or st.filter_name or ""
            self.state = replace(
                st,
                action=Action.BLOCK,
                rights=0,
                flags=call.returned_flags,
                filter_id=flt.filter_id,
                filter_name=flt.name,
                sublayer=sub.name,
                source=f"veto of the hard permit from {st.filter_name!r}",
            )
            return _step(flt, Effect.VETO, callout=call), action
        return _step(flt, Effect.IGNORED, callout=call), action


FAULT = "callout fault"


def arbitrate(
    layer: str,
    layer_id: int | None,
    order: Sequence[tuple[Sublayer, Sequence[Filter]]],
    values: Mapping[str, Value],
    invoke: Invoker,
    is_registered: Callable[[Filter], bool],
    skip_call: Callable[[Filter], bool] | None = None,
    candidates: Iterable[Iterable[Filter]] | None = None,
) -> Classification:
    """Classify once at one layer.

    Args:
        layer: the layer's short name (for the record).
        layer_id: its run-time id.
        order: sublayers in arbitration order, each with its filters by effective weight
            (kept by the trace, which describes every filter when it is read).
        values: incoming values by ``FWPM_CONDITION_*`` name (missing = ``FWP_EMPTY``).
        invoke: calls a registered callout (the engine builds its arguments).
        is_registered: whether a callout filter's callout is registered.
        skip_call: whether a registered callout must not be called (registered with
            ``FWP_CALLOUT_FLAG_CONDITIONAL_ON_FLOW`` and no context on this flow).
        candidates: per sublayer of ``order``, the filters that can match, in order (a
            superset of those that match); by default every filter (the full walk).
    """
    walk = _Arbiter(invoke, is_registered, skip_call)
    lists = candidates if candidates is not None else (filters for _, filters in order)
    records = tuple(
        walk.sublayer(sub, cands, values) for (sub, _), cands in zip(order, lists, strict=True)
    )
    state = walk.state
    final: Action = state.action
    if final not in (Action.PERMIT, Action.BLOCK):
        final = Action.NONE if walk.any_match else Action.NONE_NO_MATCH
        walk.choose(CHOICE_NO_DECISION)
    return Classification(
        layer=layer,
        layer_id=layer_id,
        values=values,
        walk=WalkRecord(order, values, records),
        action=final,
        decision=state,
        veto=walk.veto,
        absorbed=final == Action.BLOCK and bool(state.flags & ABSORB),
        callouts_invoked=tuple(walk.invoked),
        faults=tuple(walk.faults),
        choices=tuple(walk.choices),
        vetoed=walk.vetoed,
    )
