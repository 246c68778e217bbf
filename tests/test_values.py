"""FWP values: types, ranges, addresses and byte order."""

import pytest

from wfpsim.errors import InvalidNetMaskError, InvalidRangeError, TypeMismatchError
from wfpsim.values import (
    DataType,
    Value,
    app_id_bytes,
    format_ipv4,
    htonl,
    htons,
    parse_ipv4,
    to_network_bytes,
)


def test_ipv4_is_a_host_order_integer() -> None:
    """192.168.1.5 is 0xC0A80105 in conditions and incoming values."""
    assert parse_ipv4("192.168.1.5") == 0xC0A80105
    assert Value.ipv4("192.168.1.5").uint32 == 0xC0A80105
    assert format_ipv4(0xC0A80105) == "192.168.1.5"


def test_network_order_is_the_wire_order() -> None:
    """The same address on the wire is big-endian bytes; htonl swaps on little-endian hosts."""
    assert to_network_bytes(0xC0A80105, 4) == bytes([192, 168, 1, 5])
    assert htonl(0xC0A80105) == 0x0501A8C0
    assert htons(80) == 0x5000


def test_integer_range_checked() -> None:
    """A port does not fit a UINT8 and 70000 does not fit a UINT16."""
    with pytest.raises(TypeMismatchError, match="70000"):
        Value.u16(70000)
    with pytest.raises(TypeMismatchError):
        Value.u8(-1)


def test_union_arm_of_wrong_type_refused() -> None:
    """Reading .uint32 of a UINT16 value is a type mismatch, not a silent wrong answer."""
    with pytest.raises(TypeMismatchError, match="FWP_UINT16"):
        _ = Value.u16(80).uint32


def test_v4_mask_from_cidr_and_contiguity() -> None:
    """'10.0.0.0/8' gives addr/mask in host order; a holey mask is FWP_E_INVALID_NET_MASK."""
    v = Value.v4_addr_mask("10.1.2.3/8")
    assert v.type == DataType.V4_ADDR_MASK
    assert v.data.addr == 0x0A000000 and v.data.mask == 0xFF000000  # type: ignore[union-attr]
    with pytest.raises(InvalidNetMaskError):
        Value.v4_addr_mask(0x0A000000, 0xFF00FF00)
    with pytest.raises(InvalidNetMaskError, match="not-an-address"):
        Value.v4_addr_mask("not-an-address/8")


def test_range_needs_one_type_and_order() -> None:
    """A range's ends share a type and low <= high."""
    with pytest.raises(InvalidRangeError):
        Value.range(Value.u16(2000), Value.u16(1000))
    with pytest.raises(TypeMismatchError):
        Value.range(Value.u16(1), Value.u32(2))


def test_app_id_is_lowercase_utf16_with_terminator() -> None:
    """App ids compare like FwpmGetAppIdFromFileName0's blobs."""
    assert app_id_bytes(r"C:\Tools\App.EXE") == "c:\\tools\\app.exe\0".encode("utf-16-le")
    assert Value.app_id(r"C:\x.exe").display() == '"c:\\x.exe"'


def test_ipv6_value() -> None:
    """IPv6 addresses are 16 network-order bytes."""
    v = Value.ipv6("2001:db8::1")
    assert v.byte_array16[:2] == b"\x20\x01" and len(v.byte_array16) == 16
    with pytest.raises(TypeMismatchError):
        Value.ipv6("10.0.0.1")
