"""A journey: every layer a connection or packet exchange crossed on this host, in order.

Steps are immutable records that hold the classification trace, what the callouts saw
(``in_fixed_values``, ``in_meta_values``, the packet bytes and the data offset) and what
happened next. This is what the pictures and the player replay.
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass, field
from pathlib import Path
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
class Alternative:
    """What a step, or a whole journey, comes to when unknown callouts answer one way.

    A dump names third-party callouts but holds none of their code (:mod:`wfpsim.unknown`):
    :func:`wfpsim.analysis.flows.explain_flow` tries every answer they may give and records, on
    each step where one is asked and on the journey, one alternative per combination of answers.

    Attributes:
        answers: ``(callout, returns)`` pairs: the unknown callouts and what they answer. Empty,
            with verdict ``DEPENDS``, for the combinations the exploration had no time to try.
        action: the layer's action at the step with these answers (``""`` for a journey).
        verdict: the journey's verdict with these answers (``DEPENDS`` when unknown callouts
            asked later decide it).
    """

    answers: tuple[tuple[str, str], ...]
    action: str
    verdict: str

    def condition(self) -> str:
        """``edr (STREAM_V4) -> BLOCK``: the answers in words."""
        if not self.answers:
            return "other answers (not tried: too many combinations)"
        return ", ".join(f"{callout} -> {returns}" for callout, returns in self.answers)


@dataclass(frozen=True, slots=True)
class InjectedCopy:
    """On a step: the packet crossing here was injected (``wfpsim.injection``).

    ``callout`` made the call (``function``) with injection handle ``handle_id``; ``copy`` is
    1 for a copy of a stack packet, 2 for a copy of that copy, and so on.
    """

    callout: str
    function: str
    handle_id: int
    copy: int = 1

    def describe(self) -> str:
        """``injected by 'reinject' (FwpsInjectTransportSendAsync0)``."""
        nth = f", copy {self.copy}" if self.copy > 1 else ""
        return f"injected by {self.callout or 'a driver'!r} ({self.function}{nth})"


@dataclass(frozen=True, slots=True)
class InjectionEvent:
    """One injection call a journey saw: who, how, from which layer, and what became of it."""

    callout: str
    function: str
    layer: str
    fate: str

    def to_json(self) -> dict[str, str]:
        """``{"callout", "function", "layer", "fate"}``."""
        return {
            "callout": self.callout,
            "function": self.function,
            "layer": self.layer,
            "fate": self.fate,
        }


@dataclass(frozen=True, slots=True)
class RedirectEvent:
    """One redirection a journey saw (``wfpsim.redirection``): at which layer, by whom, from
    where to where, the redirect state the connection had for that callout's handle before,
    and what became of it (``"redirected"``, ``"bind redirected"``, or refused as a loop)."""

    callout: str
    layer: str
    original: str
    destination: str
    target_pid: int = 0
    state: str = ""
    fate: str = "redirected"

    def describe(self) -> str:
        """``'proxy' at ALE_CONNECT_REDIRECT_V4: 1.2.3.4:80 -> 127.0.0.1:8080 (redirected)``."""
        pid = f", pid {self.target_pid}" if self.target_pid else ""
        was = f", was {self.state}" if self.state else ""
        who = repr(self.callout) if self.callout else "a filter"
        return (
            f"{who} at {self.layer}: {self.original} -> {self.destination} ({self.fate}{pid}{was})"
        )

    def to_json(self) -> dict[str, Any]:
        """``{"callout", "layer", "original", "destination", "target_pid", "state", "fate"}``."""
        return {
            "callout": self.callout,
            "layer": self.layer,
            "original": self.original,
            "destination": self.destination,
            "target_pid": self.target_pid,
            "state": self.state,
            "fate": self.fate,
        }


@dataclass(frozen=True, slots=True)
class PendEvent:
    """One pended classification a journey saw (``wfpsim.pend``): who, where, when, and how it
    ended.

    ``function`` is ``FwpsPendOperation0`` or ``FwpsPendClassify0``; ``pended_at`` and
    ``completed_at`` are simulated seconds (``completed_at`` None: never completed);
    ``outcome`` says what the stack did with it.
    """

    callout: str
    function: str
    layer: str
    pended_at: float
    completed_at: float | None
    outcome: str

    @property
    def waited(self) -> float:
        """Seconds the operation waited (until completion, or until the stack gave up)."""
        return (self.completed_at or self.pended_at) - self.pended_at

    def describe(self) -> str:
        """``'prompt' FwpsPendOperation0 at ALE_AUTH_CONNECT_V4, t=0.000 s -> t=5.000 s: …``."""
        end = f"t={self.completed_at:.3f} s" if self.completed_at is not None else "never"
        return (
            f"{self.callout or 'a driver'!r} {self.function} at {self.layer}, "
            f"t={self.pended_at:.3f} s -> {end}: {self.outcome}"
        )

    def to_json(self) -> dict[str, Any]:
        """``{"callout", "function", "layer", "pended_at", "completed_at", "outcome"}``."""
        return {
            "callout": self.callout,
            "function": self.function,
            "layer": self.layer,
            "pended_at": self.pended_at,
            "completed_at": self.completed_at,
            "outcome": self.outcome,
        }


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """What the stream layer did with a direction's data (:mod:`wfpsim.stack.streamio`).

    ``kind``: ``held`` (kept for NEED_MORE_DATA, not indicated yet), ``partial`` (a callout
    enforced only ``count_bytes_enforced`` bytes; the rest is indicated again), ``blocked``
    (bytes taken out of the stream), ``injected`` (FwpsStreamInjectAsync0 data put in),
    ``allowed`` (ALLOW_CONNECTION: no more indications), ``deferred`` / ``resumed`` (DEFER and
    FwpsStreamContinue0), ``dropped`` (DROP_CONNECTION), ``delivered`` (what the receiving
    side got). ``step`` is the STREAM step it belongs to (None when no indication was made).
    """

    kind: str
    layer: str
    outbound: bool
    data: bytes = b""
    detail: str = ""
    step: int | None = None

    def describe(self) -> str:
        """``held at STREAM_V4 (send): 11 bytes — waiting for 16``."""
        way = "send" if self.outbound else "receive"
        extra = f" — {self.detail}" if self.detail else ""
        return f"{self.kind} at {self.layer} ({way}): {len(self.data)} bytes {self.data!r}{extra}"

    def to_json(self) -> dict[str, Any]:
        """``{"kind", "layer", "outbound", "data", "detail", "step"}`` (data as latin-1 text)."""
        return {
            "kind": self.kind,
            "layer": self.layer,
            "outbound": self.outbound,
            "data": self.data.decode("latin-1"),
            "detail": self.detail,
            "step": self.step,
        }


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
    #: Unknown callouts asked here: what this layer and the journey come to for each answer.
    depends: tuple[Alternative, ...] = ()
    #: set when the packet here is an injected copy (who injected it, how)
    injection: InjectedCopy | None = None
    #: simulated seconds when this layer classified (``wfpsim.clock``; 0 until time passes)
    time: float = 0.0

    @property
    def action(self) -> Action:
        """The classification's action at this layer."""
        return self.classification.action

    @property
    def result(self) -> str:
        """The action's name, or ``DEPENDS`` when unknown callouts' answers decide whether the
        traffic is blocked here (a PERMIT for one answer and no decision for another both let it
        on: the step keeps its action, and :attr:`depends` still lists the answers)."""
        blocked = {a.action == "BLOCK" for a in self.depends}
        return "DEPENDS" if len(blocked) > 1 else self.action.name

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
    #: On a machine with unknown callouts: every combination of their answers and its verdict.
    possible: tuple[Alternative, ...] = ()
    #: every packet injection a callout made during the journey (``wfpsim.injection``)
    injections: list[InjectionEvent] = field(default_factory=list)
    #: faults of callouts the stack found (an injection loop, a completionFn that raised)
    faults: list[str] = field(default_factory=list)
    #: every bind or connect redirection made during the journey (``wfpsim.redirection``)
    redirects: list[RedirectEvent] = field(default_factory=list)
    #: every classification a callout pended during the journey (``wfpsim.pend``)
    pends: list[PendEvent] = field(default_factory=list)

    @property
    def duration(self) -> float:
        """Simulated seconds from the journey's first step to its last (0.0: no time passed)."""
        return self.steps[-1].time - self.steps[0].time if self.steps else 0.0

    #: what the stream layer did: data held, partly enforced, injected … (``streamio``)
    streams: list[StreamEvent] = field(default_factory=list)

    @property
    def delivered(self) -> bytes:
        """The stream bytes the opener's peer received, in order (after any stream edits)."""
        return b"".join(e.data for e in self.streams if e.kind == "delivered" and e.detail == "")

    @property
    def result(self) -> str:
        """PERMIT, BLOCK or DROP — or ``DEPENDS`` when unknown callouts' answers change it.

        :attr:`verdict` is the verdict of this run (every unknown callout giving its first
        answer); :attr:`possible` lists the others.
        """
        verdicts = {a.verdict for a in self.possible}
        return "DEPENDS" if len(verdicts) > 1 or "DEPENDS" in verdicts else self.verdict.value

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
            "injections": [i.to_json() for i in self.injections],
            "faults": list(self.faults),
            "redirects": [r.to_json() for r in self.redirects],
            "pends": [p.to_json() for p in self.pends],
            "duration": self.duration,
            "streams": [e.to_json() for e in self.streams],
            "delivered": self.delivered.decode("latin-1"),
            "held": sum(1 for e in self.streams if e.kind == "held"),
        }

    def save_pcap(self, path: str | os.PathLike[str]) -> Path:
        """Write this journey's packets to a pcapng file (:mod:`wfpsim.stack.pcap`).

        Each frame's comment names the layers the packet crossed and its fate; a packet a
        callout injected says who injected it. Returns the path written.

        Raises:
            InvalidParameterError: the file cannot be written.
        """
        from wfpsim.stack.pcap import save_pcap

        return save_pcap(self, path)

    def _repr_html_(self) -> str:
        """In a notebook: the verdict and one row per layer crossed."""
        from wfpsim.stack.inspect import journey_table

        return journey_table(self)._repr_html_()

    def describe(self) -> str:
        """One line per step: layer, event, result."""
        head = f"{self.kind.upper()} {self.direction.value} {self.local} -> {self.remote}"
        lines = [f"{head}: {self.result}"]
        timed = bool(self.pends) or self.duration > 0
        for s in self.steps:
            who = f" by {s.classification.filter_name!r}" if s.classification.filter_name else ""
            extra = f" — {s.note}" if s.note else ""
            when = f" t={s.time:7.3f}s" if timed else ""
            lines.append(f"  {s.index:>2}{when} {s.layer:<34} {s.event:<28} {s.result}{who}{extra}")
            if s.result == "DEPENDS":
                for a in s.depends:
                    lines.append(f"       if {a.condition()}: {a.action}, journey {a.verdict}")
        lines += [f"  note: {n}" for n in self.notes]
        lines += [
            f"  injection: {i.callout or 'a driver'!r} {i.function} at {i.layer}: {i.fate}"
            for i in self.injections
        ]
        lines += [f"  redirect: {r.describe()}" for r in self.redirects]
        lines += [f"  pend: {p.describe()}" for p in self.pends]
        lines += [f"  stream: {e.describe()}" for e in self.streams if e.kind != "delivered"]
        lines += [f"  FAULT: {f}" for f in self.faults]
        return "\n".join(lines)
