"""The WfpError family: real FWP_E_ names and HRESULTs."""

import pytest

from wfpsim import errors
from wfpsim.errors import BY_CODE, WfpError

# (name, HRESULT) from winerror.h, as listed in the reference §7.4
EXPECTED = {
    "FWP_E_CALLOUT_NOT_FOUND": 0x80320001,
    "FWP_E_CONDITION_NOT_FOUND": 0x80320002,
    "FWP_E_FILTER_NOT_FOUND": 0x80320003,
    "FWP_E_LAYER_NOT_FOUND": 0x80320004,
    "FWP_E_PROVIDER_NOT_FOUND": 0x80320005,
    "FWP_E_SUBLAYER_NOT_FOUND": 0x80320007,
    "FWP_E_ALREADY_EXISTS": 0x80320009,
    "FWP_E_IN_USE": 0x8032000A,
    "FWP_E_DYNAMIC_SESSION_IN_PROGRESS": 0x8032000B,
    "FWP_E_WRONG_SESSION": 0x8032000C,
    "FWP_E_NO_TXN_IN_PROGRESS": 0x8032000D,
    "FWP_E_TXN_IN_PROGRESS": 0x8032000E,
    "FWP_E_INCOMPATIBLE_TXN": 0x80320011,
    "FWP_E_INCOMPATIBLE_LAYER": 0x80320014,
    "FWP_E_LIFETIME_MISMATCH": 0x80320016,
    "FWP_E_BUILTIN_OBJECT": 0x80320017,
    "FWP_E_INVALID_FLAGS": 0x8032001E,
    "FWP_E_INVALID_NET_MASK": 0x8032001F,
    "FWP_E_INVALID_RANGE": 0x80320020,
    "FWP_E_NULL_DISPLAY_NAME": 0x80320023,
    "FWP_E_INVALID_ACTION_TYPE": 0x80320024,
    "FWP_E_INVALID_WEIGHT": 0x80320025,
    "FWP_E_MATCH_TYPE_MISMATCH": 0x80320026,
    "FWP_E_TYPE_MISMATCH": 0x80320027,
    "FWP_E_CALLOUT_NOTIFICATION_FAILED": 0x80320037,
}


@pytest.mark.parametrize(("code", "hresult"), sorted(EXPECTED.items()))
def test_codes_and_hresults(code: str, hresult: int) -> None:
    """Each error class carries the winerror.h name and value."""
    cls = BY_CODE[code]
    assert issubclass(cls, WfpError) and cls.hresult == hresult
    err = cls("bad value 7; valid: 1..5")
    assert str(err).startswith(f"{code} (0x{hresult:08X})") and "bad value 7" in str(err)
    assert err.status == 0xC0220000 | (hresult & 0xFFFF)


def test_every_error_is_a_wfp_error() -> None:
    """One family: every exported *Error class derives from WfpError."""
    classes = [v for k, v in vars(errors).items() if k.endswith("Error") and isinstance(v, type)]
    assert len(classes) > 30
    assert all(issubclass(c, WfpError) for c in classes)
