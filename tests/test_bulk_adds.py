"""Engine.add_filters / Session.add_filters: many filters in one transaction, all or none."""

from __future__ import annotations

import gc

import pytest

from wfpsim import Condition, Engine, Filter, Sublayer
from wfpsim.errors import SublayerNotFoundError, TxnInProgressError


def rules(count: int, sublayer: str = "corp") -> list[Filter]:
    return [
        Filter(
            f"rule {i}",
            "ALE_AUTH_CONNECT_V4",
            "BLOCK" if i % 2 else "PERMIT",
            [Condition("IP_REMOTE_PORT", "EQUAL", 1000 + i)],
            sublayer=sublayer,
        )
        for i in range(count)
    ]


def engine() -> Engine:
    eng = Engine()
    eng.add_sublayer(Sublayer("corp", weight=0x100))
    return eng


def test_add_filters_stores_what_separate_adds_store() -> None:
    bulk, one_by_one = engine(), engine()
    stored = bulk.add_filters(rules(50))
    singles = [one_by_one.add_filter(f) for f in rules(50)]
    assert stored == singles
    assert bulk.filters() == one_by_one.filters()
    assert [f.filter_id for f in stored] == list(range(1, 51))
    assert not bulk.session.in_transaction


def test_add_filters_is_all_or_none_and_restarts_the_collector() -> None:
    eng = engine()
    eng.add_filter(rules(1)[0])
    batch = rules(20)[1:] + rules(1, sublayer="no such sublayer")
    with pytest.raises(SublayerNotFoundError, match="no such sublayer"):
        eng.add_filters(iter(batch))
    assert [f.name for f in eng.filters()] == ["rule 0"]
    assert not eng.session.in_transaction
    assert gc.isenabled()
    eng.add_filters(rules(3)[1:])  # the engine still takes filters, ids continue
    assert [f.filter_id for f in eng.filters("ALE_AUTH_CONNECT_V4")] == [1, 2, 3]


def test_add_filters_joins_an_open_transaction() -> None:
    eng = engine()
    with eng.session.transaction():
        eng.add_filters(rules(5))
        assert eng.filters() == []  # not committed yet: classification cannot see them
        with pytest.raises(TxnInProgressError):
            eng.session.begin()
    assert len(eng.filters()) == 5
