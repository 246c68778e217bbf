"""The store's per-layer seam: filters_on and generation (what a classification index caches by)."""

from __future__ import annotations

import pytest

from wfpsim import Engine, Filter, Sublayer
from wfpsim.catalog import layer

CONNECT = layer("ALE_AUTH_CONNECT_V4").id
RECV = layer("ALE_AUTH_RECV_ACCEPT_V4").id


def test_filters_on_holds_only_that_layers_committed_filters() -> None:
    """filters_on(layer id) lists the committed filters of one layer."""
    engine = Engine()
    a = engine.add_filter(Filter("a", "ALE_AUTH_CONNECT_V4"))
    engine.add_filter(Filter("b", "ALE_AUTH_RECV_ACCEPT_V4"))
    assert [f.filter_id for f in engine.store.filters_on(CONNECT)] == [a.filter_id]
    s = engine.open_session()
    s.begin()
    s.add_filter(Filter("pending", "ALE_AUTH_CONNECT_V4"))
    assert [f.name for f in engine.store.filters_on(CONNECT)] == ["a"]
    s.commit()
    assert [f.name for f in engine.store.filters_on(CONNECT)] == ["a", "pending"]


def test_generation_changes_only_with_that_layer_or_sublayers() -> None:
    """A filter change bumps its layer's generation; a sublayer change bumps every layer's."""
    engine = Engine()
    connect, recv = engine.store.generation(CONNECT), engine.store.generation(RECV)
    engine.add_filter(Filter("a", "ALE_AUTH_CONNECT_V4"))
    assert engine.store.generation(CONNECT) != connect
    assert engine.store.generation(RECV) == recv
    connect = engine.store.generation(CONNECT)
    engine.add_sublayer(Sublayer("mine", 5))
    assert engine.store.generation(CONNECT) != connect
    assert engine.store.generation(RECV) != recv


@pytest.mark.parametrize("end", ["commit", "abort"])
def test_generation_names_one_content(end: str) -> None:
    """After a transaction ends, a generation seen before still means the same filters."""
    engine = Engine()
    seen = {engine.store.generation(CONNECT): [f.name for f in engine.store.filters_on(CONNECT)]}
    s = engine.open_session()
    s.begin()
    s.add_filter(Filter("t", "ALE_AUTH_CONNECT_V4"))
    getattr(s, end)()
    engine.add_filter(Filter("u", "ALE_AUTH_CONNECT_V4"))
    gen = engine.store.generation(CONNECT)
    names = [f.name for f in engine.store.filters_on(CONNECT)]
    assert seen.get(gen, names) == names
