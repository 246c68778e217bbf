"""A recorded step classified again with other answers of the unknown callouts.

Exploring what unknown callouts may answer (:mod:`wfpsim.analysis.whatif`) costs one journey per
combination of answers. Most combinations need no journey of their own: where a callout's other
answer leaves everything the stack reads of each classification it was asked in unchanged —
blocked or not, absorbed or not, the blocking filter — the journey goes on exactly as before, so
its verdict is known. :class:`Replays` checks that by classifying those steps once more (a
classification is cheap, a journey is not), and tells the player what each answer does at a step.

A step can be replayed exactly when every callout filter that matches there belongs to an unknown
callout — whose answers the assumption fixes — not registered ``CONDITIONAL_ON_FLOW`` (a step
keeps no flow contexts); elsewhere (a Windows callout model, say) nothing is replayed, and the
combination is run.
"""

from __future__ import annotations

import uuid

from wfpsim.conditions import filter_matches
from wfpsim.engine import Engine
from wfpsim.errors import WfpError
from wfpsim.objects import Action
from wfpsim.registry import CalloutRegisterFlag
from wfpsim.stack.journey import Journey, Step
from wfpsim.trace import Classification
from wfpsim.unknown import Assumption, UnknownCallout, assume, possible_answers

__all__ = ["Replays", "signature"]


def signature(c: Classification) -> tuple[bool, bool, int]:
    """What the stack reads of a classification: blocked or not, absorbed (no discard
    indication), and the blocking filter (the redirect layers and the discard metadata read it).
    A permit and no decision both let the traffic on."""
    blocked = c.action == Action.BLOCK
    return blocked, c.absorbed, c.filter_id if blocked else 0


class Replays:
    """Per-step look-ups and re-classifications for one engine, each done once.

    Steps are keyed by identity: they live in the journeys the exploration keeps.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._asked: dict[int, list[uuid.UUID]] = {}
        self._relevant: dict[int, tuple[uuid.UUID, ...] | None] = {}
        self._again: dict[tuple[int, tuple[str | None, ...]], Classification] = {}

    def asked(self, step: Step) -> list[uuid.UUID]:
        """The unknown callouts asked at a step with the write right and a choice of answers
        (keys, in call order). Only the filters that matched are read: no full trace is built."""
        if id(step) in self._asked:
            return self._asked[id(step)]
        keys: list[uuid.UUID] = []
        for st in step.classification.matched_steps():
            if st.callout is None or not st.callout.had_write_right:
                continue
            try:
                flt = self.engine.filter(st.filter_id)
            except WfpError:  # deleted since (a journey kept from another engine state)
                continue
            key = flt.callout
            reg = self.engine.registry.get(key) if key is not None else None
            unknown = reg is not None and isinstance(reg.classify, UnknownCallout)
            choice = len(possible_answers(flt.action_type)) > 1
            if key is not None and unknown and choice and key not in keys:
                keys.append(key)
        self._asked[id(step)] = keys
        return keys

    def relevant(self, step: Step) -> tuple[uuid.UUID, ...] | None:
        """The unknown callouts whose filters match at a step (their answers decide a replay),
        or None when the step cannot be replayed exactly (see the module doc)."""
        if id(step) in self._relevant:
            return self._relevant[id(step)]
        c = step.classification
        keys: list[uuid.UUID] = []
        found: tuple[uuid.UUID, ...] | None = ()
        for _sub, filters in c.walk.order:
            for flt in filters:
                if not flt.is_callout or flt.callout is None:
                    continue
                reg = self.engine.registry.get(flt.callout)
                if reg is None or not filter_matches(flt.conditions, c.walk.values).matched:
                    continue  # unregistered: acts as a static filter
                plain = isinstance(reg.classify, UnknownCallout) and not (
                    reg.flags & CalloutRegisterFlag.CONDITIONAL_ON_FLOW
                )
                if not plain:
                    found = None
                    break
                keys.append(flt.callout)
            if found is None:
                break
        if found is not None:
            found = tuple(dict.fromkeys(keys))
        self._relevant[id(step)] = found
        return found

    def again(self, step: Step, answers: dict[uuid.UUID, str]) -> Classification | None:
        """The step classified once more with these answers (None if it cannot be replayed)."""
        keys = self.relevant(step)
        if keys is None:
            return None
        cache = (id(step), tuple(answers.get(k) for k in keys))
        if cache not in self._again:
            c = step.classification
            with assume(Assumption({k: answers[k] for k in keys if k in answers})):
                self._again[cache] = self.engine.classify(
                    step.layer, c.values, step.in_meta_values, step.layer_data
                )
        return self._again[cache]

    def same(
        self, journey: Journey, answers: dict[uuid.UUID, str], key: uuid.UUID, other: str
    ) -> bool:
        """The ``same`` test of :func:`~wfpsim.analysis.whatif.explore`: answering ``other`` for
        callout ``key`` leaves the journey unchanged when, at every step where that callout was
        asked, the step classified again with that answer has the same :func:`signature`."""
        for step in (*journey.setup, *journey.steps):
            if key not in self.asked(step):
                continue
            replayed = self.again(step, {**answers, key: other})
            if replayed is None or signature(replayed) != signature(step.classification):
                return False
        return True
