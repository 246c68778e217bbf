"""Packet injection: handles, clones, injection state, where copies re-enter, and loops."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from wfpsim import Engine
from wfpsim.conditions import Condition
from wfpsim.examples.reinject import CloneReinjectDriver, InjectionLoopDriver, RewriteDriver
from wfpsim.ids import (
    AF_INET,
    AF_INET6,
    FWP_ACTION_BLOCK,
    FWP_ACTION_PERMIT,
    FWPS_CLASSIFY_OUT_FLAG_ABSORB,
    FWPS_INJECTION_TYPE_NETWORK,
    FWPS_INJECTION_TYPE_TRANSPORT,
    FWPS_PACKET_INJECTED_BY_OTHER,
    FWPS_PACKET_INJECTED_BY_SELF,
    FWPS_PACKET_NOT_INJECTED,
    FWPS_PACKET_PREVIOUSLY_INJECTED_BY_SELF,
    STATUS_FWP_INJECT_HANDLE_CLOSING,
    STATUS_FWP_INJECT_HANDLE_STALE,
    STATUS_FWP_TCPIP_NOT_READY,
    STATUS_INVALID_PARAMETER,
    STATUS_SUCCESS,
    PacketInjectionState,
)
from wfpsim.injection import (
    INJECTION_LOOP_LIMIT,
    FwpsAllocateCloneNetBufferList0,
    FwpsInjectionHandleCreate0,
    FwpsInjectionHandleDestroy0,
    FwpsInjectNetworkSendAsync0,
    FwpsInjectTransportReceiveAsync0,
    FwpsInjectTransportSendAsync0,
    FwpsQueryPacketInjectionState0,
    InjectionHandle,
    NdisRetreatNetBufferDataStart,
    Out,
)
from wfpsim.objects import Callout, Filter
from wfpsim.runner import run
from wfpsim.stack import Stack
from wfpsim.stack.layerdata import NetBufferList
from wfpsim.stack.packets import udp_datagram, verify_checksums

Classify = Callable[..., None]


def test_injection_state_values_are_fwpsk_h() -> None:
    """FWPS_PACKET_INJECTION_STATE counts 0..4 in the header's order."""
    assert [int(s) for s in PacketInjectionState] == [0, 1, 2, 3, 4]
    assert FWPS_PACKET_NOT_INJECTED == 0 and FWPS_PACKET_INJECTED_BY_SELF == 1
    assert FWPS_PACKET_INJECTED_BY_OTHER == 2 and FWPS_PACKET_PREVIOUSLY_INJECTED_BY_SELF == 3
    assert FWPS_INJECTION_TYPE_TRANSPORT == 2 and FWPS_INJECTION_TYPE_NETWORK == 4
    assert (AF_INET, AF_INET6) == (2, 23)


def _handle(engine: Engine, family: int = AF_INET, flags: int = 0) -> InjectionHandle:
    out: Out[InjectionHandle] = Out()
    with engine.kernel_context():
        assert FwpsInjectionHandleCreate0(family, flags, out) == STATUS_SUCCESS
    assert out.value is not None
    return out.value


def _nbl() -> NetBufferList:
    return NetBufferList(udp_datagram("10.0.0.5", "10.0.0.9", 5000, 53, b"q").to_bytes(), 20)


def test_handle_needs_a_kernel_and_the_right_type() -> None:
    """No engine: TCPIP_NOT_READY; a destroyed handle: CLOSING; a network-only handle cannot
    inject at the transport (STALE)."""
    assert FwpsInjectionHandleCreate0(AF_INET, 0, Out()) == STATUS_FWP_TCPIP_NOT_READY
    engine = Engine()
    network = _handle(engine, flags=FWPS_INJECTION_TYPE_NETWORK)
    gone = _handle(engine)
    FwpsInjectionHandleDestroy0(gone)
    args = (None, 0, 0, None, AF_INET, 1)
    with engine.kernel_context():
        done = lambda *a: None  # noqa: E731
        assert (
            FwpsInjectTransportSendAsync0(network, *args, _nbl(), done, None)
            == STATUS_FWP_INJECT_HANDLE_STALE
        )
        assert (
            FwpsInjectTransportSendAsync0(gone, *args, _nbl(), done, None)
            == STATUS_FWP_INJECT_HANDLE_CLOSING
        )


def test_receive_injection_needs_the_ip_header() -> None:
    """A net buffer list at the transport header is refused until retreated to the IP header."""
    engine = Engine()
    handle = _handle(engine)
    nbl = _nbl()
    with engine.kernel_context():
        args = (handle, None, None, 0, AF_INET, 1, 1, 1)
        done = lambda *a: None  # noqa: E731
        assert FwpsInjectTransportReceiveAsync0(*args, nbl, done, None) == STATUS_INVALID_PARAMETER
        assert NdisRetreatNetBufferDataStart(nbl, 20, 0, None) == 0
        assert FwpsInjectTransportReceiveAsync0(*args, nbl, done, None) == STATUS_SUCCESS


def test_query_injection_state_reads_the_history() -> None:
    """Not injected; injected by self; by other; previously by self after another re-injected."""
    engine = Engine()
    mine, theirs = _handle(engine), _handle(engine)
    original = _nbl()
    assert FwpsQueryPacketInjectionState0(mine, original) == FWPS_PACKET_NOT_INJECTED
    assert FwpsQueryPacketInjectionState0(mine, None) == FWPS_PACKET_NOT_INJECTED
    clone: Out[NetBufferList] = Out()
    assert FwpsAllocateCloneNetBufferList0(original, None, None, 0, clone) == STATUS_SUCCESS
    assert clone.value is not None and clone.value.parent is original
    assert clone.value.data == original.data and clone.value.data_offset == 20
    done = lambda *a: None  # noqa: E731
    with engine.kernel_context():
        FwpsInjectTransportSendAsync0(mine, "ctx", 0, 0, None, AF_INET, 1, clone.value, done, None)
    context: Out[object] = Out()
    assert (
        FwpsQueryPacketInjectionState0(mine, clone.value, context) == FWPS_PACKET_INJECTED_BY_SELF
    )
    assert context.value == "ctx"
    assert FwpsQueryPacketInjectionState0(theirs, clone.value) == FWPS_PACKET_INJECTED_BY_OTHER
    again: Out[NetBufferList] = Out()
    FwpsAllocateCloneNetBufferList0(clone.value, None, None, 0, again)
    assert again.value is not None
    with engine.kernel_context():
        FwpsInjectTransportSendAsync0(theirs, None, 0, 0, None, AF_INET, 1, again.value, done, 0)
    state = FwpsQueryPacketInjectionState0(mine, again.value)
    assert state == FWPS_PACKET_PREVIOUSLY_INJECTED_BY_SELF


def test_correct_clone_reinject_delivers_exactly_once() -> None:
    """The copy re-enters at DATAGRAM_DATA, is recognised, and leaves once; the receiver on
    this host gets one datagram."""
    engine = Engine()
    driver = CloneReinjectDriver(engine)
    driver.remote_port = 5353
    assert driver.driver_entry() == STATUS_SUCCESS
    journey = Stack(engine).run("udp", "outbound", "127.0.0.1:0", "127.0.0.1:5353", payload=["x"])
    assert journey.verdict == "PERMIT" and journey.faults == []
    assert journey.layers.count("OUTBOUND_IPPACKET_V4") == 1
    assert journey.layers.count("DATAGRAM_DATA_V4") == 3  # original, copy, receiver
    copies = [s for s in journey.steps if s.injection is not None]
    assert [s.layer for s in copies] == [
        "DATAGRAM_DATA_V4",
        "OUTBOUND_TRANSPORT_V4",
        "OUTBOUND_IPPACKET_V4",
    ]
    assert copies[0].injection is not None and copies[0].injection.callout == "clone-reinject"
    absorbed = journey.at("OUTBOUND_TRANSPORT_V4")
    assert absorbed.blocked and absorbed.classification.absorbed
    assert [i.fate for i in journey.injections] == ["re-entered at DATAGRAM_DATA, carried on"]
    state = FwpsQueryPacketInjectionState0(driver.injection_handle, copies[0].layer_data)  # type: ignore[arg-type]
    assert state == FWPS_PACKET_INJECTED_BY_SELF
    driver.unload()


def test_forgotten_injection_state_check_is_reported_as_a_loop() -> None:
    """Without the check the copy comes back until the loop limit: dropped, the callout's fault."""
    engine = Engine()
    driver = InjectionLoopDriver(engine)
    driver.driver_entry()
    journey = Stack(engine).run("udp", "outbound", "10.0.0.5:0", "198.51.100.53:53", payload=["q"])
    assert journey.verdict == "BLOCK" and journey.decided_at == "OUTBOUND_TRANSPORT_V4"
    assert len(journey.faults) == 1
    fault = journey.faults[0]
    assert "callout 'reinject-without-check': injection loop" in fault
    assert "FwpsQueryPacketInjectionState0" in fault
    assert journey.layers.count("OUTBOUND_TRANSPORT_V4") == INJECTION_LOOP_LIMIT + 1
    assert "OUTBOUND_IPPACKET_V4" not in journey.layers
    assert journey.injections[-1].fate == "dropped: injection loop"
    assert "injection loop" in journey.steps[-3].note


def test_rewritten_copy_leaves_with_the_new_bytes() -> None:
    """A deep copy with a new payload leaves with correct lengths and checksums."""
    engine = Engine()
    driver = RewriteDriver(engine)
    driver.driver_entry()
    journey = Stack(engine).run("udp", "outbound", "10.0.0.5:0", "198.51.100.53:53", payload=["a"])
    sent = journey.at("OUTBOUND_IPPACKET_V4").packet
    assert sent is not None and sent.endswith(b"rewritten") and verify_checksums(sent)


def _register(engine: Engine, layer: str, classify: Classify, port: int) -> None:
    key = uuid.uuid4()
    engine.register_callout(key, classify)
    engine.add_callout(Callout("test injector", layer, key))
    engine.add_filter(
        Filter(
            "inject",
            layer,
            "CALLOUT_TERMINATING",
            [Condition("IP_LOCAL_PORT", "EQUAL", port)],
            callout=key,
        )
    )


def _injector(engine: Engine, inject: Callable[..., int], *, absorb: bool = True) -> Classify:
    """A callout that lets its own packets pass and copies (and blocks) the rest."""
    handle = _handle(engine, flags=FWPS_INJECTION_TYPE_TRANSPORT | FWPS_INJECTION_TYPE_NETWORK)
    calls: list[Any] = []

    def classify(
        fixed: Any, meta: Any, layer_data: Any, ctx: Any, flt: Any, flow: Any, out: Any
    ) -> None:
        if FwpsQueryPacketInjectionState0(handle, layer_data) == FWPS_PACKET_INJECTED_BY_SELF:
            out.action_type = FWP_ACTION_PERMIT
            return
        clone: Out[NetBufferList] = Out()
        FwpsAllocateCloneNetBufferList0(layer_data, None, None, 0, clone)
        calls.append(inject(handle, meta, clone.value, lambda c, n, d: calls.append(n.status)))
        out.action_type = FWP_ACTION_BLOCK if absorb else FWP_ACTION_PERMIT
        if absorb:
            out.flags |= FWPS_CLASSIFY_OUT_FLAG_ABSORB

    classify.calls = calls  # type: ignore[attr-defined]
    return classify


def test_receive_injection_reenters_at_the_bottom() -> None:
    """From INBOUND_TRANSPORT (retreated to the IP header) the copy starts at INBOUND_IPPACKET."""
    engine = Engine()

    def inject(handle: Any, meta: Any, clone: Any, done: Any) -> int:
        NdisRetreatNetBufferDataStart(
            clone, meta.ip_header_size + meta.transport_header_size, 0, None
        )
        return FwpsInjectTransportReceiveAsync0(
            handle, None, None, 0, AF_INET, 1, 1, 1, clone, done, None
        )

    classify = _injector(engine, inject)
    _register(engine, "INBOUND_TRANSPORT_V4", classify, 5353)
    journey = Stack(engine).run(
        "udp", "inbound", "10.0.0.5:5353", "198.51.100.7:40000", payload=["d"]
    )
    assert journey.verdict == "PERMIT"
    injected = [s.layer for s in journey.steps if s.injection is not None]
    assert injected[:2] == ["INBOUND_IPPACKET_V4", "INBOUND_TRANSPORT_V4"]
    assert journey.layers.count("DATAGRAM_DATA_V4") == 1
    assert classify.calls == [STATUS_SUCCESS, STATUS_SUCCESS]  # type: ignore[attr-defined]


def test_network_send_reenters_only_at_the_ip_layer() -> None:
    """FwpsInjectNetworkSendAsync0 from OUTBOUND_TRANSPORT: the copy is seen at OUTBOUND_IPPACKET."""
    engine = Engine()

    def inject(handle: Any, meta: Any, clone: Any, done: Any) -> int:
        NdisRetreatNetBufferDataStart(clone, clone.data_offset, 0, None)
        return FwpsInjectNetworkSendAsync0(handle, None, 0, 1, clone, done, None)

    _register(engine, "OUTBOUND_TRANSPORT_V4", _injector(engine, inject), 4444)
    journey = Stack(engine).run(
        "udp", "outbound", "10.0.0.5:4444", "198.51.100.7:53", payload=["d"]
    )
    injected = [s.layer for s in journey.steps if s.injection is not None]
    assert injected == ["OUTBOUND_IPPACKET_V4"]
    assert journey.layers.count("OUTBOUND_TRANSPORT_V4") == 1 and journey.verdict == "PERMIT"


def test_copy_beside_a_permitted_original_is_recorded_not_carried() -> None:
    """Our choice: a second packet is recorded and completed, the original goes on alone."""
    engine = Engine()

    def inject(handle: Any, meta: Any, clone: Any, done: Any) -> int:
        return FwpsInjectTransportSendAsync0(
            handle, None, 0, 0, None, AF_INET, 1, clone, done, None
        )

    _register(engine, "OUTBOUND_TRANSPORT_V4", _injector(engine, inject, absorb=False), 4445)
    journey = Stack(engine).run(
        "udp", "outbound", "10.0.0.5:4445", "198.51.100.7:53", payload=["d"]
    )
    assert journey.verdict == "PERMIT" and journey.layers.count("OUTBOUND_IPPACKET_V4") == 1
    assert journey.injections[0].fate.startswith("recorded, not carried")


def test_completion_function_that_raises_is_a_fault() -> None:
    """A completionFn that raises is contained and reported as the callout's fault."""
    engine = Engine()

    def inject(handle: Any, meta: Any, clone: Any, done: Any) -> int:
        def bad(context: object, nbl: object, dispatch: bool) -> None:
            raise RuntimeError("boom")

        return FwpsInjectTransportSendAsync0(handle, None, 0, 0, None, AF_INET, 1, clone, bad, None)

    _register(engine, "OUTBOUND_TRANSPORT_V4", _injector(engine, inject), 4446)
    journey = Stack(engine).run(
        "udp", "outbound", "10.0.0.5:4446", "198.51.100.7:53", payload=["d"]
    )
    assert journey.verdict == "PERMIT"
    assert any("completionFn raised RuntimeError: boom" in f for f in journey.faults)


@pytest.mark.parametrize("name", ["clone-reinject", "injection-loop"])
def test_injection_scenarios_hold(name: str) -> None:
    """The built-in injection scenarios run and every expectation holds."""
    result = run(name)
    assert result.ok, [t.failures for t in result.traffic]


def test_pcap_marks_the_injected_copy_and_the_absorbed_original(tmp_path: Any) -> None:
    """journey.save_pcap: the absorbed original and its copy are two frames, the copy named."""
    from wfpsim.stack.pcap import packets

    journey = run("clone-reinject").traffic[0].journey
    comments = [f.comment for f in packets([journey])]
    assert comments[0].endswith("absorbed at OUTBOUND_TRANSPORT_V4 by 'clone-reinject port 53'")
    assert comments[1] == (
        "journey 1: injected by 'clone-reinject' (FwpsInjectTransportSendAsync0): "
        "DATAGRAM_DATA_V4, OUTBOUND_TRANSPORT_V4, OUTBOUND_IPPACKET_V4: passed"
    )
    path = journey.save_pcap(tmp_path / "one.pcapng")
    data = path.read_bytes()
    assert data[:4] == b"\x0a\x0d\x0d\x0a" and b"injected by 'clone-reinject'" in data
    loop = run("injection-loop").traffic[0].journey
    assert "injection loop" in packets([loop])[-1].comment


def test_run_pcap_writes_one_file_per_traffic_entry(tmp_path: Any) -> None:
    """`wfpsim run NAME --pcap DIR` writes DIR/NAME-<n>.pcapng and still exits 0."""
    from wfpsim.cli import main

    assert main(["run", "flow-counter", "--pcap", str(tmp_path / "caps")]) == 0
    names = sorted(p.name for p in (tmp_path / "caps").iterdir())
    assert names == [f"flow-counter-{n}.pcapng" for n in range(4)]


def test_a_blocked_original_is_discarded_before_its_copy_crosses() -> None:
    """Blocked without ABSORB: the original shows at the discard twin when its classification
    returns, before the copy (injected asynchronously) crosses the layers again."""
    engine = Engine()

    def inject(handle: Any, meta: Any, clone: Any, done: Any) -> int:
        return FwpsInjectTransportSendAsync0(
            handle, None, 0, 0, None, AF_INET, 1, clone, done, None
        )

    classify = _injector(engine, inject)

    def without_absorb(*args: Any) -> None:
        classify(*args)
        args[-1].flags &= ~FWPS_CLASSIFY_OUT_FLAG_ABSORB  # a block the stack shows as a discard

    _register(engine, "OUTBOUND_TRANSPORT_V4", without_absorb, 5353)
    journey = Stack(engine).run(
        "udp", "outbound", "10.0.0.5:5353", "198.51.100.53:53", payload=["q"]
    )
    layers = journey.layers
    assert layers.count("OUTBOUND_TRANSPORT_V4_DISCARD") == 1
    discard = layers.index("OUTBOUND_TRANSPORT_V4_DISCARD")
    first_copy = next(i for i, s in enumerate(journey.steps) if s.injection is not None)
    assert layers.index("OUTBOUND_TRANSPORT_V4") < discard < first_copy
    assert journey.verdict == "PERMIT" and journey.at("OUTBOUND_IPPACKET_V4").injection
