"""Hypothesis properties of arbitration (habits 10 in the architecture notes)."""

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st
from reference_walk import reference_classify

from wfpsim import Action, Callout, Condition, Engine, Filter, Sublayer
from wfpsim.callouts import BuiltinCallout
from wfpsim.trace import Classification

LAYER = "ALE_AUTH_CONNECT_V4"
ACTIONS = ["PERMIT", "BLOCK", "CALLOUT_TERMINATING", "CALLOUT_INSPECTION", "CALLOUT_UNKNOWN"]


@dataclass(frozen=True)
class Spec:
    sublayer: int
    weight: int
    action: str
    hard: bool
    port: int | None
    returns: str
    clear: bool
    respect: bool
    registered: bool


specs = st.builds(
    Spec,
    sublayer=st.integers(0, 2),
    weight=st.integers(0, 2**20),
    action=st.sampled_from(ACTIONS),
    hard=st.booleans(),
    port=st.sampled_from([None, 80, 443]),
    returns=st.sampled_from(["PERMIT", "BLOCK", "CONTINUE", "NOTHING"]),
    clear=st.booleans(),
    respect=st.booleans(),
    registered=st.booleans(),
)
policies = st.lists(specs, max_size=8, unique_by=lambda s: s.weight)
ports = st.sampled_from([80, 443])


def build(policy: list[Spec], order: list[int] | None = None, extra: Spec | None = None) -> Engine:
    engine = Engine()
    for i, weight in enumerate((0x300, 0x200, 0x100)):
        engine.add_sublayer(Sublayer(f"S{i}", weight))
    items = list(enumerate(policy))
    if order is not None:
        items = [items[i] for i in order]
    if extra is not None:
        items.append((len(policy), extra))
    for index, spec in items:
        name = f"f{index}"
        callout = None
        if spec.action.startswith("CALLOUT"):
            callout = f"c{index}"
            engine.add_callout(Callout(callout, LAYER))
            if spec.registered:
                behaviour = BuiltinCallout(spec.returns, spec.clear, spec.respect)
                engine.register_callout(callout, behaviour)
        conditions = [] if spec.port is None else [Condition("IP_REMOTE_PORT", "EQUAL", spec.port)]
        flags = ["CLEAR_ACTION_RIGHT"] if spec.hard else []
        engine.add_filter(
            Filter(
                name,
                LAYER,
                spec.action,
                conditions,
                spec.weight,
                f"S{spec.sublayer}",
                callout,
                flags,
            )
        )
    return engine


def outcome(c: Classification) -> tuple[object, ...]:
    return (c.action, c.filter_name, c.veto, c.absorbed, c.callouts_invoked)


@settings(max_examples=150, deadline=None)
@given(policies, ports, specs)
def test_a_filter_that_cannot_match_changes_nothing(
    policy: list[Spec], port: int, extra: Spec
) -> None:
    """Adding a filter whose condition cannot match leaves the result as it was."""
    never = Spec(**{**extra.__dict__, "port": 9, "weight": 2**21 + extra.weight})
    before = build(policy).classify(LAYER, {"IP_REMOTE_PORT": port})
    after = build(policy, extra=never).classify(LAYER, {"IP_REMOTE_PORT": port})
    assert outcome(after) == outcome(before)


@settings(max_examples=150, deadline=None)
@given(policies, ports)
def test_a_hard_block_is_never_turned_into_a_permit(policy: list[Spec], port: int) -> None:
    """Once a sublayer leaves a hard BLOCK, the final action is BLOCK."""
    c = build(policy).classify(LAYER, {"IP_REMOTE_PORT": port})
    if any(s.after.action == Action.BLOCK and s.after.hard for s in c.sublayers):
        assert c.action == Action.BLOCK


@settings(max_examples=150, deadline=None)
@given(policies, ports)
def test_a_static_filter_never_vetoes(policy: list[Spec], port: int) -> None:
    """Vetoes agree with the reference walk; policies of static filters only never veto."""
    rank = {"S0": 0, "S1": 1, "S2": 2}
    engine = build(policy)
    c = engine.classify(LAYER, {"IP_REMOTE_PORT": port})
    want = reference_classify(engine, LAYER, {"IP_REMOTE_PORT": port}, rank)
    assert (c.veto, c.action, c.filter_id) == (want.veto, want.action, want.filter_id)
    static = build([s for s in policy if not s.action.startswith("CALLOUT")])
    assert not reference_classify(static, LAYER, {"IP_REMOTE_PORT": port}, rank).veto
    assert not static.classify(LAYER, {"IP_REMOTE_PORT": port}).veto


@settings(max_examples=100, deadline=None)
@given(policies, ports, st.randoms(use_true_random=False))
def test_results_do_not_depend_on_add_order(policy: list[Spec], port: int, rnd: object) -> None:
    """With distinct weights, the order filters were added does not change the result."""
    order = list(range(len(policy)))
    rnd.shuffle(order)  # type: ignore[attr-defined]
    a = build(policy).classify(LAYER, {"IP_REMOTE_PORT": port})
    b = build(policy, order).classify(LAYER, {"IP_REMOTE_PORT": port})
    assert outcome(a) == outcome(b)
