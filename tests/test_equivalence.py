"""Indexed classification equals the reference walk, on random policies and values (issue 11.6).

Policies: sublayers with tied and distinct weights; filter weights of all three kinds
(``FWP_EMPTY``, ``FWP_UINT8`` ranges, ``FWP_UINT64``); conditions of every match type that the
layers offer (all but ``EQUAL_CASE_INSENSITIVE``, which needs a unicode-string field);
static and callout filters with ``CLEAR_ACTION_RIGHT`` / ``PERMIT_IF_CALLOUT_UNREGISTERED``;
callouts that permit, block, continue, write nothing, write odd values, raise, or are
unregistered or ``CONDITIONAL_ON_FLOW``. Between classifications filters are deleted and
added, so the index is checked while it follows the store.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference_walk import reference_classify

from wfpsim import Action, Callout, Condition, Engine, Filter, Sublayer, Weight
from wfpsim.callouts import BuiltinCallout, ClassifyOut
from wfpsim.errors import WfpError
from wfpsim.registry import CalloutRegisterFlag

V4, V6 = "ALE_AUTH_CONNECT_V4", "ALE_AUTH_CONNECT_V6"
PORTS = [0, 22, 80, 443, 8080]
V4_ADDRS = ["10.0.0.1", "10.0.0.2", "10.1.2.3", "192.168.1.1"]
V6_ADDRS = ["2001:db8::1", "2001:db8::2", "2001:db8:1::1", "fe80::1"]
APPS = [r"C:\app\a.exe", r"C:\app\b.exe", r"C:\other\a.exe"]
FLAG_VALUES = [0, 0x1, 0x2, 0x3, 0x40]


def conditions_for(layer: str) -> list[Condition]:
    """Every condition the property draws from at ``layer`` (one draw picks one)."""
    addrs = V4_ADDRS if layer == V4 else V6_ADDRS
    if layer == V4:
        nets = ["10.0.0.0/8", "10.0.0.0/24", "192.168.0.0/16"]
    else:
        nets = ["2001:db8::/32", "2001:db8::/64", "fe80::/10"]
    ordered = ["EQUAL", "NOT_EQUAL", "GREATER", "LESS", "GREATER_OR_EQUAL", "LESS_OR_EQUAL"]
    out = []
    for name in ("IP_REMOTE_PORT", "IP_LOCAL_PORT"):
        out += [Condition(name, m, p) for m in ordered for p in PORTS]
        out += [Condition(name, "RANGE", (a, b)) for a in PORTS for b in PORTS if a <= b]
    flag_matches = ["FLAGS_ALL_SET", "FLAGS_ANY_SET", "FLAGS_NONE_SET", "EQUAL"]
    out += [Condition("FLAGS", m, v) for m in flag_matches for v in FLAG_VALUES[1:]]
    out += [Condition("IP_REMOTE_ADDRESS", m, a) for m in ("EQUAL", "NOT_EQUAL") for a in addrs]
    out += [Condition("IP_REMOTE_ADDRESS", m, n) for m in ("EQUAL", "NOT_EQUAL") for n in nets]
    out += [Condition("IP_PROTOCOL", m, p) for m in ("EQUAL", "NOT_EQUAL") for p in (6, 17)]
    app_matches = ["EQUAL", "NOT_EQUAL", "PREFIX", "NOT_PREFIX"]
    out += [Condition("ALE_APP_ID", m, a) for m in app_matches for a in APPS]
    suffixes = [b"a\x00.\x00e\x00x\x00e\x00\x00\x00", b"\x00\x00"]
    out += [Condition("ALE_APP_ID", m, b) for m in ("PREFIX", "NOT_PREFIX") for b in suffixes]
    return out


class Writes:
    """A classifyFn that leaves arbitrary integers (or a non-integer) in classify_out."""

    def __init__(self, action: Any, rights_mask: int, flags: int) -> None:
        self.action, self.rights_mask, self.flags = action, rights_mask, flags

    def __call__(self, *args: Any) -> None:
        out: ClassifyOut = args[-1]
        out.action_type = self.action
        out.rights &= self.rights_mask
        out.flags |= self.flags


class Raises:
    """A classifyFn that raises (SystemExit included)."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def __call__(self, *args: Any) -> None:
        raise self.error


#: None = not registered; built-in behaviours; odd writers; raisers.
BEHAVIOURS: list[Any] = [None]
BEHAVIOURS += [
    BuiltinCallout(r, clear, respect, absorb)
    for r in ("PERMIT", "BLOCK", "CONTINUE", "NOTHING")
    for clear in (False, True)
    for respect in (False, True)
    for absorb in (False, True)
]
BEHAVIOURS += [
    Writes(a, mask, flags)
    for a in (Action.PERMIT, Action.BLOCK, Action.CONTINUE, 0, 0x1234, "PERMIT")
    for mask in (0, 1)
    for flags in (0, 1)
]
BEHAVIOURS += [Raises(e) for e in (ValueError("bad"), SystemExit(3), KeyError("k"))]


@dataclass(frozen=True)
class Spec:
    sublayer: int
    weight: Weight | int | None
    action: str
    flags: tuple[str, ...]
    conditions: tuple[Condition, ...]
    behaviour: Any
    on_flow: bool


def specs(layer: str) -> st.SearchStrategy[Spec]:
    return st.builds(
        Spec,
        sublayer=st.integers(0, 2),
        weight=st.one_of(
            st.none(),
            st.integers(0, 15).map(Weight.range),
            st.sampled_from([0, 1, 2, 2**40, 2**63]),
        ),
        action=st.sampled_from(
            ["PERMIT", "BLOCK", "CALLOUT_TERMINATING", "CALLOUT_INSPECTION", "CALLOUT_UNKNOWN"]
        ),
        flags=st.sampled_from(
            [
                (),
                ("CLEAR_ACTION_RIGHT",),
                ("PERMIT_IF_CALLOUT_UNREGISTERED",),
                ("CLEAR_ACTION_RIGHT", "PERMIT_IF_CALLOUT_UNREGISTERED"),
            ]
        ),
        conditions=st.lists(st.sampled_from(conditions_for(layer)), max_size=3).map(tuple),
        behaviour=st.sampled_from(BEHAVIOURS),
        on_flow=st.booleans(),
    )


def values(layer: str) -> st.SearchStrategy[dict[str, Any]]:
    addrs = V4_ADDRS if layer == V4 else V6_ADDRS
    return st.fixed_dictionaries(
        {},
        optional={
            "IP_REMOTE_PORT": st.sampled_from(PORTS),
            "IP_LOCAL_PORT": st.sampled_from(PORTS),
            "IP_REMOTE_ADDRESS": st.sampled_from(addrs),
            "IP_PROTOCOL": st.sampled_from([6, 17]),
            "ALE_APP_ID": st.sampled_from(APPS),
            "FLAGS": st.sampled_from(FLAG_VALUES),
        },
    )


SPECS = {la: specs(la) for la in (V4, V6)}
VALUES = {la: values(la) for la in (V4, V6)}
SUBLAYER_WEIGHTS = st.lists(st.sampled_from([0x100, 0x200, 0x8000]), min_size=3, max_size=3)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[str, list[int], list[Spec], list[dict[str, Any]], Any]:
    layer = draw(st.sampled_from([V4, V6]))
    policy = draw(st.lists(SPECS[layer], max_size=10))
    probes = draw(st.lists(VALUES[layer], min_size=1, max_size=3))
    deletions = draw(st.lists(st.integers(0, 9), max_size=3))
    return layer, draw(SUBLAYER_WEIGHTS), policy, probes, deletions


def build(layer: str, weights: list[int], policy: list[Spec]) -> Engine:
    engine = Engine()
    for i, weight in enumerate(weights):
        engine.add_sublayer(Sublayer(f"S{i}", weight))
    for index, spec in enumerate(policy):
        add(engine, layer, index, spec)
    return engine


def add(engine: Engine, layer: str, index: int, spec: Spec) -> None:
    callout = None
    if spec.action.startswith("CALLOUT"):
        callout = f"c{index}"
        engine.add_callout(Callout(callout, layer))
        if spec.behaviour is not None:
            flags = CalloutRegisterFlag.CONDITIONAL_ON_FLOW if spec.on_flow else 0
            engine.register_callout(callout, spec.behaviour, flags=flags)
    flt = Filter(
        f"f{index}",
        layer,
        spec.action,
        list(spec.conditions),
        spec.weight,
        f"S{spec.sublayer}",
        callout,
        list(spec.flags),
    )
    with contextlib.suppress(WfpError):  # refused (PERMIT_IF_CALLOUT_UNREGISTERED on a static
        engine.add_filter(flt)  # filter, say): not added, and the reference reads the engine


def same(engine: Engine, layer: str, probe: dict[str, Any]) -> None:
    flow = {i: i for i in range(1, 12, 2)}  # some callouts have a flow context, some not
    got = engine.classify(layer, probe, flow_contexts=flow)
    want = reference_classify(engine, layer, probe, {"S0": 0, "S1": 1, "S2": 2}, flow)
    assert got.action == want.action
    assert got.filter_id == want.filter_id
    assert got.decision.rights == want.rights
    assert got.veto == want.veto
    assert list(got.callouts_invoked) == want.invoked
    if got.action in (Action.PERMIT, Action.BLOCK):
        assert got.decision.flags == want.flags


# Thousands of examples, each a handful of small engines: a few seconds per thousand.
@settings(
    max_examples=int(os.environ.get("WFPSIM_EQUIVALENCE_EXAMPLES", "2000")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenarios())
def test_indexed_classification_equals_the_reference_walk(
    case: tuple[str, list[int], list[Spec], list[dict[str, Any]], list[int]],
) -> None:
    """Same action, deciding filter, rights, veto and callouts, before and after changes."""
    layer, weights, policy, probes, deletions = case
    engine = build(layer, weights, policy)
    for probe in probes:
        same(engine, layer, probe)
    ids = [f.filter_id for f in engine.filters(layer)]
    for pick in deletions:
        if ids:
            engine.delete_filter(ids.pop(pick % len(ids)))
    if policy:
        add(engine, layer, len(policy), policy[0])
    for probe in probes:
        same(engine, layer, probe)
