"""Conditions: match types, OR/AND combination and type checks (conformance cases 35-41)."""

import pytest

from wfpsim.catalog import layer
from wfpsim.conditions import Condition, MatchType, check_match, filter_matches, matches, resolve
from wfpsim.errors import (
    ConditionNotFoundError,
    InvalidRangeError,
    MatchTypeMismatchError,
    TypeMismatchError,
)
from wfpsim.values import DataType, Value

CONNECT = layer("ALE_AUTH_CONNECT_V4")


def r(field: str, match: str, value: object, la: str = "ALE_AUTH_CONNECT_V4") -> Condition:
    return resolve(layer(la), Condition(field, match, value))


def values(**fields: Value) -> dict[str, Value]:
    return {f"FWPM_CONDITION_{k}": v for k, v in fields.items()}


def test_case35_same_field_or_cross_field_and() -> None:
    """Case 35: {port 80, port 443, proto 6}: TCP/443 yes, UDP/443 no, TCP/8080 no."""
    conds = [
        r("IP_REMOTE_PORT", "EQUAL", 80),
        r("IP_REMOTE_PORT", "EQUAL", 443),
        r("IP_PROTOCOL", "EQUAL", 6),
    ]
    ok = filter_matches(conds, values(IP_REMOTE_PORT=Value.u16(443), IP_PROTOCOL=Value.u8(6)))
    assert ok.matched
    udp = filter_matches(conds, values(IP_REMOTE_PORT=Value.u16(443), IP_PROTOCOL=Value.u8(17)))
    assert not udp.matched and udp.failed[0].field == "FWPM_CONDITION_IP_PROTOCOL"
    other = filter_matches(conds, values(IP_REMOTE_PORT=Value.u16(8080), IP_PROTOCOL=Value.u8(6)))
    assert not other.matched and len(other.failed) == 2


def test_case36_v4_address_and_mask() -> None:
    """Case 36: 192.168.1.0/24 matches 192.168.1.5, not 192.168.2.5."""
    cond = r("IP_REMOTE_ADDRESS", "EQUAL", Value.v4_addr_mask(0xC0A80100, 0xFFFFFF00))
    assert matches(cond, Value.u32(0xC0A80105))
    assert not matches(cond, Value.u32(0xC0A80205))
    assert matches(r("IP_REMOTE_ADDRESS", "EQUAL", "192.168.1.0/24"), Value.ipv4("192.168.1.77"))


def test_case37_range_is_inclusive() -> None:
    """Case 37: RANGE [1000, 2000] includes both ends."""
    cond = r("IP_REMOTE_PORT", "RANGE", (1000, 2000))
    assert matches(cond, Value.u16(1000)) and matches(cond, Value.u16(2000))
    assert not matches(cond, Value.u16(2001)) and not matches(cond, Value.u16(999))


def test_case38_flags() -> None:
    """Case 38: FLAGS_ALL_SET 0x1 vs 0x5/0x4; FLAGS_NONE_SET 0x4 vs 0x5/0x1."""
    all_set = r("FLAGS", "FLAGS_ALL_SET", 0x1)
    assert matches(all_set, Value.u32(0x5)) and not matches(all_set, Value.u32(0x4))
    none_set = r("FLAGS", "FLAGS_NONE_SET", 0x4)
    assert not matches(none_set, Value.u32(0x5)) and matches(none_set, Value.u32(0x1))
    any_set = r("FLAGS", "FLAGS_ANY_SET", 0x6)
    assert matches(any_set, Value.u32(0x4)) and not matches(any_set, Value.u32(0x1))


def test_case39_no_implicit_conversion() -> None:
    """Case 39: a FWP_UINT32 value on the UINT16 port field is FWP_E_TYPE_MISMATCH."""
    with pytest.raises(TypeMismatchError, match="FWP_UINT16") as info:
        r("IP_REMOTE_PORT", "EQUAL", Value.u32(80))
    assert info.value.hresult == 0x80320027
    assert not matches(r("IP_REMOTE_PORT", "EQUAL", 80), Value.u32(80))


def test_case40_empty_matches_only_equal_empty() -> None:
    """Case 40: an FWP_EMPTY incoming value matches EQUAL-to-empty and nothing else."""
    empty = r("IP_ARRIVAL_INTERFACE", "EQUAL", Value.empty())
    assert matches(empty, Value.empty())
    assert not matches(empty, Value.u64(3))
    assert not matches(r("IP_ARRIVAL_INTERFACE", "EQUAL", 3), Value.empty())
    assert not matches(r("IP_ARRIVAL_INTERFACE", "NOT_EQUAL", 3), Value.empty())


def test_case41_no_conditions_match_everything() -> None:
    """Case 41: a filter with zero conditions always matches."""
    assert filter_matches([], {}).matched


def test_missing_incoming_field_is_empty() -> None:
    """A field not handed over is FWP_EMPTY, so an ordinary condition does not match it."""
    assert not filter_matches([r("IP_REMOTE_PORT", "EQUAL", 80)], {}).matched


@pytest.mark.parametrize(
    ("match", "value", "expected"),
    [
        ("EQUAL", 80, True),
        ("NOT_EQUAL", 80, False),
        ("GREATER", 79, True),
        ("GREATER", 80, False),
        ("LESS", 81, True),
        ("GREATER_OR_EQUAL", 80, True),
        ("LESS_OR_EQUAL", 80, True),
        ("LESS_OR_EQUAL", 79, False),
    ],
)
def test_ordered_match_types(match: str, value: int, expected: bool) -> None:
    """The comparison match types read 'incoming OP condition'."""
    assert matches(r("IP_REMOTE_PORT", match, value), Value.u16(80)) is expected


def test_prefix_tests_the_end_as_documented() -> None:
    """FWP_MATCH_PREFIX on an app id tests that the value ends with the condition."""
    cond = resolve(CONNECT, Condition("ALE_APP_ID", "PREFIX", Value.app_id("notepad.exe")))
    assert matches(cond, Value.app_id(r"C:\Windows\notepad.exe"))
    assert not matches(cond, Value.app_id(r"C:\Windows\calc.exe"))
    not_prefix = resolve(
        CONNECT, Condition("ALE_APP_ID", "NOT_PREFIX", Value.app_id("notepad.exe"))
    )
    assert matches(not_prefix, Value.app_id(r"C:\Windows\calc.exe"))


def test_app_id_equality_ignores_case_like_windows() -> None:
    """App ids are lower-cased blobs, so 'C:\\A.EXE' matches 'c:\\a.exe'."""
    cond = r("ALE_APP_ID", "EQUAL", r"C:\Program Files\App.EXE")
    assert matches(cond, Value.app_id(r"c:\program files\app.exe"))


def test_security_descriptor_grants_by_sddl() -> None:
    """ALE_USER_ID with an SDDL: true when the DACL allows the user, false when it denies."""
    cond = r("ALE_USER_ID", "EQUAL", "D:(A;;CC;;;S-1-5-21-1-1001)(D;;CC;;;S-1-5-21-1-1002)")
    user = DataType.TOKEN_ACCESS_INFORMATION_TYPE
    assert matches(cond, Value(user, "S-1-5-21-1-1001"))
    assert not matches(cond, Value(user, "S-1-5-21-1-1002"))
    assert not matches(cond, Value(user, "S-1-5-21-1-1003"))


def test_case_insensitive_only_for_unicode_strings() -> None:
    """EQUAL_CASE_INSENSITIVE is only valid on FWP_UNICODE_STRING_TYPE."""
    with pytest.raises(MatchTypeMismatchError, match="FWP_UINT16"):
        r("IP_REMOTE_PORT", "EQUAL_CASE_INSENSITIVE", 80)
    check_match(MatchType.EQUAL_CASE_INSENSITIVE, Value.unicode("x"), "test")


def test_flags_need_unsigned_integers() -> None:
    """FLAGS_* on a byte blob is FWP_E_MATCH_TYPE_MISMATCH."""
    with pytest.raises(MatchTypeMismatchError):
        r("ALE_APP_ID", "FLAGS_ALL_SET", "x.exe")


def test_range_match_needs_range_value() -> None:
    """RANGE with a single value, or a range with EQUAL, is refused."""
    with pytest.raises(InvalidRangeError):
        r("IP_REMOTE_PORT", "RANGE", 80)
    with pytest.raises(MatchTypeMismatchError):
        r("IP_REMOTE_PORT", "EQUAL", (1, 2))


def test_condition_not_at_layer() -> None:
    """A condition on a field the layer lacks is FWP_E_CONDITION_NOT_FOUND."""
    with pytest.raises(ConditionNotFoundError, match="OUTBOUND_IPPACKET_V4"):
        r("IP_REMOTE_PORT", "EQUAL", 80, la="OUTBOUND_IPPACKET_V4")
    with pytest.raises(ConditionNotFoundError, match="NOT_A_FIELD"):
        r("NOT_A_FIELD", "EQUAL", 80)


def test_unknown_match_type_lists_valid_ones() -> None:
    """A misspelt match type names the bad value and the valid ones."""
    with pytest.raises(MatchTypeMismatchError, match=r"EQUALS.*NOT_EQUAL"):
        MatchType.parse("EQUALS")


def test_guid_and_prefixed_names_work() -> None:
    """A condition may be named by GUID or with its FWPM_CONDITION_ prefix."""
    a = r("c35a604d-d22b-4e1a-91b4-68f674ee674b", "FWP_MATCH_EQUAL", 80)
    b = r("FWPM_CONDITION_IP_REMOTE_PORT", "EQUAL", 80)
    assert a == b


def test_ipv6_prefix_condition() -> None:
    """An IPv6 prefix matches addresses inside it."""
    cond = r("IP_REMOTE_ADDRESS", "EQUAL", "2001:db8::/32", la="ALE_AUTH_CONNECT_V6")
    assert matches(cond, Value.ipv6("2001:db8:1::5"))
    assert not matches(cond, Value.ipv6("2001:db9::5"))


def test_describe_shows_ipv4_addresses_dotted_also_in_ranges() -> None:
    """A stored filter's conditions read as written: dotted quads, not host-order integers."""
    from wfpsim import Engine, Filter

    stored = Engine().add_filter(
        Filter(
            "r",
            "ALE_AUTH_CONNECT_V4",
            "BLOCK",
            [
                Condition("IP_REMOTE_ADDRESS", "RANGE", ("10.0.0.1", "10.0.0.9")),
                Condition("IP_LOCAL_ADDRESS", "EQUAL", "10.0.0.1"),
                Condition("IP_REMOTE_PORT", "RANGE", (80, 90)),
            ],
        )
    )
    assert [c.describe() for c in stored.conditions] == [
        "IP_REMOTE_ADDRESS in [10.0.0.1, 10.0.0.9]",
        "IP_LOCAL_ADDRESS == 10.0.0.1",
        "IP_REMOTE_PORT in [80, 90]",
    ]
