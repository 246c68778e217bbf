"""A journey: every layer a connection or packet exchange crossed on this host, in order.

Steps are immutable records that hold the classification trace, what the callouts saw
(``in_fixed_values``, ``in_meta_values``, the packet bytes and the data offset) and what
happened next. This is what the pictures and the player replay.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from wfpsim.callouts import IncomingValues, MetaValues
from wfpsim.catalog import Direction
from wfpsim.errors import InvalidParameterError
from wfpsim.objects import Action
from wfpsim.trace import Classification


class Verdict(enum.StrEnum):
    """How a journey ended. A string enum: ``journey.verdict == "BLOCK"`` holds.

    ``PERMIT``: it went through; ``BLOCK``: a filter blocked it (``decided_at`` names the
    layer); ``DROP``: the stack dropped it or the peer refused (no listener, RST, ICMP error).
    """

    PERMIT = "PERMIT"
    BLOCK = "BLOCK"
    DROP = "DROP"

    def __repr__(self) -> str:
        return repr(self.value)


@dataclass(frozen=True, slots=True)
class Step:
    """One crossing of one layer."""

    index: int
    layer: str
    layer_id: int | None
    event: str
    classification: Classification
    in_fixed_values: IncomingValues
    in_meta_values: MetaValues
    packet: bytes | None = None
    data_offset: int | None = None
    layer_data: Any = None
    side: str = ""
    outcome: str = ""
    note: str = ""

    @property
    def action(self) -> Action:
        """The classification's action at this layer."""
        return self.classification.action

    @property
    def blocked(self) -> bool:
        """A filter blocked at this layer."""
        return self.classification.action == Action.BLOCK

    @property
    def is_discard(self) -> bool:
        """This is a ``_DISCARD`` layer indication."""
        return self.layer.endswith("_DISCARD")


@dataclass(slots=True)
class Journey:
    """A connection or packet exchange from the opener's bind to its close (growing)."""

    kind: str
    direction: Direction
    local: str
    remote: str
    steps: list[Step] = field(default_factory=list)
    setup: list[Step] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    verdict: Verdict = Verdict.PERMIT
    decided_at: str | None = None
    decided_by: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def layers(self) -> list[str]:
        """Short names of every layer crossed, in order, repeats included."""
        return [s.layer for s in self.steps]

    def at(self, layer: str) -> Step:
        """The first step at a layer (``"STREAM_V4"`` or ``"FWPM_LAYER_STREAM_V4"``).

        Raises:
            InvalidParameterError: the journey never crossed that layer (the message lists
                the layers it did cross).
        """
        name = layer.removeprefix("FWPM_LAYER_").removeprefix("FWPS_LAYER_")
        for step in self.steps:
            if step.layer == name:
                return step
        crossed = ", ".join(dict.fromkeys(self.layers)) or "none"
        raise InvalidParameterError(f"this journey never crossed {layer!r}; it crossed: {crossed}")

    def block(self, step: Step) -> None:
        """A filter blocked a step: the first block decides the verdict."""
        if self.verdict != Verdict.BLOCK:
            self.verdict = Verdict.BLOCK
            self.decided_at = step.layer
            self.decided_by = step.classification.filter_name

    def drop(self, layer: str | None, why: str) -> None:
        """The stack dropped it (no listener, peer refused): verdict DROP unless blocked."""
        if self.verdict == Verdict.PERMIT:
            self.verdict = Verdict.DROP
            self.decided_at = layer
        self.notes.append(why)

    def to_json(self, index: int) -> dict[str, Any]:
        """The ``traffic`` entry of ``wfpsim run --json``."""
        return {
            "index": index,
            "kind": self.kind,
            "direction": self.direction.value,
            "local": self.local,
            "remote": self.remote,
            "verdict": self.verdict.value,
            "decided_at": self.decided_at,
            "decided_by": self.decided_by,
            "layers": self.layers,
            "log": list(self.log),
        }

    def _repr_html_(self) -> str:
        """In a notebook: the verdict and one row per layer crossed."""
        from wfpsim.stack.inspect import journey_table

        return journey_table(self)._repr_html_()

    def describe(self) -> str:
        """One line per step: layer, event, result."""
        head = f"{self.kind.upper()} {self.direction.value} {self.local} -> {self.remote}"
        lines = [f"{head}: {self.verdict}"]
        for s in self.steps:
            who = f" by {s.classification.filter_name!r}" if s.classification.filter_name else ""
            extra = f" — {s.note}" if s.note else ""
            lines.append(f"  {s.index:>2} {s.layer:<34} {s.event:<28} {s.action.name}{who}{extra}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)
