"""Why was this connection blocked on that machine? A flow explained layer by layer.

:func:`explain_flow` sends one connection or packet exchange through the simulated stack of an
engine — a scenario's policy, or a real machine's imported ``netsh wfp show state`` dump — and
explains it: the verdict (PERMIT, BLOCK, DROP, or DEPENDS on what unknown callouts answer, see
:mod:`wfpsim.analysis.whatif`), the layer and filter that decided, and for every layer crossed
what decided there, sublayer by sublayer, with the filters that could have decided and the
condition that kept each from matching.

>>> from wfpsim.runner import build, find
>>> from wfpsim.scenario import load
>>> engine = build(load(find("rules-that-never-apply")))
>>> flow = explain_flow(engine, "tcp", "outbound", "10.0.0.5:0", "198.51.100.7:8080")
>>> flow.verdict, flow.to_json()["decided_by"]
('BLOCK', 'block 8080')
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from wfpsim.analysis.replay import Replays
from wfpsim.analysis.whatif import WhatIf, explore
from wfpsim.engine import Engine
from wfpsim.objects import Action
from wfpsim.stack import Stack
from wfpsim.stack.journey import Alternative, Journey, Step
from wfpsim.trace import Effect

__all__ = ["FlowExplanation", "explain_flow"]

#: The layers that authorize a connection: where a permitted flow's deciding filter is named.
AUTHORIZING = frozenset(
    {
        "ALE_AUTH_CONNECT_V4",
        "ALE_AUTH_CONNECT_V6",
        "ALE_AUTH_RECV_ACCEPT_V4",
        "ALE_AUTH_RECV_ACCEPT_V6",
    }
)

#: How many non-matching filters the text names per layer (JSON has no such limit).
NEAREST = 3


def _layer_row(step: Step) -> dict[str, Any]:
    c = step.classification
    return {
        "layer": step.layer,
        "event": step.event,
        "action": c.action.name,
        "filter": c.filter_name,
        "filter_id": c.filter_id,
        "sublayer": c.decision.sublayer if c.filter_id else None,
    }


def _depends_row(step: Step) -> dict[str, Any]:
    """``{"depends": [{"if", "action", "verdict"}]}`` where unknown callouts are asked."""
    if not step.depends:
        return {}
    rows = [
        {
            "if": [{"callout": c, "returns": r} for c, r in alt.answers],
            "action": alt.action,
            "verdict": alt.verdict,
        }
        for alt in step.depends
    ]
    return {"result": step.result, "depends": rows}


def _missed(step: Step) -> list[dict[str, Any]]:
    """Filters that could have decided here (PERMIT, BLOCK, terminating callouts) but did not
    match, with the condition that failed."""
    rows = []
    for sub, st in step.classification.steps():
        if st.effect == Effect.NO_MATCH and st.action != Action.CALLOUT_INSPECTION:
            rows.append(
                {
                    "filter_id": st.filter_id,
                    "name": st.name,
                    "sublayer": sub.name,
                    "action": st.action.name,
                    "failed": st.failed_condition,
                }
            )
    return rows


def annotate(replays: Replays, whatif: WhatIf[Journey]) -> Journey:
    """The first branch's journey, carrying what every other answer of the unknown callouts
    leads to: :attr:`Journey.possible` and, on each step where one is asked, :attr:`Step.depends`.

    A step's alternatives come from the branches that reach the same step (same index, layer and
    event) with the same answers from the unknown callouts asked before it: one alternative per
    answer of the callouts asked there, with this layer's action and the journey's verdict
    (``DEPENDS`` when callouts asked later decide it). With ``callouts="permit"`` or ``"block"``
    the answers are assumed, not unknown: the journey is returned as it ran.
    """
    first = whatif.first
    journey = first.result
    if whatif.mode != "unknown":
        return journey
    names = {r.key: r.name for b in whatif.branches for r in b.answers}
    told = [{r.key: r.answer for r in b.answers} for b in whatif.branches]
    before: set[uuid.UUID] = set()
    steps = []
    for i, step in enumerate(journey.steps):
        asked = [k for k in replays.asked(step) if k in names]
        if not asked:
            steps.append(step)
            continue
        fixed = before - set(asked)
        found: dict[tuple[tuple[str, str], ...], tuple[set[str], set[str]]] = {}
        for branch, answers in zip(whatif.branches, told, strict=True):
            other = branch.result.steps
            same = i < len(other) and (other[i].layer, other[i].event) == (step.layer, step.event)
            if not same or any(answers.get(k) != told[0].get(k) for k in fixed):
                continue
            cond = tuple((names[k], answers.get(k, "?")) for k in asked)
            actions, verdicts = found.setdefault(cond, (set(), set()))
            # a twin branch shares another run's journey: this step is classified again
            wanted = {**told[0], **{k: answers[k] for k in asked if k in answers}}
            replayed = replays.again(step, wanted)
            actions.add((replayed or other[i].classification).action.name)
            verdicts.add(branch.verdict)
        depends = tuple(
            Alternative(cond, " or ".join(sorted(a)), v.pop() if len(v) == 1 else "DEPENDS")
            for cond, (a, v) in found.items()
        )
        steps.append(dataclasses.replace(step, depends=depends))
        before.update(asked)
    possible = [
        Alternative(tuple((c["callout"], c["returns"]) for c in b.condition()), "", b.verdict)
        for b in whatif.branches
    ]
    if not whatif.complete:
        possible.append(Alternative((), "", "DEPENDS"))
    return dataclasses.replace(journey, steps=steps, possible=tuple(possible))


@dataclass(frozen=True, slots=True)
class FlowExplanation:
    """A flow's verdict on a policy, every branch of it, and the journey behind each.

    ``journey`` is the run where every unknown callout gave its first (default) answer, carrying
    the others (:func:`annotate`): hand it to the player or ``export_html`` and the steps that
    depend on an unknown callout show as DEPENDS.
    """

    description: str
    whatif: WhatIf[Journey]
    journey: Journey

    @property
    def verdict(self) -> str:
        """PERMIT, BLOCK, DROP or DEPENDS."""
        return self.whatif.verdict

    def deciding_step(self) -> Step | None:
        """The step that decided: the blocking one, or for a permitted flow the authorizing ALE
        layer's permit (``ALE_AUTH_CONNECT`` / ``ALE_AUTH_RECV_ACCEPT``), if a filter decided."""
        j = self.journey
        if j.decided_at:
            return j.at(j.decided_at)
        for step in j.steps:
            if step.layer in AUTHORIZING and step.classification.filter_id:
                return step
        return None

    def to_json(self) -> dict[str, Any]:
        """``{"verdict", "decided_at", "decided_by", "filter_id", "possible", "layers"}``."""
        j = self.journey
        decided = self.deciding_step()
        return {
            "verdict": self.verdict,
            "decided_at": decided.layer if decided else None,
            "decided_by": decided.classification.filter_name if decided else None,
            "filter_id": decided.classification.filter_id if decided else None,
            "possible": self.whatif.possible(),
            "layers": [_layer_row(s) | _depends_row(s) | {"missed": _missed(s)} for s in j.steps],
        }

    def text(self) -> str:
        """The explanation in words, layer by layer."""
        j = self.journey
        lines = [f"{self.description}", f"verdict: {self.whatif.text()}"]
        if self.verdict == "DEPENDS":
            lines.append(
                "the journey below is the one where every unknown callout gives its first "
                "answer (PERMIT; CONTINUE for inspection callouts):"
            )
        decided = self.deciding_step()
        if decided is not None:
            by = decided.classification.filter_name
            lines.append(f"decided at {decided.layer} by {by!r}")
        for n, step in enumerate(j.steps, 1):
            c = step.classification
            if c.filter_id:
                head = f"{c.action.name} by {c.filter_name!r} ({c.decision.strength()})"
            else:
                head = f"{c.action.name} (no filter decided)"
            if step.result == "DEPENDS":
                head = f"DEPENDS — here {head}"
            lines.append(f"{n:3}. {step.layer} [{step.event}]: {head}")
            if c.filter_id or c.action == Action.BLOCK:
                lines += [f"       {line}" for line in c.explain().splitlines()[1:]]
            for alt in step.depends if step.result == "DEPENDS" else ():
                lines.append(f"       if {alt.condition()}: {alt.action}, journey {alt.verdict}")
            asked = c.action == Action.BLOCK or step is decided
            missed = _missed(step) if asked else []  # the full trace only where it is shown
            if missed:
                lines.append("       filters that could have decided, and why they did not match:")
                for row in missed[:NEAREST]:
                    lines.append(f"         - {row['name']!r} ({row['action']}): {row['failed']}")
                if len(missed) > NEAREST:
                    lines.append(f"         … and {len(missed) - NEAREST} more (see --json)")
        for note in j.notes:
            lines.append(f"note: {note}")
        return "\n".join(lines)


def explain_flow(
    engine: Engine,
    kind: str,
    direction: str,
    local: str,
    remote: str,
    app: str | None = None,
    user: str | None = None,
    package: str | None = None,
    payload: Iterable[bytes | str] = (),
    listening: bool = True,
    callouts: str = "unknown",
) -> FlowExplanation:
    """Send a flow through an engine's stack and explain its verdict.

    Args:
        engine: the policy (a scenario's or an imported dump's).
        kind, direction, local, remote, app, user, listening, payload: as for
            :meth:`wfpsim.stack.Stack.run`.
        package: the AppContainer package SID of the application, if any.
        callouts: ``unknown`` (explore what unknown callouts may answer), ``permit`` or ``block``
            (assume that answer), ``unregistered`` (as imported).
    """
    items = tuple(payload)
    extra: dict[str, Any] = {"package": package} if package is not None else {}

    def run() -> Journey:
        journey: Journey = Stack(engine).run(
            kind, direction, local, remote, app=app, user=user, listening=listening,
            payload=items, **extra,
        )  # fmt: skip
        return journey

    replays = Replays(engine)
    whatif = explore(run, lambda j: str(j.verdict), mode=callouts, same=replays.same)
    who = f" ({app})" if app else ""
    description = f"{kind} {direction} {local} -> {remote}{who}"
    return FlowExplanation(description, whatif, annotate(replays, whatif))
