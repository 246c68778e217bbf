"""FwpsPendClassify0 / FwpsCompleteClassify0 with classify handles; pending an incoming connect."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from wfpsim import Callout, Engine, Filter
from wfpsim.callouts import ClassifyOut
from wfpsim.clock import schedule_after
from wfpsim.errors import InvalidParameterError
from wfpsim.ids import (
    AF_INET,
    FWP_ACTION_BLOCK,
    FWP_ACTION_PERMIT,
    FWPS_CLASSIFY_OUT_FLAG_ABSORB,
    FWPS_PACKET_INJECTED_BY_SELF,
    FWPS_RIGHT_ACTION_WRITE,
    STATUS_FWP_CANNOT_PEND,
    STATUS_SUCCESS,
)
from wfpsim.injection import (
    FwpsAllocateCloneNetBufferList0,
    FwpsInjectionHandleCreate0,
    FwpsInjectTransportReceiveAsync0,
    FwpsQueryPacketInjectionState0,
    InjectionHandle,
)
from wfpsim.modification import (
    FwpsAcquireClassifyHandle0,
    FwpsAcquireWritableLayerDataPointer0,
    FwpsApplyModifiedLayerData0,
    FwpsReleaseClassifyHandle0,
    classify_handle_context,
)
from wfpsim.netbuffers import NdisRetreatNetBufferDataStart, Out
from wfpsim.pend import (
    FwpsCompleteClassify0,
    FwpsCompleteOperation0,
    FwpsPendClassify0,
    FwpsPendOperation0,
)
from wfpsim.stack import Stack

Classify = Callable[..., None]


def _engine(layer: str, classify: Classify) -> Engine:
    engine = Engine()
    key = uuid.uuid4()
    engine.add_callout(Callout("pender", layer, key))
    engine.register_callout(key, classify)
    engine.add_filter(Filter("pend it", layer, "CALLOUT_TERMINATING", callout=key))
    return engine


def _pend_then(answer: Callable[[int, ClassifyOut], None], seen: dict[str, Any]) -> Classify:
    """A callout that pends its classification and completes it 4 s later with ``answer``."""

    def classify(fixed: Any, meta: Any, data: Any, ctx: Any, flt: Any, fc: int, out: Any) -> None:
        if not out.rights & FWPS_RIGHT_ACTION_WRITE:
            return
        if "handle" in seen:  # the reauthorization asked for with a NULL classify_out
            out.action_type = FWP_ACTION_PERMIT
            seen["reauthorized"] = True
            return
        handle: Out[int] = Out()
        FwpsAcquireClassifyHandle0(ctx, 0, handle)
        seen["handle"] = handle.value
        seen["status"] = FwpsPendClassify0(handle.value or 0, flt.filter_id, 0, out)
        copy = ClassifyOut(out.action_type, out.out_context, out.filter_id, out.rights, out.flags)
        FwpsReleaseClassifyHandle0(handle.value or 0)  # the pend holds its own reference
        out.action_type = FWP_ACTION_BLOCK
        out.rights &= ~FWPS_RIGHT_ACTION_WRITE
        schedule_after(4.0, lambda: answer(handle.value or 0, copy), "decide")

    return classify


def _complete_with(action: int) -> Callable[[int, ClassifyOut], None]:
    def answer(handle: int, out: ClassifyOut) -> None:
        out.action_type = action
        out.rights &= ~FWPS_RIGHT_ACTION_WRITE
        FwpsCompleteClassify0(handle, 0, out)

    return answer


def test_a_pended_connect_redirect_completes_with_permit() -> None:
    """The completed classify_out is the final decision: the connect goes on 4 s later."""
    seen: dict[str, Any] = {}
    engine = _engine("ALE_CONNECT_REDIRECT_V4", _pend_then(_complete_with(FWP_ACTION_PERMIT), seen))
    journey = Stack(engine).run("tcp", "outbound", "10.0.0.5:0", "93.184.216.34:80")
    assert seen["status"] == STATUS_SUCCESS and journey.verdict == "PERMIT"
    pended, completed = [s for s in journey.steps if s.layer == "ALE_CONNECT_REDIRECT_V4"]
    assert pended.blocked and completed.action.name == "PERMIT" and completed.time == 4.0
    assert "completed (FwpsCompleteClassify0)" in completed.event
    assert journey.pends[0].function == "FwpsPendClassify0" and journey.faults == []
    assert classify_handle_context(seen["handle"]) is None  # both references released


def test_a_pended_connect_redirect_completes_with_block() -> None:
    """A completed BLOCK by the callout fails connect() at the redirect layer."""
    seen: dict[str, Any] = {}
    engine = _engine("ALE_CONNECT_REDIRECT_V4", _pend_then(_complete_with(FWP_ACTION_BLOCK), seen))
    journey = Stack(engine).run("tcp", "outbound", "10.0.0.5:0", "93.184.216.34:80")
    assert journey.verdict == "BLOCK" and journey.decided_at == "ALE_CONNECT_REDIRECT_V4"
    assert "ALE_AUTH_CONNECT_V4" not in journey.layers


def test_completing_with_no_classify_out_reauthorizes() -> None:
    """FwpsCompleteClassify0(handle, 0, NULL): the indication is classified again."""
    seen: dict[str, Any] = {}

    def reauthorize(handle: int, out: ClassifyOut) -> None:
        FwpsCompleteClassify0(handle, 0, None)

    engine = _engine("ALE_CONNECT_REDIRECT_V4", _pend_then(reauthorize, seen))
    journey = Stack(engine).run("tcp", "outbound", "10.0.0.5:0", "93.184.216.34:80")
    assert seen.get("reauthorized") and journey.verdict == "PERMIT"
    assert journey.layers.count("ALE_CONNECT_REDIRECT_V4") == 2


def test_an_asynchronous_redirect_changes_the_destination() -> None:
    """The writable connect request applied during the pend redirects the connection."""
    seen: dict[str, Any] = {}

    def redirect(handle: int, out: ClassifyOut) -> None:
        writable: Out[Any] = Out()
        FwpsAcquireWritableLayerDataPointer0(handle, 0, 0, writable, out)
        writable.value.remote_address, writable.value.remote_port = "198.51.100.8", 8080
        FwpsApplyModifiedLayerData0(handle, writable.value, 0)
        out.action_type = FWP_ACTION_PERMIT
        FwpsCompleteClassify0(handle, 0, out)

    engine = _engine("ALE_CONNECT_REDIRECT_V4", _pend_then(redirect, seen))
    journey = Stack(engine).run("tcp", "outbound", "10.0.0.5:0", "93.184.216.34:80")
    assert journey.verdict == "PERMIT"
    assert journey.at("ALE_AUTH_CONNECT_V4").in_fixed_values.get("IP_REMOTE_PORT") == 8080


def test_pend_classify_is_refused_where_the_engine_does_not_allow_it() -> None:
    """ALE_FLOW_ESTABLISHED: no asynchronous classification (Microsoft); a named fault."""
    seen: dict[str, Any] = {}
    engine = _engine("ALE_FLOW_ESTABLISHED_V4", _pend_then(_complete_with(FWP_ACTION_PERMIT), seen))
    journey = Stack(engine).run("tcp", "outbound", "10.0.0.5:0", "93.184.216.34:80")
    assert seen["status"] == STATUS_FWP_CANNOT_PEND and journey.pends == []
    assert any("ALE_FLOW_ESTABLISHED_V4" in f and "asynchronous" in f for f in journey.faults)


def test_complete_classify_called_wrongly_raises() -> None:
    """An unknown handle, or a classify_out that is no FWPS_CLASSIFY_OUT0: clear errors."""
    engine = Engine()
    with engine.kernel_context():
        with pytest.raises(InvalidParameterError, match="unknown classify handle"):
            FwpsCompleteClassify0(0x42, 0, None)
        assert FwpsPendClassify0(0x42, 1, 0, ClassifyOut()) != STATUS_SUCCESS


def test_a_pended_incoming_connection_is_accepted_by_its_reinjected_clone() -> None:
    """RECV_ACCEPT: completing does not reauthorize; the callout re-injects its clone."""
    state: dict[str, Any] = {}

    def accept_later(
        fixed: Any, meta: Any, data: Any, ctx: Any, flt: Any, fc: int, out: Any
    ) -> None:
        handle: InjectionHandle | None = state.get("injection")
        if handle is None:
            cell: Out[InjectionHandle] = Out()
            FwpsInjectionHandleCreate0(2, 0, cell)
            handle = state["injection"] = cell.value
        if FwpsQueryPacketInjectionState0(handle, data) == FWPS_PACKET_INJECTED_BY_SELF:
            out.action_type = FWP_ACTION_PERMIT  # our copy, after the user allowed it
            return
        context: Out[int] = Out()
        clone: Out[Any] = Out()
        FwpsPendOperation0(meta.completion_handle, context)
        FwpsAllocateCloneNetBufferList0(data, None, None, 0, clone)
        headers = meta.ip_header_size + meta.transport_header_size
        NdisRetreatNetBufferDataStart(clone.value, headers, 0, None)  # inject from the IP header

        def allow() -> None:
            FwpsCompleteOperation0(context.value or 0, None)
            state["injected"] = FwpsInjectTransportReceiveAsync0(
                handle, None, None, 0, AF_INET, 1, 1, 1, clone.value, lambda *a: None, None
            )

        if state.get("allow"):
            schedule_after(2.0, allow)
        else:
            schedule_after(2.0, lambda: FwpsCompleteOperation0(context.value or 0, None))
        out.action_type = FWP_ACTION_BLOCK
        out.flags |= FWPS_CLASSIFY_OUT_FLAG_ABSORB
        out.rights &= ~FWPS_RIGHT_ACTION_WRITE

    for allow, verdict in ((True, "PERMIT"), (False, "BLOCK")):
        state.clear()
        state["allow"] = allow
        engine = _engine("ALE_AUTH_RECV_ACCEPT_V4", accept_later)
        journey = Stack(engine).run("tcp", "inbound", "10.0.0.5:80", "198.51.100.7:0")
        assert journey.verdict == verdict, journey.describe()
        assert journey.pends[0].completed_at == 2.0
        assert "no reauthorization" in journey.pends[0].outcome
