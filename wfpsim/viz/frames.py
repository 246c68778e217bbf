"""Frames for the packet player: what changes from one step of a journey to the next.

The stack map is laid out by Graphviz once (:func:`base_svg`); after that the player only
restyles it. Each step becomes a small *frame*: the SVG ids to mark (the current layer node,
the hop from the previous step, the trail so far, each with its result class), the event
label, the verdict and the inspector as escaped HTML. Pure Python, no widget library: the
notebook widget (:mod:`wfpsim.viz.player`) and the standalone HTML export
(:mod:`wfpsim.viz.export`) both read it.

>>> from wfpsim import Engine
>>> from wfpsim.stack import Stack
>>> j = Stack(Engine()).run("tcp", "outbound", "10.0.0.5:0", "93.184.216.34:80")
>>> events([j])[4]["label"]
'#4 OUTBOUND_TRANSPORT_V4 · SYN · NONE_NO_MATCH'
>>> f = frame(j, 5)
>>> f["node"], f["hop"], f["marks"][f["node"]]
('layer-OUTBOUND_IPPACKET_V4', 'hop-OUTBOUND_TRANSPORT_V4--OUTBOUND_IPPACKET_V4', 'cur none')
>>> accepted(j.steps[5])
['NONE', 'NONE_NO_MATCH']
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

from wfpsim.errors import InvalidParameterError
from wfpsim.explain import headline
from wfpsim.objects import Action
from wfpsim.stack.journey import Journey, Step
from wfpsim.viz.depends import ALTERNATIVES
from wfpsim.viz.inspector import decision_html, inspector_html
from wfpsim.viz.stackmap import journey_pairs, node_id, stack_dot

#: What the decision part of the inspector says while the verdict is hidden.
ASK_HTML = (
    '<p class="w-ask">What happens at this layer? Predict: PERMIT, BLOCK, NONE (no filter '
    "decides) or DROP (a discard layer) — on a real machine's dump also DEPENDS (an unknown "
    "callout decides) — then the arbitration is revealed.</p>"
)
_SEVERITY = {"none": 0, "permit": 1, "depends": 2, "discard": 3, "block": 4}


def as_list(journeys: Journey | Iterable[Journey]) -> list[Journey]:
    """One journey or several as a list (an :class:`InvalidParameterError` if there is none)."""
    items = [journeys] if isinstance(journeys, Journey) else list(journeys)
    if not items or not all(isinstance(j, Journey) for j in items):
        raise InvalidParameterError(
            f"journeys={journeys!r}; valid: a Journey or a non-empty list of Journeys "
            "(Stack(...).run(...) or runner.run(...).traffic[i].journey)"
        )
    return items


def _title(j: Journey) -> str:
    return f"{j.kind.upper()} {j.direction.value} {j.local} → {j.remote}"


def ip_version(journeys: Journey | Iterable[Journey]) -> int:
    """4 or 6: the IP version of the layers the journeys crossed (one map shows one version).

    Raises:
        InvalidParameterError: some journeys are IPv4 and others IPv6.
    """
    seen: dict[int, str] = {}
    for j in as_list(journeys):
        six = any(s.layer.endswith(("_V6", "_V6_DISCARD")) for s in j.steps)
        seen.setdefault(6 if six else 4, _title(j))
    if len(seen) > 1:
        raise InvalidParameterError(
            f"the journeys mix IPv4 ({seen[4]}) and IPv6 ({seen[6]}); one stack map shows one "
            "IP version: pass only IPv4 journeys or only IPv6 journeys"
        )
    return next(iter(seen))


def base_dot(journeys: Journey | Iterable[Journey]) -> str:
    """The stack map's DOT source with a hop edge for every layer pair any journey crossed."""
    items = as_list(journeys)
    layers = dict.fromkeys(s.layer for j in items for s in j.steps)
    dot = stack_dot(ip_version(items), items[0], highlight=False, also=layers)
    have = set(journey_pairs(items[0]))  # stack_dot drew these hops; add the other journeys'
    pairs = [p for p in dict.fromkeys(p for j in items for p in journey_pairs(j)) if p not in have]
    hop = '  "{0}" -> "{1}" [id="hop-{0}--{1}", class="hop", color="#eceff1", penwidth=1.2];'
    extra = [hop.format(a, b) for a, b in pairs]
    for name in layers:
        if f'id="{node_id(name)}"' not in dot:  # a layer the map does not place: add it
            extra.append(f'  "{name}" [id="{node_id(name)}", class="layer", label="{name}"];')
    return dot[: dot.rstrip().rfind("}")] + "\n".join(extra) + "\n}"


def base_svg(journeys: Journey | Iterable[Journey]) -> str:
    """The stack map laid out once by Graphviz, ready to inline in HTML (no prolog, no comments).

    Every layer the journeys cross has the id ``layer-<LAYER>`` and every consecutive pair
    of layers an edge ``hop-<A>--<B>``: the player restyles those, it never lays out again.
    """
    import re

    from wfpsim.viz.svg import Picture

    svg = Picture(base_dot(journeys)).svg
    svg = svg[svg.find("<svg") :]
    return re.sub(r"<!--.*?-->\n?", "", svg, flags=re.S)


def result_class(step: Step) -> str:
    """``permit``, ``block``, ``none`` (no decision), ``discard`` (a discard layer) or
    ``depends`` (unknown callouts' answers change the action here: :attr:`Step.result`)."""
    if step.is_discard:
        return "discard"
    if step.result == "DEPENDS":
        return "depends"
    return {Action.PERMIT: "permit", Action.BLOCK: "block"}.get(step.action, "none")


def label(step: Step, hidden: bool = False) -> str:
    """The event-list label: ``#4 OUTBOUND_TRANSPORT_V4 · SYN · PERMIT`` (``?`` if hidden;
    ``DEPENDS`` where unknown callouts decide)."""
    return f"#{step.index} {step.layer} · {step.event} · {'?' if hidden else step.result}"


def events(journeys: Journey | Iterable[Journey]) -> list[dict[str, Any]]:
    """The event list: one entry per step of every journey, in playing order.

    Each entry: ``label``, ``masked`` (the label with the result hidden), ``journey`` (its
    index), ``step``, ``result`` (class), ``title`` and ``verdict`` of its journey.
    """
    out = []
    for ji, j in enumerate(as_list(journeys)):
        head = {"journey": ji, "title": _title(j), "verdict": j.result}
        out += [
            {"label": label(s), "masked": label(s, True), "step": si, "result": result_class(s)}
            | head
            for si, s in enumerate(j.steps)
        ]
    return out


def accepted(step: Step) -> list[str]:
    """The predictions counted right for a step (``NONE`` covers both kinds of no decision)."""
    action = step.result
    right = [action] if action in ("PERMIT", "BLOCK", "DEPENDS") else ["NONE", action]
    return [*right, "DROP"] if step.is_discard else right


def outcome(step: Step) -> str:
    """One sentence: what happened at this step and why."""
    c = step.classification
    if step.result == "DEPENDS":
        ways = "; ".join(f"if {a.condition()}: {a.action}" for a in step.depends[:ALTERNATIVES])
        return f"DEPENDS: unknown callouts decide at {step.layer} — {ways}."
    if not step.is_discard:
        return headline(c)
    who = f" by {c.filter_name!r}" if c.filter_name else ""
    return (
        f"{step.layer} is a discard layer: the stack is dropping this packet (DROP), and the "
        f"filters here only see the drop. They returned {c.action.name}{who}."
    )


def positions(journeys: Journey | Iterable[Journey]) -> list[tuple[int, int]]:
    """The playing order: (journey index, step index) of every step of every journey."""
    return [(ji, si) for ji, j in enumerate(as_list(journeys)) for si in range(len(j.steps))]


def frame(
    journey: Journey, step_index: int, position: int = 0, journey_index: int = 0
) -> dict[str, Any]:
    """The frame of one step: ids to mark, label, verdict, inspector and decision HTML.

    ``marks`` maps SVG ids to classes: ``cur`` plus the result for the current layer node,
    ``cur`` for the hop from the previous step, ``seen`` (plus the worst result) for the
    layers and hops crossed before in the same journey.
    """
    step = journey.steps[step_index]
    marks: dict[str, str] = {}
    worst: dict[str, str] = {}
    for prev, nxt in itertools.pairwise(journey.steps[: step_index + 1]):
        r = result_class(prev)
        if _SEVERITY[r] >= _SEVERITY[worst.get(prev.layer, "none")]:
            worst[prev.layer] = r
        if prev.layer != nxt.layer:
            marks[f"hop-{prev.layer}--{nxt.layer}"] = "seen"
    marks.update({node_id(layer): f"seen {r}" for layer, r in worst.items()})
    before = journey.steps[step_index - 1].layer if step_index else step.layer
    hop = f"hop-{before}--{step.layer}" if before != step.layer else ""
    if hop:
        marks[hop] = "cur"
    node = node_id(step.layer)
    marks[node] = f"cur {result_class(step)}"
    last = step_index == len(journey.steps) - 1
    out: dict[str, Any] = {"position": position, "journey": journey_index, "step": step_index}
    out |= {"label": label(step), "verdict": step.result, "result": result_class(step)}
    out |= {"node": node, "hop": hop, "marks": marks, "inspector": inspector_html(step)}
    out |= {"decision": decision_html(step, journey, last), "accept": accepted(step)}
    return out | {"outcome": outcome(step), "hidden": False, "last": last}


def masked(full: dict[str, Any]) -> dict[str, Any]:
    """A frame with its verdict hidden (challenge mode, before the student's prediction)."""
    hide = {"verdict": "?", "result": "unknown", "decision": ASK_HTML, "hidden": True}
    marks = {**full["marks"], full["node"]: "cur unknown"}
    label = full["label"].rsplit(" · ", 1)[0] + " · ?"
    out = {**full, **hide, "marks": marks, "label": label}
    del out["accept"], out["outcome"]
    return out


def frames(journeys: Journey | Iterable[Journey]) -> list[dict[str, Any]]:
    """Every frame of the journeys, in playing order (what the HTML export embeds)."""
    items = as_list(journeys)
    return [frame(items[ji], si, i, ji) for i, (ji, si) in enumerate(positions(items))]
