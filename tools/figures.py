"""Draw the static teaching figures in docs/images/ from the engine itself.

    python tools/figures.py   # docs/images/{layer-order,effective-weight}.{dot,svg,png}

* **layer-order** — the layers a TCP and a UDP conversation cross, outbound and inbound, in the
  order the simulated stack really crosses them (the paths of Microsoft's *TCP Packet Flows* and
  *UDP Packet Flows* pages as :mod:`wfpsim.stack` implements them). The figure is built by
  running four conversations through an empty engine, so it cannot drift from the engine.
* **effective-weight** — how a filter's 64-bit effective weight is made (a 4-bit weight range
  over 60 automatic bits, or a full ``FWP_UINT64``), and where it sits: layer → sublayers by
  weight → filters by effective weight. The worked examples are computed by
  :func:`wfpsim.effective_weight`.

The ``.dot`` files are committed beside the pictures; ``tests/test_figures.py`` regenerates the
DOT text and fails when it differs, so a change in the engine asks for the figures to be redrawn.
Rendering needs Graphviz's ``dot``; generating the DOT text does not.
"""

from __future__ import annotations

import html
import subprocess
import sys
from itertools import groupby
from pathlib import Path

from wfpsim import Condition, Engine, Weight, effective_weight, layer
from wfpsim.catalog import LayerKind
from wfpsim.stack import Stack

IMAGES = Path(__file__).resolve().parent.parent / "docs" / "images"
FONT = "Helvetica"

#: The four conversations drawn, left to right: (title, Stack.run arguments).
CONVERSATIONS = (
    ("TCP outbound", ("tcp", "outbound", "10.0.0.5:0", "198.51.100.7:443")),
    ("TCP inbound", ("tcp", "inbound", "10.0.0.5:80", "198.51.100.7:0")),
    ("UDP outbound", ("udp", "outbound", "10.0.0.5:0", "198.51.100.7:53")),
    ("UDP inbound", ("udp", "inbound", "10.0.0.5:53", "198.51.100.7:0")),
)

#: Layer kind → (fill, border) and the legend's words.
KINDS = {
    "ALE": ("#e8e0f8", "#7e57c2", "ALE: once per socket operation or flow, not per packet"),
    "data": ("#fdf1d6", "#f9a825", "stream / datagram data: the payload, no headers"),
    "transport": ("#dcecf9", "#1e88e5", "transport: every TCP / UDP packet"),
    "ip": ("#e2f3e4", "#43a047", "IP packet: every IP packet"),
}


def kind_of(layer_name: str) -> str:
    """The legend group of a layer, from the catalog."""
    kind = layer(layer_name).kind
    if kind in (LayerKind.ALE, LayerKind.ALE_REDIRECT):
        return "ALE"
    if kind in (LayerKind.STREAM, LayerKind.DATAGRAM):
        return "data"
    if kind == LayerKind.TRANSPORT:
        return "transport"
    return "ip"


def _way(name: str) -> str:
    return (
        "sent" if name.startswith("OUTBOUND") else "received" if name.startswith("INBOUND") else ""
    )


def conversation_rows(args: tuple[str, str, str, str]) -> list[tuple[str, list[str]]]:
    """(what crossed, layers it crossed) in order: setup first, then the conversation.

    Consecutive steps of one event form a row, split where the packet changes direction (a FIN
    sent, then the peer's FIN received, are two rows).
    """
    journey = Stack(Engine()).run(*args, payload=["hello"])
    rows: list[tuple[str, list[str]]] = []
    for event, group in groupby([*journey.setup, *journey.steps], lambda s: s.event):
        way, names = "", []
        for step in group:
            now = _way(step.layer)
            if names and now and way and now != way:
                rows.append((f"{event} {way}", names))
                names = []
            way = now or way
            names.append(step.layer)
        packet = way and not any(c in event for c in "(:") and event != "flow established"
        rows.append((f"{event} {way}" if packet else event, names))
    return rows


def _chip(name: str) -> str:
    fill, border, _ = KINDS[kind_of(name)]
    return (
        f'<TD BGCOLOR="{fill}" COLOR="{border}" BORDER="1" STYLE="rounded" CELLPADDING="3">'
        f'<FONT POINT-SIZE="9">{html.escape(name.removesuffix("_V4"))}</FONT></TD>'
    )


def layer_order_dot() -> str:
    """The layer-order figure as DOT text (deterministic: same engine, same text)."""
    out = [
        'digraph "layer_order" {',
        f'  graph [fontname="{FONT}", rankdir=TB, newrank=true, nodesep=0.25, ranksep=0.12, '
        'bgcolor="white", labelloc=t, fontsize=16, label=<<B>The layers a conversation crosses, '
        'in order</B><BR/><FONT POINT-SIZE="10">drawn by tools/figures.py from wfpsim.stack '
        "(no filters, one payload; the _V4 layers shown without their suffix — "
        "IPv6 crosses the _V6 ones)"
        "</FONT>>];",
        f'  node [fontname="{FONT}", shape=plaintext, margin=0];',
        '  edge [color="#90a4ae", arrowsize=0.5];',
    ]
    for c, (title, args) in enumerate(CONVERSATIONS):
        out.append(f'  subgraph "cluster_{c}" {{')
        out.append(
            f'    graph [label=<<B>{title}</B>>, fontsize=13, style="rounded,filled", '
            'fillcolor="#fafafa", color="#b0bec5"];'
        )
        previous = None
        for r, (event, layers) in enumerate(conversation_rows(args)):
            node = f"c{c}r{r}"
            chips = "".join(_chip(name) for name in layers)
            label = (
                '<TABLE BORDER="0" CELLSPACING="2" CELLPADDING="1"><TR>'
                f'<TD ALIGN="RIGHT" WIDTH="110"><FONT POINT-SIZE="9"><B>{html.escape(event)}'
                f"</B></FONT></TD>{chips}</TR></TABLE>"
            )
            out.append(f'    "{node}" [label=<{label}>];')
            if previous is not None:
                out.append(f'    "{previous}" -> "{node}";')
            previous = node
        out.append("  }")
    legend = "".join(
        f'<TR><TD BGCOLOR="{fill}" COLOR="{border}" BORDER="1" WIDTH="18"> </TD>'
        f'<TD ALIGN="LEFT"><FONT POINT-SIZE="10">{html.escape(words)}</FONT></TD></TR>'
        for fill, border, words in KINDS.values()
    )
    out.append(
        f'  "legend" [label=<<TABLE BORDER="0" CELLSPACING="3">{legend}'
        '<TR><TD></TD><TD ALIGN="LEFT"><FONT POINT-SIZE="10">a row: what crossed, and the '
        "layers it crossed, left to right</FONT></TD></TR></TABLE>>];"
    )
    out.append('  { rank=sink; "legend"; }')
    out.append("}")
    return "\n".join(out) + "\n"


def _bits(text: str, span: int, fill: str, sub: str = "") -> str:
    extra = f'<BR/><FONT POINT-SIZE="9">{html.escape(sub)}</FONT>' if sub else ""
    return (
        f'<TD COLSPAN="{span}" BGCOLOR="{fill}" BORDER="1" CELLPADDING="6">'
        f'<FONT POINT-SIZE="11">{text}</FONT>{extra}</TD>'
    )


def _examples() -> list[tuple[str, str]]:
    """(the weight given, its effective weight) computed by the engine's own rule."""
    one = [Condition("IP_REMOTE_PORT", "EQUAL", 23)]
    two = [*one, Condition("IP_PROTOCOL", "EQUAL", 6)]
    cases = [
        ("FWP_UINT8 range 2 (Weight.range(2)), 1 field tested", Weight.range(2), one),
        ("FWP_EMPTY (no weight), 2 fields tested", Weight.empty(), two),
        ("FWP_UINT8 range 15, 0 fields tested", Weight.range(15), []),
        ("FWP_UINT64 0x100 (Weight.exact(0x100))", Weight.exact(0x100), two),
    ]
    return [(text, f"0x{effective_weight(w, conds):016X}") for text, w, conds in cases]


def effective_weight_dot() -> str:
    """The effective-weight figure as DOT text."""
    grid = [
        '<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="0">',
        '<TR><TD ALIGN="LEFT" COLSPAN="16"><B>FWP_UINT8 (a weight range 0–15) or FWP_EMPTY '
        "(range 0)</B></TD></TR>",
        "<TR>"
        + _bits("<B>bits 63–60</B>", 4, "#ffe0b2", "the range r you give")
        + _bits(
            "<B>bits 59–0</B>: automatic weight",
            12,
            "#e3f2fd",
            "BFE computes it from the conditions; Microsoft does not publish how "
            "(wfpsim's choice: distinct fields tested << 52)",
        )
        + "</TR>",
        '<TR><TD COLSPAN="16" HEIGHT="10"></TD></TR>',
        '<TR><TD ALIGN="LEFT" COLSPAN="16"><B>FWP_UINT64</B></TD></TR>',
        "<TR>"
        + _bits("<B>bits 63–0</B>: your value, used as it is", 16, "#f3e5f5", "no automatic part")
        + "</TR>",
        '<TR><TD COLSPAN="16" HEIGHT="10"></TD></TR>',
        '<TR><TD ALIGN="LEFT" COLSPAN="16"><B>Worked examples</B> '
        '<FONT POINT-SIZE="9">(computed by wfpsim.effective_weight)</FONT></TD></TR>',
    ]
    for text, value in _examples():
        grid.append(
            f'<TR><TD ALIGN="LEFT" COLSPAN="10" CELLPADDING="2"><FONT POINT-SIZE="10">'
            f'{html.escape(text)}</FONT></TD><TD ALIGN="LEFT" COLSPAN="6" CELLPADDING="2">'
            f'<FONT FACE="Courier" POINT-SIZE="10">{value}</FONT></TD></TR>'
        )
    grid.append("</TABLE>")
    tree = (
        '<TABLE BORDER="0" CELLSPACING="4">'
        '<TR><TD BGCOLOR="#37474f" CELLPADDING="6"><FONT COLOR="white"><B>a layer</B>'
        "</FONT></TD></TR>"
        '<TR><TD BGCOLOR="#eceff1" BORDER="1" CELLPADDING="6"><B>its sublayers</B>, highest '
        "sublayer weight first<BR/>"
        '<FONT POINT-SIZE="9">FWPM_SUBLAYER0.weight: 16 bits (0–65535); every sublayer is '
        "asked</FONT></TD></TR>"
        '<TR><TD BGCOLOR="#ffffff" BORDER="1" CELLPADDING="6"><B>in each sublayer, its '
        "filters</B>, highest effective weight first<BR/>"
        '<FONT POINT-SIZE="9">FWPM_FILTER0.effectiveWeight: 64 bits; the first PERMIT or '
        "BLOCK ends the sublayer</FONT></TD></TR>"
        "</TABLE>"
    )
    return (
        'digraph "effective_weight" {\n'
        f'  graph [fontname="{FONT}", rankdir=LR, bgcolor="white", labelloc=t, fontsize=16, '
        "label=<<B>Where a filter stands: sublayer weight, then effective weight</B><BR/>"
        '<FONT POINT-SIZE="10">drawn by tools/figures.py</FONT>>];\n'
        f'  node [fontname="{FONT}", shape=plaintext, fontsize=10];\n'
        f'  "order" [label=<{tree}>];\n'
        f'  "bits" [label=<{"".join(grid)}>];\n'
        '  "order" -> "bits" [label=" the filter\'s\\n 64-bit key", fontsize=9, '
        f'fontname="{FONT}", color="#90a4ae"];\n'
        "}\n"
    )


FIGURES = {"layer-order": layer_order_dot, "effective-weight": effective_weight_dot}


def main() -> None:
    """Write every figure's .dot, .svg and .png into docs/images/."""
    for name, build in FIGURES.items():
        source = build()
        (IMAGES / f"{name}.dot").write_text(source, encoding="utf-8")
        for fmt, extra in (("svg", []), ("png", ["-Gdpi=110"])):
            out = IMAGES / f"{name}.{fmt}"
            subprocess.run(
                ["dot", f"-T{fmt}", *extra, "-o", str(out)],
                input=source.encode(),
                check=True,
            )
        print(f"wrote docs/images/{name}.dot, .svg, .png", file=sys.stderr)


if __name__ == "__main__":
    main()
