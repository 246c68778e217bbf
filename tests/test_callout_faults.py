"""A classifyFn cannot escape: whatever it does wrong is a fault of that callout (issue 12.4)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from wfpsim import Action, Callout, Condition, Engine, Filter, Weight
from wfpsim.callouts import ClassifyOut
from wfpsim.errors import InvalidParameterError
from wfpsim.trace import Effect

LAYER = "ALE_AUTH_CONNECT_V4"


def engine_with(classify: Any) -> Engine:
    """A permit, then (lower) a terminating callout filter calling ``classify``."""
    engine = Engine()
    engine.add_callout(Callout("driver", LAYER))
    engine.register_callout("driver", classify)
    engine.add_filter(Filter("callout", LAYER, "CALLOUT_TERMINATING", callout="driver"))
    return engine


def fault_of(engine: Engine) -> tuple[Action, str]:
    c = engine.classify(LAYER, {"IP_REMOTE_PORT": 80})
    [(_, step)] = [(s, st) for s, st in c.steps() if st.callout is not None]
    assert step.effect == Effect.FAULT
    assert step.callout is not None
    assert c.faults and step.callout.fault in c.faults[0]
    assert "callout fault" in c.explain() or "failed" in c.explain()
    return c.action, step.callout.fault


@pytest.mark.parametrize("error", [SystemExit(0), ValueError("x"), GeneratorExit(), KeyError(1)])
def test_any_exception_is_a_fault_systemexit_included(error: BaseException) -> None:
    """SystemExit does not end the process: the traffic is blocked and the trace says why."""

    def classify(*args: Any) -> None:
        raise error

    action, fault = fault_of(engine_with(classify))
    assert action == Action.BLOCK
    assert fault.startswith(type(error).__name__)
    assert "test_callout_faults.py" in fault  # the callout's own line


def test_keyboard_interrupt_goes_through() -> None:
    """Ctrl-C stops the program (our choice): it is not the callout's fault."""

    def classify(*args: Any) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        engine_with(classify).classify(LAYER, {})


@pytest.mark.parametrize(
    ("member", "value"),
    [("action_type", "PERMIT"), ("rights", None), ("flags", 1.5), ("action_type", True)],
)
def test_a_non_integer_in_classify_out_is_a_fault(member: str, value: object) -> None:
    """action_type, rights and flags must be integers; anything else blocks as a fault."""

    def classify(*args: Any) -> None:
        out: ClassifyOut = args[-1]
        out.action_type = Action.PERMIT
        setattr(out, member, value)

    action, fault = fault_of(engine_with(classify))
    assert action == Action.BLOCK
    assert f"classify_out.{member}" in fault and "not an integer" in fault


def test_calling_back_into_the_engine_is_refused_and_a_fault() -> None:
    """A classifyFn that classifies again gets an error, and is faulted even if it catches it."""
    seen: list[BaseException] = []
    holder: dict[str, Engine] = {}

    def classify(*args: Any) -> None:
        try:
            holder["e"].classify(LAYER, {})
        except InvalidParameterError as err:
            seen.append(err)
        args[-1].action_type = Action.PERMIT

    engine = holder["e"] = engine_with(classify)
    action, fault = fault_of(engine)
    assert action == Action.BLOCK
    assert "re-entered the engine" in fault
    assert seen and "must not re-enter" in str(seen[0])
    # the engine is usable afterwards
    assert engine.classify("ALE_AUTH_LISTEN_V4", {}).action == Action.NONE_NO_MATCH


def test_a_callout_over_the_watchdog_budget_is_a_fault() -> None:
    """The simulated watchdog: a call longer than the engine's budget is a fault."""

    def classify(*args: Any) -> None:
        time.sleep(0.05)
        args[-1].action_type = Action.PERMIT

    engine = engine_with(classify)
    engine.callout_budget = 0.01
    action, fault = fault_of(engine)
    assert action == Action.BLOCK
    assert fault.startswith("watchdog") and "0.01 s budget" in fault
    engine.callout_budget = None
    assert engine.classify(LAYER, {}).action == Action.PERMIT


def test_the_trace_is_built_only_when_read_and_shows_the_same() -> None:
    """Classification records what decided; every filter's fate appears on first read."""
    engine = Engine()
    engine.add_filter(Filter("web", LAYER, "PERMIT", [Condition("IP_REMOTE_PORT", "EQUAL", 80)]))
    ssh = [Condition("IP_REMOTE_PORT", "EQUAL", 22)]
    engine.add_filter(Filter("other", LAYER, "BLOCK", ssh, Weight.range(1)))
    c = engine.classify(LAYER, {"IP_REMOTE_PORT": 80})
    assert c.filter_name == "web"
    assert not c._built  # nothing described yet
    assert [st.name for st in c.matched_steps()] == ["web"]
    steps = {st.name: st for _, st in c.steps()}
    assert steps["other"].effect == Effect.NO_MATCH
    assert steps["other"].failed_condition == "IP_REMOTE_PORT == 22 (value 80)"
    assert c.sublayers is c.sublayers  # built once
