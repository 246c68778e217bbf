"""Issue 10 item 8: conditions on one field read as OR, across fields as AND, everywhere."""

from hypothesis import given
from hypothesis import strategies as st

from wfpsim import Condition, Engine, Filter
from wfpsim.conditions import describe_conditions, group_by_field

FIELDS = ("DIRECTION", "IP_PROTOCOL", "IP_REMOTE_PORT")


def test_filter_describe_groups_one_field_with_or() -> None:
    """The issue's example, through Filter.describe()."""
    engine = Engine()
    added = engine.add_filter(
        Filter(
            "web",
            "DATAGRAM_DATA_V4",
            "PERMIT",
            [
                Condition("DIRECTION", "EQUAL", 0),
                Condition("IP_PROTOCOL", "EQUAL", 6),
                Condition("DIRECTION", "EQUAL", 1),
                Condition("IP_PROTOCOL", "EQUAL", 17),
            ],
        )
    )
    text = added.describe()
    assert text.endswith(
        "if (DIRECTION == 0 OR DIRECTION == 1) AND (IP_PROTOCOL == 6 OR IP_PROTOCOL == 17)"
    )


def test_the_weight_picture_shows_or_groups() -> None:
    """Each condition row of a filter box is one field's OR group."""
    from wfpsim.viz.weights import weight_graph

    engine = Engine()
    engine.add_filter(
        Filter(
            "dns or web",
            "ALE_AUTH_CONNECT_V4",
            "PERMIT",
            [Condition("IP_REMOTE_PORT", "EQUAL", 53), Condition("IP_REMOTE_PORT", "EQUAL", 80)],
        )
    )
    source = weight_graph(engine, "ALE_AUTH_CONNECT_V4").source
    assert "(IP_REMOTE_PORT == 53 OR IP_REMOTE_PORT == 80)" in source


@given(st.lists(st.tuples(st.sampled_from(FIELDS), st.integers(0, 255)), max_size=8))
def test_one_and_per_field_boundary(pairs: list[tuple[str, int]]) -> None:
    """As many AND-joined groups as distinct fields; every condition appears once."""
    conds = [Condition(f, "EQUAL", v) for f, v in pairs]
    text = describe_conditions(conds)
    groups = group_by_field(conds)
    assert (text.count(" AND ") + 1 if text else 0) == len(groups)
    assert text.count(" OR ") == len(conds) - len(groups)
