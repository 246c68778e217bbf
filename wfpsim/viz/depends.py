"""The DEPENDS step in the packet player: what an unknown callout's answers lead to.

On an imported machine, third-party callouts are unknown (:mod:`wfpsim.unknown`): the dump names
them, not their code. :func:`wfpsim.analysis.flows.explain_flow` tries every answer they may give
and hands back a journey whose steps carry the alternatives (:attr:`Step.depends
<wfpsim.stack.journey.Step.depends>`). The player marks a step whose action changes with the
answer as **DEPENDS** (its own colour and badge) and shows, per answer, this layer's action and
the journey's verdict; a step where unknown callouts are asked to no effect gets a quiet box.
"""

from __future__ import annotations

import html

from wfpsim.stack.journey import Step

#: Alternatives listed in a DEPENDS box (the rest are counted).
ALTERNATIVES = 6


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _table(rows: list[tuple[str, str, str]], head: tuple[str, str, str]) -> str:
    top = "".join(f"<th>{h}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="w-t w-alt"><tr>{top}</tr>{body}</table>'


def _class(action: str) -> str:
    return {"PERMIT": "permit", "BLOCK": "block"}.get(action, "none")


def depends_html(step: Step) -> str:
    """The unknown callouts asked at a step: a DEPENDS badge when their answers change this
    layer's action, and per answer the layer's action and the journey's verdict."""
    if not step.depends:
        return ""
    alts = step.depends[:ALTERNATIVES]
    rows = [
        (
            "<br>".join(f"{_e(c)} → <b>{_e(r)}</b>" for c, r in a.answers) or _e(a.condition()),
            f'<span class="w-act" data-r="{_class(a.action)}">{_e(a.action)}</span>',
            _e(a.verdict),
        )
        for a in alts
    ]
    more = len(step.depends) - len(alts)
    note = f"<p>… and {more} more combinations</p>" if more > 0 else ""
    table = _table(rows, ("if the unknown callout answers", "this layer", "the journey"))
    if step.result == "DEPENDS":
        head = (
            '<p><span class="w-badge">DEPENDS</span> An unknown callout decides here: the dump '
            "names it, not its code. The arbitration below is the run where it gives its first "
            "answer; each answer leads to:</p>"
        )
        return f'<div class="w-depends">{head}{table}{note}</div>'
    head = (
        "<p>Unknown callouts are asked here, but no answer changes whether this layer lets the "
        "traffic on:</p>"
    )
    return (
        '<details data-k="depends" open><summary>Unknown callouts</summary>'
        f"{head}{table}{note}</details>"
    )
