"""The classification index: placement, candidates in weight order, changes followed."""

from __future__ import annotations

from wfpsim import Condition, Engine, Filter, Sublayer, Weight
from wfpsim.catalog import layer
from wfpsim.classifier import layer_index
from wfpsim.conditions import resolve
from wfpsim.index import LayerIndex, placements
from wfpsim.values import Value

V4 = layer("ALE_AUTH_CONNECT_V4")
V6 = layer("ALE_AUTH_CONNECT_V6")
SUB = Sublayer("s", 1)
PORT = "FWPM_CONDITION_IP_REMOTE_PORT"
ADDR = "FWPM_CONDITION_IP_REMOTE_ADDRESS"


def flt(fid: int, *conds: Condition, weight: int = 0, la: object = V4) -> Filter:
    resolved = [resolve(la, c) for c in conds]  # type: ignore[arg-type]
    return Filter(
        f"f{fid}", la, "PERMIT", resolved, weight, SUB.key, filter_id=fid, effective_weight=weight
    )  # type: ignore[arg-type]


def names(index: LayerIndex, values: dict[str, Value]) -> list[str]:
    return [f.name for _, fs in index.candidates(values) for f in fs]


def test_only_filters_whose_equal_value_is_present_are_candidates() -> None:
    """An EQUAL port filter is visited only for its port; a residual filter always."""
    index = LayerIndex()
    filters = [
        flt(1, Condition("IP_REMOTE_PORT", "EQUAL", 80), weight=5),
        flt(2, Condition("IP_REMOTE_PORT", "EQUAL", 443), weight=6),
        flt(3, Condition("IP_REMOTE_PORT", "RANGE", (1, 100)), weight=4),
    ]
    index.sync(1, {f.filter_id: f for f in filters}, [SUB])
    assert names(index, {PORT: Value.u16(80)}) == ["f1", "f3"]
    assert names(index, {PORT: Value.u16(443)}) == ["f2", "f3"]
    assert names(index, {}) == ["f3"]


def test_candidates_merge_in_effective_weight_order_ties_by_id() -> None:
    """Buckets and the residual list are merged as the full walk orders them."""
    index = LayerIndex()
    filters = [
        flt(1, Condition("IP_REMOTE_PORT", "EQUAL", 80), weight=1),
        flt(2, weight=3),
        flt(3, Condition("IP_REMOTE_ADDRESS", "EQUAL", "10.0.0.1"), weight=2),
        flt(4, Condition("IP_REMOTE_PORT", "EQUAL", 80), weight=3),
    ]
    index.sync(1, {f.filter_id: f for f in filters}, [SUB])
    values = {PORT: Value.u16(80), ADDR: Value.ipv4("10.0.0.1")}
    assert names(index, values) == ["f2", "f4", "f3", "f1"]
    assert [f.name for f in index.snapshot()[0][1]] == ["f2", "f4", "f3", "f1"]


def test_or_of_equal_values_is_indexed_under_each() -> None:
    """Same-field conditions are OR'ed: the filter is a candidate for each value."""
    both = flt(
        1, Condition("IP_REMOTE_PORT", "EQUAL", 80), Condition("IP_REMOTE_PORT", "EQUAL", 8080)
    )
    assert len(placements(both)) == 2
    index = LayerIndex()
    index.sync(1, {1: both}, [SUB])
    assert names(index, {PORT: Value.u16(8080)}) == ["f1"]
    assert names(index, {PORT: Value.u16(81)}) == []


def test_a_value_rich_field_is_preferred_to_the_protocol() -> None:
    """Port and protocol both pin the filter: it is filed under the port."""
    both = flt(1, Condition("IP_PROTOCOL", "EQUAL", 6), Condition("IP_REMOTE_PORT", "EQUAL", 80))
    [(probe, _)] = placements(both)
    assert probe[0] == PORT


def test_masks_and_prefixes_are_indexed_by_the_masked_address() -> None:
    """EQUAL to 10.0.0.0/8 or 2001:db8::/32 is a look-up of the masked incoming address."""
    index = LayerIndex()
    net = flt(1, Condition("IP_REMOTE_ADDRESS", "EQUAL", "10.0.0.0/8"))
    index.sync(1, {1: net}, [SUB])
    assert names(index, {ADDR: Value.ipv4("10.9.9.9")}) == ["f1"]
    assert names(index, {ADDR: Value.ipv4("11.0.0.1")}) == []
    six = LayerIndex()
    net6 = flt(2, Condition("IP_REMOTE_ADDRESS", "EQUAL", "2001:db8::/32"), la=V6)
    six.sync(1, {2: net6}, [SUB])
    assert names(six, {ADDR: Value.ipv6("2001:db8:ffff::1")}) == ["f2"]
    assert names(six, {ADDR: Value.ipv6("2001:db9::1")}) == []


def test_sync_applies_only_the_difference_and_skips_an_unchanged_generation() -> None:
    """Adds and deletes are followed; the same generation costs nothing (not even a look)."""
    index = LayerIndex()
    a = flt(1, Condition("IP_REMOTE_PORT", "EQUAL", 80))
    b = flt(2, Condition("IP_REMOTE_PORT", "EQUAL", 80), weight=9)
    index.sync(1, {1: a}, [SUB])
    index.sync(1, {1: a, 2: b}, [SUB])  # same generation: ignored
    assert names(index, {PORT: Value.u16(80)}) == ["f1"]
    index.sync(2, {1: a, 2: b}, [SUB])
    assert names(index, {PORT: Value.u16(80)}) == ["f2", "f1"]
    index.sync(3, {2: b}, [SUB])
    assert names(index, {PORT: Value.u16(80)}) == ["f2"]
    buckets = index.subs[SUB.key].buckets[(PORT, "exact", None)]
    assert [e[1] for bucket in buckets.values() for e in bucket] == [2]


def test_engine_index_follows_adds_deletes_and_sublayers() -> None:
    """Through the engine: a new sublayer re-orders, a delete is seen at the next classify."""
    engine = Engine()
    engine.add_sublayer(Sublayer("low", 1))
    engine.add_filter(
        Filter("a", V4, "BLOCK", [Condition("IP_REMOTE_PORT", "EQUAL", 80)], None, "low")
    )
    assert engine.classify(V4, {"IP_REMOTE_PORT": 80}).filter_name == "a"
    engine.add_sublayer(Sublayer("high", 2))
    engine.add_filter(
        Filter(
            "b", V4, "PERMIT", [Condition("IP_REMOTE_PORT", "EQUAL", 80)], Weight.range(15), "high"
        )
    )
    c = engine.classify(V4, {"IP_REMOTE_PORT": 80})
    assert [s.name for s in c.sublayers] == ["high", "low"]
    assert c.filter_name == "a"  # a soft permit in "high", overridden by the block in "low"
    engine.delete_filter("a")
    assert engine.classify(V4, {"IP_REMOTE_PORT": 80}).filter_name == "b"


def test_a_layer_without_filters_never_looks_at_other_layers() -> None:
    """Classifying at an empty layer leaves other layers' indexes untouched."""
    engine = Engine()
    engine.add_filter(Filter("a", V4, "BLOCK"))
    engine.classify("ALE_AUTH_LISTEN_V4", {})
    assert layer_index(engine, layer("ALE_AUTH_LISTEN_V4")).order == []
