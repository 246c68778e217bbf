"""wfpsim.ids: the identifiers a driver author types."""

import uuid

from wfpsim import Action, MatchType, ids


def test_real_names_resolve() -> None:
    """FWPM_/FWPS_/FWP_ names are module attributes with the SDK values."""
    assert uuid.UUID("c38d57d1-05a7-4c33-904f-7fbceee60e82") == ids.FWPM_LAYER_ALE_AUTH_CONNECT_V4
    assert ids.FWPS_LAYER_ALE_AUTH_CONNECT_V4 == 48
    assert ids.FWPS_FIELD_ALE_AUTH_CONNECT_V4_IP_REMOTE_PORT == 7
    assert ids.FWPS_FIELD_OUTBOUND_TRANSPORT_V4_IP_REMOTE_PORT == 5
    assert ids.FWP_ACTION_BLOCK == Action.BLOCK == 0x1001
    assert ids.FWP_MATCH_EQUAL == MatchType.EQUAL == 0
    assert ids.FWPM_FILTER_FLAG_CLEAR_ACTION_RIGHT == 0x8
    assert uuid.UUID("eebecc03-ced4-4380-819a-2734397b2b74") == ids.FWPM_SUBLAYER_UNIVERSAL
    assert uuid.UUID("c35a604d-d22b-4e1a-91b4-68f674ee674b") == ids.FWPM_CONDITION_IP_REMOTE_PORT
    assert ids.FWP_CONDITION_FLAG_IS_LOOPBACK == 0x1
    assert ids.FWP_UINT16 == 2


def test_unknown_name_is_a_clear_attribute_error() -> None:
    """A misspelt identifier says what to look at."""
    try:
        _ = ids.FWPS_FIELD_NOPE
    except AttributeError as err:
        assert "FWPS_FIELD_NOPE" in str(err)
    else:
        raise AssertionError("expected AttributeError")
