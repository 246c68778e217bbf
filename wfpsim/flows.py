"""ALE flows and the contexts callouts attach to them (``FwpsFlowAssociateContext0``).

A flow is what ALE authorizes once: a TCP connection, or a UDP/ICMP conversation with one
remote peer. The engine hands its id to callouts as the ``FLOW_HANDLE`` metadata; a callout may
associate a context with (flow, layer, callout), gets it back as ``flow_context`` at that
layer, and its ``flowDeleteFn`` runs when the flow ends. The engine removes the association.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from wfpsim.ids import (
    STATUS_INVALID_PARAMETER,
    STATUS_OBJECT_NAME_EXISTS,
    STATUS_SUCCESS,
    STATUS_UNSUCCESSFUL,
)


@dataclass(slots=True)
class Flow:
    """One ALE flow on this host (mutable: it lives and ends)."""

    flow_id: int
    protocol: int
    local: tuple[str, int]
    remote: tuple[str, int]
    direction: str
    authorized_at: str
    policy_version: int
    contexts: dict[tuple[int, int], int] = field(default_factory=dict)
    active: bool = True

    def describe(self) -> str:
        """``TCP 10.0.0.5:49152 -> 93.184.216.34:80 (outbound, authorized at …)``."""
        names = {6: "TCP", 17: "UDP", 1: "ICMP", 58: "ICMPv6"}
        proto = names.get(self.protocol, str(self.protocol))
        return (
            f"{proto} {self.local[0]}:{self.local[1]} -> {self.remote[0]}:{self.remote[1]} "
            f"({self.direction}, authorized at {self.authorized_at})"
        )


#: flowDeleteFn lookup: callout id -> function (or None when not registered / no function)
FlowDeleteLookup = Callable[[int], "Callable[[int, int, int], object] | None"]


class FlowTable:
    """The kernel's flows and their callout contexts."""

    def __init__(self) -> None:
        self.flows: dict[int, Flow] = {}
        self._next = 1
        self._port = 49152
        self._handle = 0x1000
        #: (layer id, callout id, context) for every flowDeleteFn call made, in order
        self.deleted: list[tuple[int, int, int]] = []

    def next_port(self) -> int:
        """The next dynamic port (Windows' ephemeral range starts at 49152)."""
        port, self._port = self._port, self._port + 1
        return port

    def next_handle(self) -> int:
        """The next transport endpoint handle (pairs RESOURCE_ASSIGNMENT with its RELEASE)."""
        self._handle += 8
        return self._handle

    def create(
        self,
        protocol: int,
        local: tuple[str, int],
        remote: tuple[str, int],
        direction: str,
        authorized_at: str,
        policy_version: int,
    ) -> Flow:
        """A new flow with the next flow handle."""
        flow = Flow(self._next, protocol, local, remote, direction, authorized_at, policy_version)
        self.flows[flow.flow_id] = flow
        self._next += 1
        return flow

    def associate(
        self, flow_id: int, layer_id: int, callout_id: int, context: int, has_flow_delete: bool
    ) -> int:
        """``FwpsFlowAssociateContext0``: returns an NTSTATUS."""
        flow = self.flows.get(flow_id)
        if flow is None or not flow.active or not context or not has_flow_delete:
            return STATUS_INVALID_PARAMETER
        if (layer_id, callout_id) in flow.contexts:
            return STATUS_OBJECT_NAME_EXISTS
        flow.contexts[(layer_id, callout_id)] = context
        return STATUS_SUCCESS

    def remove(self, flow_id: int, layer_id: int, callout_id: int) -> int:
        """``FwpsFlowRemoveContext0``: returns an NTSTATUS (flowDeleteFn is called).

        Without a context associated (or no such flow) it returns ``STATUS_UNSUCCESSFUL``, the
        status the WDK *FwpsFlowRemoveContext0* page documents for "no context currently
        associated with the data flow".
        """
        flow = self.flows.get(flow_id)
        if flow is None or (layer_id, callout_id) not in flow.contexts:
            return STATUS_UNSUCCESSFUL
        del flow.contexts[(layer_id, callout_id)]
        return STATUS_SUCCESS

    def contexts_at(self, flow_id: int | None, layer_id: int | None) -> dict[int, int]:
        """Callout id -> context for one flow at one layer."""
        flow = self.flows.get(flow_id) if flow_id is not None else None
        if flow is None:
            return {}
        return {c: ctx for (lay, c), ctx in flow.contexts.items() if lay == layer_id}

    def count_for(self, callout_id: int) -> int:
        """How many contexts a callout still has (unregister is busy while > 0)."""
        return sum(1 for f in self.flows.values() for (_, c) in f.contexts if c == callout_id)

    def end(self, flow_id: int, flow_delete: FlowDeleteLookup) -> list[tuple[int, int, int]]:
        """The flow ends: every associated callout's flowDeleteFn runs, associations go."""
        flow = self.flows.get(flow_id)
        if flow is None or not flow.active:
            return []
        flow.active = False
        calls = []
        for (layer_id, callout_id), context in sorted(flow.contexts.items()):
            fn = flow_delete(callout_id)
            if fn is not None:
                fn(layer_id, callout_id, context)
            calls.append((layer_id, callout_id, context))
        flow.contexts.clear()
        self.deleted.extend(calls)
        return calls
