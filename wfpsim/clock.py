"""Simulated time: one clock per engine, and work a driver schedules for later.

Windows runs a pended classification's completion whenever the driver's worker thread (or the
user-mode program it asked) gets to it. wfpsim has no threads: time is a number of seconds on a
simulated clock that starts at 0 when the engine is made, and "later" is an entry on the
clock's schedule. The stack advances the clock only while something waits (a pended connect,
:mod:`wfpsim.pend`); every step of a journey records the time it was classified at
(:attr:`Step.time <wfpsim.stack.journey.Step.time>`).

A driver asks for a callback in so many seconds with :func:`schedule_after`, from its classifyFn
or anywhere its engine's kernel is current::

    from wfpsim.clock import schedule_after

    def classify(in_fixed_values, in_meta_values, layer_data, classify_context, filter,
                 flow_context, classify_out):
        ...                                    # FwpsPendOperation0(...) -> context
        schedule_after(5.0, lambda: FwpsCompleteOperation0(context, None), "the user clicks Allow")

**Our choices** (Microsoft documents no clock): callbacks run in the order of their time, then of
scheduling (deterministic); a callback that raises is contained and reported as a fault of the
driver that scheduled it; nothing runs until the stack waits for it (a scheduled callback whose
time never comes in a journey simply stays on the schedule).

>>> clock = Clock()
>>> _ = clock.schedule(2.5, lambda: None, "later")
>>> clock.run_next().label, clock.now
('later', 2.5)
"""

from __future__ import annotations

import heapq
import itertools
import math
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from wfpsim.errors import InvalidParameterError
from wfpsim.kernel import current_kernel, describe_fault

if TYPE_CHECKING:
    from wfpsim.kernel import Kernel


@dataclass(frozen=True, slots=True)
class Ran:
    """One scheduled callback that ran: when, what, who scheduled it, and any fault."""

    time: float
    label: str
    owner: str
    fault: str = ""


@dataclass(order=True, slots=True)
class _Entry:
    time: float
    seq: int
    callback: Callable[[], object] = field(compare=False)
    label: str = field(compare=False, default="")
    owner: str = field(compare=False, default="")
    cancelled: bool = field(compare=False, default=False)


class Clock:
    """Simulated seconds and a schedule of callbacks (one per engine: :func:`clock_of`)."""

    def __init__(self, running: list[str] | None = None) -> None:
        #: the current simulated time, in seconds
        self.now = 0.0
        #: the kernel's running-callout names: a callback runs under its scheduler's name, so
        #: the kernel calls it makes (a completion, an injection) name that callout
        self._running = running if running is not None else []
        self._queue: list[_Entry] = []
        self._seq = itertools.count()
        #: every callback that ran, in order
        self.ran: list[Ran] = []

    def schedule(
        self, delay: float, callback: Callable[[], object], label: str = "", owner: str = ""
    ) -> _Entry:
        """Run ``callback()`` ``delay`` seconds from now.

        Raises:
            InvalidParameterError: ``delay`` is not a finite number >= 0, or ``callback`` is
                not callable.
        """
        if isinstance(delay, bool) or not isinstance(delay, int | float):
            raise InvalidParameterError(f"delay = {delay!r}: give seconds as a number >= 0")
        if not math.isfinite(delay) or delay < 0:
            raise InvalidParameterError(f"delay = {delay!r}: give seconds as a number >= 0")
        if not callable(callback):
            raise InvalidParameterError(f"callback = {callback!r} is not callable")
        entry = _Entry(self.now + float(delay), next(self._seq), callback, str(label), owner)
        heapq.heappush(self._queue, entry)
        return entry

    def next_time(self) -> float | None:
        """When the next scheduled callback is due (None: nothing is scheduled)."""
        while self._queue and self._queue[0].cancelled:
            heapq.heappop(self._queue)
        return self._queue[0].time if self._queue else None

    def run_next(self, until: float | None = None) -> Ran | None:
        """Advance to the next callback (not past ``until``) and run it; None if none is due.

        A callback that raises is contained: its fault is in the returned record.
        """
        due = self.next_time()
        if due is None or (until is not None and due > until):
            return None
        entry = heapq.heappop(self._queue)
        self.now = max(self.now, entry.time)
        fault = ""
        self._running.append(entry.owner)
        try:
            entry.callback()
        except KeyboardInterrupt:
            raise
        except BaseException as err:  # a driver's bug must not take the stack down
            fault = describe_fault(err)
        finally:
            self._running.pop()
        ran = Ran(self.now, entry.label, entry.owner, fault)
        self.ran.append(ran)
        return ran

    def advance(self, seconds: float) -> list[Ran]:
        """Let ``seconds`` pass, running every callback due meanwhile; what ran."""
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise InvalidParameterError(f"seconds = {seconds!r}: give a number >= 0")
        end = self.now + float(seconds)
        done = []
        while (ran := self.run_next(until=end)) is not None:
            done.append(ran)
        self.now = max(self.now, end)
        return done

    @property
    def scheduled(self) -> list[tuple[float, str]]:
        """``(time, label)`` of every callback still waiting, in the order they will run."""
        return [(e.time, e.label) for e in sorted(self._queue) if not e.cancelled]


_CLOCKS: weakref.WeakKeyDictionary[Kernel, Clock] = weakref.WeakKeyDictionary()


def clock_of(kernel: Kernel) -> Clock:
    """The clock of one engine's kernel (created on first use, at 0 s)."""
    found = _CLOCKS.get(kernel)
    if found is None:
        found = _CLOCKS[kernel] = Clock(kernel.running_callouts)
    return found


def now() -> float:
    """The current simulated time of the engine whose kernel is current (0.0 outside one)."""
    kernel = current_kernel()
    return clock_of(kernel).now if kernel is not None else 0.0


def schedule_after(seconds: float, callback: Callable[[], object], label: str = "") -> None:
    """Run ``callback()`` ``seconds`` simulated seconds from now (the current engine's clock).

    Call it where a driver would hand work to a worker thread or a user-mode program: from a
    classifyFn, or from another callback. ``label`` names the work in the journey.

    Raises:
        InvalidParameterError: no engine's kernel is current (call it from a callout, or inside
            ``engine.kernel_context()``), or a bad ``seconds`` / ``callback``.
    """
    kernel = current_kernel()
    if kernel is None:
        raise InvalidParameterError(
            "schedule_after needs an engine: call it from a callout or inside "
            "engine.kernel_context()"
        )
    owner = kernel.running_callouts[-1] if kernel.running_callouts else ""
    clock_of(kernel).schedule(seconds, callback, label, owner)


__all__ = ["Clock", "Ran", "clock_of", "now", "schedule_after"]
