"""The notebook widgets (``anywidget``): the packet player and a picture drawn in the page.

This module imports ``anywidget`` and ``traitlets`` at the top, so the widget classes are
ordinary module-level classes; :mod:`wfpsim.viz.player` and :mod:`wfpsim.viz.svg` import it only
when a widget is first needed, so ``import wfpsim.viz`` stays free of widget libraries.

- :class:`Player` — the packet player (its rules and style: :mod:`wfpsim.viz.player`; its
  browser code: :mod:`wfpsim.viz.export`).
- :class:`Drawing` — DOT drawn by the WebAssembly Graphviz in the page, where no ``dot``
  program exists (the browser classroom): see :mod:`wfpsim.viz.browser`.
"""

from __future__ import annotations

from typing import Any

import anywidget
import traitlets as t

from wfpsim.errors import InvalidParameterError
from wfpsim.viz import frames
from wfpsim.viz.browser import DRAWING_CSS, DRAWING_ESM
from wfpsim.viz.export import ESM
from wfpsim.viz.player import PLAYER_CSS, judge
from wfpsim.viz.svg import dot_available


class Drawing(anywidget.AnyWidget):
    """A picture's DOT source, laid out and shown as SVG by Graphviz running in the page.

    Synced trait: ``dot`` (sent once). What :class:`~wfpsim.viz.svg.Picture` shows where no
    ``dot`` program exists.
    """

    _esm = DRAWING_ESM
    _css = DRAWING_CSS
    dot = t.Unicode("").tag(sync=True)

    def __init__(self, source: str, **kw: Any) -> None:
        super().__init__(dot=source, **kw)

    def __repr__(self) -> str:
        return f"<Drawing: {self.dot.count(chr(10)) + 1} lines of DOT, drawn in the page>"


class Player(anywidget.AnyWidget):
    """Steps through journeys on the stack map; a flat ``position`` indexes every step.

    Synced traits: ``svg`` (or ``dot`` where no ``dot`` program exists: the page lays it out
    with the WebAssembly Graphviz) and ``events`` (sent once), ``position``, ``playing``, ``speed``
    (steps per second), ``frame`` (what changes per step), ``challenge``, ``score``
    (``asked``/``right``) and ``revealed`` (the current verdict is visible).
    """

    _esm = ESM
    _css = PLAYER_CSS
    svg = t.Unicode("").tag(sync=True)
    dot = t.Unicode("").tag(sync=True)
    events = t.List(t.Dict()).tag(sync=True)
    position = t.Int(0).tag(sync=True)
    playing = t.Bool(False).tag(sync=True)
    speed = t.Float(2.0).tag(sync=True)
    frame = t.Dict({}).tag(sync=True)
    challenge = t.Bool(False).tag(sync=True)
    score = t.Dict({"asked": 0, "right": 0}).tag(sync=True)
    revealed = t.Bool(True).tag(sync=True)

    def __init__(self, journeys: Any, challenge: bool = False, speed: float = 2.0, **kw):
        if not isinstance(speed, int | float) or not speed > 0:
            raise InvalidParameterError(f"speed {speed!r}; valid: steps per second above 0")
        self.journeys = frames.as_list(journeys)
        frames.ip_version(self.journeys)
        self._positions = frames.positions(self.journeys)
        if not self._positions:
            raise InvalidParameterError("the journeys have no steps; valid: a journey with steps")
        self._frames: dict[int, dict[str, Any]] = {}
        self._answers: dict[int, tuple[bool, str]] = {}
        view = self._view(0, bool(challenge))
        if dot_available():
            picture = {"svg": frames.base_svg(self.journeys)}
        else:
            picture = {"dot": frames.base_dot(self.journeys)}
        super().__init__(
            **picture,
            events=frames.events(self.journeys),
            challenge=bool(challenge),
            speed=float(speed),
            frame=view,
            revealed=not view["hidden"],
            **kw,
        )
        self.on_msg(self._on_msg)

    def __len__(self) -> int:
        return len(self._positions)

    def __repr__(self) -> str:
        return (
            f"<Player: {len(self)} steps of {len(self.journeys)} journey(s), "
            f"at step {self.position}{', challenge' if self.challenge else ''}>"
        )

    @property
    def current(self) -> Any:
        """The :class:`~wfpsim.stack.journey.Step` at ``position``."""
        ji, si = self._positions[self.position]
        return self.journeys[ji].steps[si]

    def full_frame(self, position: int) -> dict[str, Any]:
        """A position's frame with its verdict (built once, then cached)."""
        if not isinstance(position, int) or not 0 <= position < len(self):
            raise InvalidParameterError(
                f"position {position!r}; valid: 0..{len(self) - 1} (one per step)"
            )
        if position not in self._frames:
            ji, si = self._positions[position]
            self._frames[position] = frames.frame(self.journeys[ji], si, position, ji)
        return self._frames[position]

    def _view(self, position: int, challenge: bool) -> dict[str, Any]:
        full = self.full_frame(position)
        if position in self._answers:
            right, text = self._answers[position]
            return {**full, "feedback": text, "right": right}
        return frames.masked(full) if challenge else full

    @t.validate("position")
    def _clamp(self, proposal: Any) -> int:
        return max(0, min(len(self._positions) - 1, int(proposal["value"])))

    @t.validate("speed")
    def _speed(self, proposal: Any) -> float:
        return max(0.1, min(50.0, float(proposal["value"])))

    @t.observe("position", "challenge")
    def _refresh(self, change: Any = None) -> None:
        view = self._view(self.position, self.challenge)
        with self.hold_sync():
            self.frame = view
            self.revealed = not view["hidden"]

    def _on_msg(self, widget: Any, content: Any, buffers: Any) -> None:
        if not isinstance(content, dict):
            return
        if content.get("cmd") == "reset":
            self.reset()
        elif content.get("cmd") == "answer":
            self.answer(str(content.get("prediction", "")))

    def step(self) -> None:
        """One step forward (stays on the last step)."""
        self.position = min(self.position + 1, len(self) - 1)

    def back(self) -> None:
        """One step back (stays on the first step)."""
        self.position = max(self.position - 1, 0)

    def goto(self, position: int) -> None:
        """Jump to a step (0 .. ``len(player) - 1``; an InvalidParameterError otherwise)."""
        self.full_frame(position)
        self.position = position

    def reset(self) -> None:
        """Back to the first step, paused; in challenge mode the answers and score restart."""
        self._answers.clear()
        with self.hold_sync():
            self.playing = False
            self.score = {"asked": 0, "right": 0}
            self.position = 0
            self._refresh()

    def play(self) -> None:
        """Play in the browser at ``speed`` steps per second (from the start if at the end)."""
        if self.position >= len(self) - 1:
            self.position = 0
        self.playing = True

    def pause(self) -> None:
        """Stop playing."""
        self.playing = False

    def answer(self, prediction: str) -> str:
        """Predict the current step's result: PERMIT, BLOCK, NONE, NONE_NO_MATCH or DROP.

        In challenge mode the first answer for a step reveals its verdict and counts in
        ``score``. Returns the feedback: whether it was right, and what happened.
        """
        right, text = judge(self.full_frame(self.position), prediction)
        if self.challenge and self.position not in self._answers:
            self._answers[self.position] = (right, text)
            asked, good = self.score.get("asked", 0), self.score.get("right", 0)
            self.score = {"asked": asked + 1, "right": good + right}
            self._refresh()
        return text
