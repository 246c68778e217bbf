"""What the stack does while a callout has pended a classification, and when it is completed.

After each classification the conversation asks its :class:`Waiter` whether a callout pended it
(:mod:`wfpsim.pend`). If so the operation **waits**: the stack runs the engine's clock
(:mod:`wfpsim.clock`) — the callbacks drivers scheduled, such as a user answering a prompt five
seconds later — until every pend of that classification is completed, or until
:data:`PEND_TIMEOUT` simulated seconds have passed. Then:

* ``FwpsCompleteOperation0`` at ``ALE_AUTH_CONNECT``, ``ALE_AUTH_LISTEN`` or
  ``ALE_RESOURCE_ASSIGNMENT``: the stack classifies the layer again, a reauthorization
  (``FWP_CONDITION_FLAG_IS_REAUTHORIZE``, ``REAUTHORIZE_REASON`` =
  ``FWP_CONDITION_REAUTHORIZE_REASON_CLASSIFY_COMPLETION``), and that decision is the one that
  counts (Microsoft, *Processing Classify Callouts Asynchronously*).
* ``FwpsCompleteOperation0`` at ``ALE_AUTH_RECV_ACCEPT``: no reauthorization (Microsoft). The
  pended classification's BLOCK stands unless the callout re-injected the packet it cloned: the
  copy then re-enters from the bottom of the stack (:mod:`wfpsim.stack.reinject`) and, permitted
  at ``ALE_AUTH_RECV_ACCEPT``, accepts the connection.
* ``FwpsCompleteClassify0`` with a ``classify_out``: a completion step records the final
  decision (see :mod:`wfpsim.pend`); with ``None``: a reauthorization as above.

**Our choices** where Microsoft is silent:

* Meanwhile nothing else of this conversation happens: a pended ``connect()`` sends no SYN (the
  SYN leaves only after ALE_AUTH_CONNECT authorized it), a pended incoming connection holds its
  SYN, a pended datagram waits. Callbacks of other drivers run as their time comes.
* :data:`PEND_TIMEOUT` is 21 s — how long Windows' ``connect()`` tries before
  ``WSAETIMEDOUT`` (an initial SYN retransmission timeout of 3 s, doubled twice: 3 + 6 + 12).
  A pend never completed by then is the callout's fault: the pended BLOCK stands and the
  operation fails; a later completion of it is refused.
* Windows flushes the data of a pended non-TCP connection (the application must send it again,
  *FwpsCompleteOperation0* Remarks); wfpsim carries the waiting datagram on after a permitting
  reauthorization, as if the application had sent it again at once.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from wfpsim.catalog import layer
from wfpsim.clock import clock_of
from wfpsim.ids import (
    FWP_ACTION_BLOCK,
    FWP_ACTION_PERMIT,
    FWPS_CLASSIFY_OUT_FLAG_ABSORB,
    FWPS_RIGHT_ACTION_WRITE,
    REAUTHORIZE_REASONS,
)
from wfpsim.objects import Action
from wfpsim.pend import PEND_OPERATION, REAUTHORIZED_ON_COMPLETION, Pended, pend_state
from wfpsim.stack.core import FLAG_IS_REAUTHORIZE, Crossing
from wfpsim.stack.journey import PendEvent, Step

if TYPE_CHECKING:
    from wfpsim.stack.conversation import Conversation

#: Simulated seconds the stack waits for a pended classification (see the module docstring).
PEND_TIMEOUT = 21.0
CLASSIFY_COMPLETION = REAUTHORIZE_REASONS["FWP_CONDITION_REAUTHORIZE_REASON_CLASSIFY_COMPLETION"]
#: What waits while each layer family's classification is pended.
WAITS = {
    "ALE_AUTH_CONNECT": "connect() waits: no SYN leaves until it is authorized",
    "ALE_AUTH_RECV_ACCEPT": "the incoming connection waits (its SYN is held)",
    "ALE_AUTH_LISTEN": "listen() waits",
    "ALE_RESOURCE_ASSIGNMENT": "bind() waits",
    "ALE_CONNECT_REDIRECT": "connect() waits",
    "ALE_BIND_REDIRECT": "bind() waits",
    "ALE_ENDPOINT_CLOSURE": "closesocket() waits",
}


class Waiter:
    """One conversation's pended classifications: wait, then resume or give up."""

    def __init__(self, conversation: Conversation) -> None:
        self.conv = conversation
        kernel = conversation.core.engine.kernel
        self.state = pend_state(kernel)
        self.clock = clock_of(kernel)

    def mark(self) -> int:
        """Where the kernel's record of pends ends before a classification."""
        return len(self.state.log)

    def after(self, step: Step, x: Crossing, mark: int, setup: bool) -> Step:
        """The step that decides the crossing: ``step``, or the one made after completion."""
        made = self.state.log[mark:]
        del self.state.log[mark:]
        self._collect_problems()
        if not made:
            return step
        self._check_returns(step, made)
        family = layer(step.layer).family
        waits = WAITS.get(family, "the operation waits")
        if family == "ALE_AUTH_CONNECT" and x.packet is not None:  # UDP, ICMP: a packet is held
            waits = "the first packet waits until its flow is authorized"
        who = ", ".join(dict.fromkeys(repr(p.callout or "a driver") for p in made))
        step = self._note(step, setup, f"pended by {who} ({made[0].function}); {waits}")
        deadline = self.clock.now + PEND_TIMEOUT
        while any(p.waiting for p in made):
            ran = self.clock.run_next(until=deadline)
            if ran is None:
                break
            if ran.fault:
                owner = f"callout {ran.owner!r}" if ran.owner else "a driver"
                self.conv.journey.faults.append(
                    f"{owner}: scheduled work {ran.label!r} at t={ran.time:.3f} s: {ran.fault}"
                )
            self._collect_problems()
        if any(p.waiting for p in made):
            return self._give_up(step, made, deadline)
        return self._resume(step, x, made, setup)

    # -- the outcomes ------------------------------------------------------------------------
    def _give_up(self, step: Step, made: list[Pended], deadline: float) -> Step:
        self.clock.now = max(self.clock.now, deadline)
        for p in made:
            if not p.waiting:
                self._event(p, step, "completed; another pend of the classification never was")
                continue
            p.state = "timed out"
            complete = (
                "FwpsCompleteOperation0"
                if p.function == PEND_OPERATION
                else ("FwpsCompleteClassify0")
            )
            self.conv.journey.faults.append(
                f"{'callout ' + repr(p.callout) if p.callout else 'a driver'}: {p.function} at "
                f"{step.layer} was never completed; the stack gave up after {PEND_TIMEOUT:g} s "
                f"(the pended BLOCK stands: the operation fails). Call {complete} exactly once "
                "for every pend."
            )
            self._event(p, step, f"never completed: timed out after {PEND_TIMEOUT:g} s")
        self.conv.journey.notes.append(
            f"{step.layer}: pended and never completed; gave up at t={self.clock.now:.3f} s"
        )
        return step

    def _resume(self, step: Step, x: Crossing, made: list[Pended], setup: bool) -> Step:
        family = layer(step.layer).family
        operations = [p for p in made if p.function == PEND_OPERATION]
        classifies = [p for p in made if p.function != PEND_OPERATION]
        reauthorize = (operations and family in REAUTHORIZED_ON_COMPLETION) or any(
            p.decision is None for p in classifies
        )
        if reauthorize:
            x2 = replace(
                x,
                flags=x.flags | FLAG_IS_REAUTHORIZE,
                extra_fields={**x.extra_fields, "REAUTHORIZE_REASON": CLASSIFY_COMPLETION},
                event=f"{x.event}: reauthorize (pend completed)",
            )
            self.state.reauthorizing = True
            try:
                new = self.conv.step(x2, setup)
            finally:
                self.state.reauthorizing = False
            for p in made:
                self._event(p, step, f"completed; reauthorized at {new.layer}: {new.result}")
            return new
        if classifies:
            new = self._completed_step(step, classifies, setup)
            for p in made:
                self._event(p, step, f"completed with the callout's decision: {new.result}")
            return new
        for p in made:  # ALE_AUTH_RECV_ACCEPT: no reauthorization
            self._event(
                p,
                step,
                "completed; no reauthorization at ALE_AUTH_RECV_ACCEPT: a re-injected copy of "
                "the packet accepts the connection, none refuses it",
            )
        return step

    def _completed_step(self, step: Step, classifies: list[Pended], setup: bool) -> Step:
        """A step with the final decision ``FwpsCompleteClassify0`` gave."""
        c = step.classification
        action, decision = c.action, c.decision
        for p in classifies:
            if p.decision is None or p.filter_id != c.decision.filter_id:
                continue  # another filter decided the layer: its decision stands
            written, rights, flags = p.decision
            action = Action.PERMIT if written == FWP_ACTION_PERMIT else Action.BLOCK
            decision = replace(decision, action=action, rights=rights, flags=flags)
        absorbed = action == Action.BLOCK and bool(decision.flags & FWPS_CLASSIFY_OUT_FLAG_ABSORB)
        steps = self.conv.journey.setup if setup else self.conv.journey.steps
        new = replace(
            step,
            index=len(steps),
            event=f"{step.event}: completed (FwpsCompleteClassify0)",
            classification=replace(c, action=action, decision=decision, absorbed=absorbed),
            time=self.clock.now,
            note="the decision the callout gave when it completed the pended classification",
        )
        steps.append(new)
        return new

    # -- records -------------------------------------------------------------------------------
    def _check_returns(self, step: Step, made: list[Pended]) -> None:
        """A pending callout must return BLOCK (+ ABSORB; without the write right)."""
        calls = {
            st.callout.callout: st.callout
            for st in step.classification.matched_steps()
            if st.callout is not None
        }
        for p in made:
            call = calls.get(p.callout)
            if call is None or call.fault:
                continue
            operation = p.function == PEND_OPERATION
            blocked = call.returned_action == FWP_ACTION_BLOCK
            if operation and blocked and call.returned_flags & FWPS_CLASSIFY_OUT_FLAG_ABSORB:
                continue
            if not operation and blocked and not call.returned_rights & FWPS_RIGHT_ACTION_WRITE:
                continue
            rule = (
                "FWP_ACTION_BLOCK with FWPS_CLASSIFY_OUT_FLAG_ABSORB"
                if operation
                else "FWP_ACTION_BLOCK with FWPS_RIGHT_ACTION_WRITE cleared"
            )
            self.conv.journey.faults.append(
                f"callout {p.callout!r}: called {p.function} at {step.layer} but returned "
                f"action 0x{call.returned_action:04X}, flags 0x{call.returned_flags:x}, rights "
                f"0x{call.returned_rights:x}; a callout that pends must return {rule}"
            )

    def _note(self, step: Step, setup: bool, note: str) -> Step:
        steps = self.conv.journey.setup if setup else self.conv.journey.steps
        event = step.event if step.event.endswith("(pended)") else f"{step.event} (pended)"
        new = replace(step, event=event, note=f"{step.note}; {note}" if step.note else note)
        if step.index < len(steps) and steps[step.index] is step:
            steps[step.index] = new
        return new

    def _event(self, p: Pended, step: Step, outcome: str) -> None:
        when = p.completed_at if p.state == "completed" else None
        self.conv.journey.pends.append(
            PendEvent(p.callout, p.function, step.layer, p.pended_at, when, outcome)
        )

    def _collect_problems(self) -> None:
        if self.state.problems:
            self.conv.journey.faults.extend(self.state.problems)
            self.state.problems.clear()


__all__ = ["PEND_TIMEOUT", "WAITS", "Waiter"]
