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

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from wfpsim.analysis.whatif import WhatIf, explore
from wfpsim.engine import Engine
from wfpsim.objects import Action
from wfpsim.stack import Stack
from wfpsim.stack.journey import Journey, Step
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


@dataclass(frozen=True, slots=True)
class FlowExplanation:
    """A flow's verdict on a policy, every branch of it, and the journey behind each."""

    description: str
    whatif: WhatIf[Journey]

    @property
    def verdict(self) -> str:
        """PERMIT, BLOCK, DROP or DEPENDS."""
        return self.whatif.verdict

    @property
    def journey(self) -> Journey:
        """The journey with every unknown callout giving its first (default) answer."""
        return self.whatif.first.result

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
            "layers": [_layer_row(s) | {"missed": _missed(s)} for s in j.steps],
        }

    def text(self) -> str:
        """The explanation in words, layer by layer."""
        j = self.journey
        lines = [f"{self.description}", f"verdict: {self.whatif.text()}"]
        if self.verdict == "DEPENDS":
            lines.append("the journey below is the one where every unknown callout permits:")
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
            lines.append(f"{n:3}. {step.layer} [{step.event}]: {head}")
            if c.filter_id or c.action == Action.BLOCK:
                lines += [f"       {line}" for line in c.explain().splitlines()[1:]]
            missed = _missed(step)
            if missed and (c.action == Action.BLOCK or step is decided):
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

    whatif = explore(run, lambda j: str(j.verdict), mode=callouts)
    who = f" ({app})" if app else ""
    description = f"{kind} {direction} {local} -> {remote}{who}"
    return FlowExplanation(description, whatif)
