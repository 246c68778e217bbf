"""Net buffer lists as a callout driver handles them: clone, allocate, free, move the offset.

Here a ``NET_BUFFER_LIST`` is :class:`wfpsim.stack.layerdata.NetBufferList`: one net buffer
holding the whole packet (``data``, from the IP header on) and the current ``data_offset``. The
functions keep the C signatures; an out-parameter is an :class:`Out` cell. They are re-exported
by :mod:`wfpsim.injection`, beside the injection functions that take these lists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic, TypeVar

from wfpsim.ids import (
    NDIS_STATUS_FAILURE,
    NDIS_STATUS_SUCCESS,
    STATUS_FWP_NULL_POINTER,
    STATUS_INVALID_PARAMETER,
    STATUS_SUCCESS,
)
from wfpsim.kernel import current_kernel

if TYPE_CHECKING:
    from wfpsim.stack.layerdata import NetBufferList

T = TypeVar("T")


class Out(Generic[T]):
    """A C out-parameter: pass ``Out()``, the call sets ``.value`` (None until then)."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value: T | None = None

    def __repr__(self) -> str:
        return f"Out({self.value!r})"


def is_out(value: object) -> bool:
    """``value`` is an :class:`Out` cell (a driver may pass anything)."""
    return isinstance(value, Out)


def as_nbl(value: object) -> NetBufferList | None:
    """``value`` when it is a net buffer list, else None (the stack is imported late)."""
    from wfpsim.stack.layerdata import NetBufferList

    return value if isinstance(value, NetBufferList) else None


# -- net buffer lists -----------------------------------------------------------------------
def FwpsAllocateCloneNetBufferList0(
    original_net_buffer_list: NetBufferList,
    net_buffer_list_pool_handle: object,
    net_buffer_pool_handle: object,
    allocate_clone_flags: int,
    net_buffer_list: Out[NetBufferList],
) -> int:
    """A clone of a net buffer list: the same data and offset, ``parent`` set to the original.

    The clone keeps the original's injection history (a copy of an injected packet is still
    "injected by" whoever injected the original, which is what makes
    ``FWPS_PACKET_PREVIOUSLY_INJECTED_BY_SELF`` possible). ``layer_data`` that is not a net
    buffer list (a TCP connect at ``ALE_AUTH_CONNECT`` has none; ``STREAM`` hands stream data)
    gives ``STATUS_INVALID_PARAMETER``.
    """
    from wfpsim.stack.layerdata import NetBufferList

    original = as_nbl(original_net_buffer_list)
    if original is None:
        return STATUS_INVALID_PARAMETER
    if not is_out(net_buffer_list):
        return STATUS_FWP_NULL_POINTER
    net_buffer_list.value = NetBufferList(
        original.data, original.data_offset, original.injected, parent=original
    )
    return STATUS_SUCCESS


def FwpsAllocateNetBufferAndNetBufferList0(
    pool_handle: object,
    context_size: int,
    context_backfill: int,
    mdl_chain: bytes | None,
    data_offset: int,
    data_length: int,
    net_buffer_list: Out[NetBufferList],
) -> int:
    """A new net buffer list over ``mdl_chain`` (here: the bytes of the whole packet).

    ``data_offset`` and ``data_length`` describe the used part, as in NDIS; a deep copy made
    this way has no injection history and no parent.
    """
    from wfpsim.stack.layerdata import NetBufferList

    if not is_out(net_buffer_list):
        return STATUS_FWP_NULL_POINTER
    data = bytes(mdl_chain or b"")
    if not (0 <= data_offset <= len(data) and 0 <= data_length <= len(data) - data_offset):
        return STATUS_INVALID_PARAMETER
    net_buffer_list.value = NetBufferList(data[: data_offset + data_length], data_offset)
    return STATUS_SUCCESS


def FwpsFreeCloneNetBufferList0(net_buffer_list: NetBufferList, free_clone_flags: int) -> None:
    """Free a clone (a second free is recorded as a fault: in Windows it corrupts memory)."""
    _free(net_buffer_list, "FwpsFreeCloneNetBufferList0")


def FwpsFreeNetBufferList0(net_buffer_list: NetBufferList) -> None:
    """Free a net buffer list made by ``FwpsAllocateNetBufferAndNetBufferList0``."""
    _free(net_buffer_list, "FwpsFreeNetBufferList0")


def _free(value: object, name: str) -> None:
    nbl = as_nbl(value)
    if nbl is None:
        return
    if nbl.freed:
        kernel = current_kernel()
        if kernel is not None:
            from wfpsim.injection import injection_state  # it imports this module

            problem = f"{name} called twice on the same net buffer list (a double free)"
            injection_state(kernel).problems.append(problem)
    nbl.freed = True


def NET_BUFFER_LIST_FIRST_NB(net_buffer_list: NetBufferList) -> NetBufferList:
    """The list's first ``NET_BUFFER``: here the list itself (it holds exactly one)."""
    return net_buffer_list


def NdisRetreatNetBufferDataStart(
    net_buffer: NetBufferList,
    data_offset_delta: int,
    data_back_fill: int,
    allocate_mdl_handler: object,
) -> int:
    """Move the data start ``data_offset_delta`` bytes back (to see the headers before it).

    Returns ``NDIS_STATUS_FAILURE`` when that would go before the packet's first byte (our
    choice: NDIS would allocate a new MDL; here there is no byte before the IP header).
    """
    nb = as_nbl(net_buffer)
    if nb is None or not isinstance(data_offset_delta, int) or data_offset_delta < 0:
        return NDIS_STATUS_FAILURE
    if data_offset_delta > nb.data_offset:
        return NDIS_STATUS_FAILURE
    nb.data_offset -= data_offset_delta
    return NDIS_STATUS_SUCCESS


def NdisAdvanceNetBufferDataStart(
    net_buffer: NetBufferList,
    data_offset_delta: int,
    free_mdl: bool,
    free_mdl_handler: object,
) -> None:
    """Move the data start ``data_offset_delta`` bytes on (never past the end)."""
    nb = as_nbl(net_buffer)
    if nb is None or not isinstance(data_offset_delta, int) or data_offset_delta < 0:
        return
    nb.data_offset = min(len(nb.data), nb.data_offset + data_offset_delta)


__all__ = [
    "NET_BUFFER_LIST_FIRST_NB",
    "FwpsAllocateCloneNetBufferList0",
    "FwpsAllocateNetBufferAndNetBufferList0",
    "FwpsFreeCloneNetBufferList0",
    "FwpsFreeNetBufferList0",
    "NdisAdvanceNetBufferDataStart",
    "NdisRetreatNetBufferDataStart",
    "Out",
    "as_nbl",
    "is_out",
]
