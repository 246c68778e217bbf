"""Plain-English explanations of a classification (read-only over the trace)."""

from __future__ import annotations

from wfpsim.objects import Action
from wfpsim.trace import Classification, Decision, Effect


def _who(d: Decision) -> str:
    return f"{d.filter_name!r} in {d.sublayer}"


def headline(c: Classification) -> str:
    """The first sentence: the verdict, who set it and how strong it is."""
    d = c.decision
    if c.action not in (Action.PERMIT, Action.BLOCK):
        if c.action == Action.NONE:
            return (
                f"NONE at {c.layer}: filters matched but none permitted or blocked; "
                "the traffic passes (our choice where Microsoft is silent)."
            )
        return (
            f"NONE_NO_MATCH at {c.layer}: no filter matched; the traffic passes "
            "(our choice where Microsoft is silent)."
        )
    if c.veto:
        return (
            f"BLOCK by veto: a callout of {_who(d)} blocked without the write right ({d.source})."
        )
    if d.source == "callout fault":
        return (
            f"BLOCK by a callout fault in {_who(d)}: the engine blocks what a failing callout saw."
        )
    strength = "hard" if d.hard else "soft"
    extra = " (absorbed: dropped silently, no audit)" if c.absorbed else ""
    return f"{c.action.name} by {_who(d)} ({d.source}: {strength}){extra}."


def explain(c: Classification) -> str:
    """Why the classification came out as it did, sublayer by sublayer."""
    lines = [headline(c)]
    state = Decision()
    for sub in c.sublayers:
        for step in sub.steps:
            call = step.callout
            who = f"{step.name!r} in {sub.name}"
            if step.effect == Effect.DECIDED:
                if state.action in (Action.PERMIT, Action.BLOCK) and not state.hard:
                    verb = "override" if sub.after.action != state.action else "restate"
                    lines.append(
                        f"The {state.action.name.lower()} from {_who(state)} was soft, so "
                        f"{who} could {verb} it."
                    )
                state = sub.after
            elif step.effect == Effect.IGNORED:
                verb = step.action.name if not call else call.normalized.name
                lines.append(
                    f"{who} would {verb}, but the {state.strength()} from {_who(state)} "
                    "had cleared the write right, so it could not change the result."
                )
            elif step.effect == Effect.VETO:
                lines.append(
                    f"{who}: its callout returned BLOCK without the write right while the "
                    f"decision was a hard permit from {_who(state)} — a veto (counted as "
                    "classifyVetoCount, audit 5153, veto notification)."
                )
                state = sub.after
            elif step.effect == Effect.FAULT and call:
                lines.append(f"{who}: callout {call.callout!r} failed ({call.fault}).")
                state = sub.after
            elif step.effect == Effect.UNREGISTERED_SKIPPED:
                lines.append(f"{who} names an unregistered inspection callout: ignored.")
            elif step.effect == Effect.NO_FLOW_CONTEXT:
                lines.append(
                    f"{who}: its callout was registered with FWP_CALLOUT_FLAG_CONDITIONAL_ON_FLOW "
                    "and this flow carries no context for it, so classifyFn was not called."
                )
            if call and not call.had_write_right and step.effect in (Effect.CONTINUE, Effect.KEPT):
                lines.append(f"{call.callout!r} ({who}) still ran, without the write right.")
            if call and call.note and not call.note.startswith("[") and ": [" not in call.note:
                lines.append(f"{who}: {call.note}.")
            if step.note.startswith("unregistered") and step.effect == Effect.DECIDED:
                lines.append(f"{who}: {step.note}.")
    lines.extend(c.choices)
    return "\n".join(lines)
