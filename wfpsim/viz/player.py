"""The packet player: step through journeys on the stack map, like Packet Tracer's simulation mode.

:func:`player` returns a :class:`Player` widget (``anywidget``, on the ipywidgets protocol).
Graphviz lays the stack map out once; the SVG and the event list go to the browser once; each
step then sends only its *frame* (a few KB: which SVG ids to restyle and the inspector's HTML),
built by :mod:`wfpsim.viz.frames`. The player's code (``PLAYER_JS``, in :mod:`wfpsim.viz.export`)
and style (:data:`PLAYER_CSS`) are shared with the standalone HTML export, where a small in-page
model stands in for the kernel; this module holds the Python half and the challenge rules.

Importing this module loads no widget library: the widget class lives in
:mod:`wfpsim.viz.widgets`, imported on first use (``player(...)`` or ``wfpsim.viz.player.Player``).

>>> normalize(" fwp_action_block ")
'BLOCK'
>>> judge({"accept": ["PERMIT"], "outcome": "PERMIT by 'web'."}, "permit")
(True, "Right! PERMIT by 'web'.")
"""

from __future__ import annotations

from typing import Any

from wfpsim.errors import InvalidParameterError

#: What a student may predict, and what each means.
PREDICTIONS = {
    "PERMIT": "a filter permits it",
    "BLOCK": "a filter blocks it",
    "NONE": "no filter decides (NONE or NONE_NO_MATCH): it passes",
    "NONE_NO_MATCH": "no filter matches at all",
    "DROP": "the stack discards it here (a discard layer)",
    "DEPENDS": "an unknown callout decides: the result depends on what its driver answers",
}
#: Feedback after a prediction; ``{prediction}`` and ``{outcome}`` are filled in.
TEXTS = {
    "right": "Right! {outcome}",
    "wrong": "Not quite: you predicted {prediction}. What happened: {outcome}",
}
#: The player's style (page and widget), every rule scoped under ``.wfp-player``.
PLAYER_CSS = """
.wfp-player { --wfp-mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono",
  monospace;
  --wfp-sans: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
  font: 13px/1.45 var(--wfp-sans); color: #263238; background: #fff;
  border: 1px solid #cfd8dc; border-radius: 8px; padding: 8px 10px; }
.wfp-player * { box-sizing: border-box; }
.wfp-player .wfp-bar { display: flex; flex-wrap: wrap; align-items: center; gap: 6px;
  padding-bottom: 8px; margin-bottom: 8px; border-bottom: 1px solid #eceff1; }
.wfp-player button { font: inherit; min-width: 34px; padding: 3px 9px; border: 1px solid #b0bec5;
  border-radius: 5px; background: #f5f7f8; color: #263238; cursor: pointer; }
.wfp-player button:hover { background: #e3eaee; }
.wfp-player .wfp-play { background: #1565c0; border-color: #1565c0; color: #fff; min-width: 42px; }
.wfp-player .wfp-play:hover { background: #0d47a1; }
.wfp-player .wfp-speed, .wfp-player .wfp-chk { display: inline-flex; align-items: center; gap: 4px;
  color: #546e7a; margin-left: 6px; }
.wfp-player .wfp-speed input { width: 90px; }
.wfp-player .wfp-speed output { min-width: 3.2em; }
.wfp-player .wfp-pos { font-weight: 600; margin-left: 6px; }
.wfp-player .wfp-grow { flex: 1; }
.wfp-player .wfp-score { font-weight: 700; color: #6a1b9a; }
.wfp-player .wfp-main { display: grid; grid-template-columns: minmax(0, 6fr) minmax(360px, 5fr);
  gap: 12px; align-items: start; }
.wfp-player .wfp-map svg { display: block; width: 100%; height: auto; }
.wfp-player .wfp-side { display: flex; flex-direction: column; gap: 8px; min-width: 0; }
.wfp-player .wfp-events { list-style: none; margin: 0; padding: 0; max-height: 190px;
  overflow-y: auto;
  position: relative; border: 1px solid #e0e6e9; border-radius: 6px;
  font: 12px/1.6 var(--wfp-mono); }
.wfp-player .wfp-group { position: sticky; top: 0; z-index: 1; padding: 2px 8px;
  background: #eceff1;
  font: 600 12px/1.6 var(--wfp-sans); }
.wfp-player .wfp-ev { position: relative; padding: 0 8px 0 20px; cursor: pointer;
  white-space: nowrap;
  overflow: hidden; text-overflow: ellipsis; }
.wfp-player .wfp-ev:hover { background: #f1f5f8; }
.wfp-player .wfp-ev.wfp-cur { background: #fff3e0; font-weight: 700;
  box-shadow: inset 3px 0 #ff8f00; }
.wfp-player .wfp-ev::before, .wfp-player .wfp-legend i { content: ""; display: inline-block;
  width: 8px; height: 8px; border-radius: 50%; background: var(--c); }
.wfp-player .wfp-ev::before { position: absolute; left: 7px; top: 7px; }
.wfp-player [data-r="permit"] { --c: #2e7d32; }
.wfp-player [data-r="block"] { --c: #c62828; }
.wfp-player [data-r="none"] { --c: #1565c0; }
.wfp-player [data-r="discard"] { --c: #ef6c00; }
.wfp-player [data-r="unknown"] { --c: #8e24aa; }
.wfp-player [data-r="depends"] { --c: #00897b; }
.wfp-player .w-depends { margin: 3px 0 6px; padding: 5px 8px; border: 2px dashed #00897b;
  border-radius: 6px; background: #e0f2f1; }
.wfp-player .w-depends p { margin: 2px 0 4px; }
.wfp-player .w-badge { display: inline-block; padding: 0 6px; border-radius: 4px;
  background: #00897b; color: #fff; font: 700 11.5px/1.6 var(--wfp-sans); letter-spacing: 0.04em; }
.wfp-player .w-act[data-r] { color: var(--c); font-weight: 700; }
.wfp-player .wfp-legend { margin-top: 6px; color: #607d8b; font-size: 12px; }
.wfp-player .wfp-legend i { margin: 0 3px 0 8px; }
.wfp-player .wfp-quiz { border: 1px solid #ce93d8; background: #faf4fc; border-radius: 6px;
  padding: 6px 8px; }
.wfp-player .wfp-quiz[hidden] { display: none; }
.wfp-player .wfp-ask { font-weight: 600; color: #6a1b9a; }
.wfp-player .wfp-fb { margin-top: 4px; }
.wfp-player .wfp-ok { color: #1b5e20; }
.wfp-player .wfp-no { color: #8d4004; }
.wfp-player .wfp-insp { border: 1px solid #e0e6e9; border-radius: 6px; padding: 6px 8px;
  max-height: 560px; overflow-y: auto; }
.wfp-player .wfp-insp details { margin: 3px 0 6px; }
.wfp-player .wfp-insp summary { cursor: pointer; font-weight: 600; color: #37474f; }
.wfp-player .w-head { font-size: 14px; margin-bottom: 3px; }
.wfp-player .w-rid { color: #78909c; }
.wfp-player .w-note { margin: 2px 0; color: #8d4004; }
.wfp-player .w-t { border-collapse: collapse; width: 100%; margin: 3px 0; font-size: 12px; }
.wfp-player .w-t th, .wfp-player .w-t td { padding: 1px 6px; border-bottom: 1px solid #eef2f4;
  text-align: left; vertical-align: top; }
.wfp-player .w-t th { color: #78909c; font-weight: 500; }
.wfp-player .w-fix td, .wfp-player .w-dec td { font-family: var(--wfp-mono); font-size: 11.5px;
  overflow-wrap: break-word; }
.wfp-player .w-fields td:nth-child(n + 2) { white-space: nowrap; }
.wfp-player .w-wrap { white-space: normal; overflow-wrap: break-word; word-break: normal; }
.wfp-player .w-fields i { font-style: normal; color: #90a4ae; }
.wfp-player .w-t tr.w-sub td { background: #f3f6f8; font: 600 12px var(--wfp-sans); }
.wfp-player .w-hex { margin: 4px 0; padding: 6px 8px; border-radius: 5px; overflow-x: auto;
  background: #263238; color: #eceff1; font: 11.5px/1.4 var(--wfp-mono); }
.wfp-player .w-hex i { font-style: normal; color: #80cbc4; }
.wfp-player .w-hex b { color: #ffcc80; }
.wfp-player .w-arb tr.w-decided td, .wfp-player .w-arb tr.w-veto td { background: #fff8e1; }
.wfp-player .w-call { color: #5d4037; font-size: 11.5px; }
.wfp-player .w-arb tr.w-no_match td, .wfp-player .w-arb tr.w-skipped td { color: #90a4ae; }
.wfp-player .w-more td { color: #90a4ae; font-style: italic; }
.wfp-player .w-ask { color: #6a1b9a; font-weight: 600; }
.wfp-player .w-end { margin-top: 6px; padding: 4px 8px; background: #eceff1; border-radius: 5px; }
.wfp-player .w-end p { margin: 2px 0; }
.wfp-player .wfp-map g[data-w] path { stroke-width: 2.5px; }
.wfp-player .wfp-map g.node[data-w~="permit"] > path { stroke: #2e7d32; fill: #e8f5e9; }
.wfp-player .wfp-map g.node[data-w~="block"] > path { stroke: #c62828; fill: #ffebee; }
.wfp-player .wfp-map g.node[data-w~="none"] > path { stroke: #1565c0; fill: #e3f2fd; }
.wfp-player .wfp-map g.node[data-w~="discard"] > path { stroke: #ef6c00; fill: #fff3e0; }
.wfp-player .wfp-map g.node[data-w~="unknown"] > path { stroke: #8e24aa; fill: #f3e5f5; }
.wfp-player .wfp-map g.node[data-w~="depends"] > path { stroke: #00897b; fill: #e0f2f1;
  stroke-dasharray: 6 3; }
.wfp-player .wfp-map g.node[data-w~="cur"] > path { stroke-width: 4.5px;
  filter: drop-shadow(0 0 6px rgba(255, 143, 0, 0.9)); }
.wfp-player .wfp-map g.node[data-w~="cur"][data-w~="permit"] > path { fill: #a5d6a7; }
.wfp-player .wfp-map g.node[data-w~="cur"][data-w~="block"] > path { fill: #ef9a9a; }
.wfp-player .wfp-map g.node[data-w~="cur"][data-w~="none"] > path { fill: #90caf9; }
.wfp-player .wfp-map g.node[data-w~="cur"][data-w~="discard"] > path { fill: #ffcc80; }
.wfp-player .wfp-map g.node[data-w~="cur"][data-w~="unknown"] > path { fill: #e1bee7; }
.wfp-player .wfp-map g.node[data-w~="cur"][data-w~="depends"] > path { fill: #80cbc4; }
.wfp-player .wfp-map g.node[data-w~="cur"] text { font-weight: 700; }
.wfp-player .wfp-map g.edge[data-w~="seen"] path { stroke: #78909c; stroke-width: 1.8px; }
.wfp-player .wfp-map g.edge[data-w~="seen"] polygon { stroke: #78909c; fill: #78909c; }
.wfp-player .wfp-map g.edge[data-w~="cur"] path { stroke: #ff8f00; stroke-width: 3px;
  stroke-dasharray: 7 4; animation: wfp-flow 0.7s linear infinite; }
.wfp-player .wfp-map g.edge[data-w~="cur"] polygon { stroke: #ff8f00; fill: #ff8f00; }
@keyframes wfp-flow { to { stroke-dashoffset: -11; } }
.wfp-player { container-type: inline-size; }
@container (max-width: 760px) { .wfp-player .wfp-main { grid-template-columns: minmax(0, 1fr); } }
"""


def normalize(prediction: str) -> str:
    """``"fwp_action_block "`` → ``BLOCK``; an :class:`InvalidParameterError` if unknown."""
    key = str(prediction).strip().upper().removeprefix("FWP_ACTION_")
    if key not in PREDICTIONS:
        valid = "; ".join(f"{k} ({v})" for k, v in PREDICTIONS.items())
        raise InvalidParameterError(f"prediction {prediction!r}; valid: {valid}")
    return key


def judge(frame: dict[str, Any], prediction: str) -> tuple[bool, str]:
    """Whether ``prediction`` is right for a frame, and the feedback sentence."""
    key = normalize(prediction)
    right = key in frame["accept"]
    return right, TEXTS["right" if right else "wrong"].format(
        prediction=key, outcome=frame["outcome"]
    )


def player(journeys: Any, challenge: bool = False, speed: float = 2.0) -> Any:
    """A :class:`Player` widget for one journey or several (one IP version).

    Args:
        journeys: a :class:`~wfpsim.stack.journey.Journey` or a list of them.
        challenge: hide each step's verdict until the student predicts it.
        speed: steps per second while playing.

    Returns:
        The widget; display it (the last expression of a cell) and drive it from the browser
        or from Python (``step()``, ``back()``, ``goto(i)``, ``answer("BLOCK")``…).

    Raises:
        InvalidParameterError: no journey, journeys mixing IPv4 and IPv6, or ``speed`` <= 0.
    """
    return player_class()(journeys, challenge=challenge, speed=speed)


def player_class() -> Any:
    """The :class:`~wfpsim.viz.widgets.Player` class (``anywidget`` is imported on first use)."""
    from wfpsim.viz.widgets import Player

    return Player


def __getattr__(name: str) -> Any:
    if name == "Player":
        return player_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
