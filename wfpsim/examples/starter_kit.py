"""WFPStarterKit, line by line in Python.

The seed tutorial's sample driver (``WFPDriver.c`` and ``ExampleCallout.c``) registers one
callout at ``FWPM_LAYER_OUTBOUND_TRANSPORT_V4``, puts it in its own sublayer (weight 0x0f)
behind a filter with weight range 0xf and no conditions, and blocks every outbound IPv4
packet to remote port 1234. The same calls happen here in the same order, with the same
identifiers, reading the same ``FWPS_FIELD_OUTBOUND_TRANSPORT_V4_*`` indexes and writing the
same debug strings (:func:`wfpsim.kernel.DbgPrint`, what DbgView would show).

Two things the C sample does that a careful driver would not, kept on purpose: it never
checks ``FWPS_RIGHT_ACTION_WRITE``, and it blocks without clearing the right (a *soft* block,
which a lower sublayer could still override).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from wfpsim.callouts import ClassifyOut, IncomingValues, KernelFilter, MetaValues
from wfpsim.errors import InvalidParameterError, WfpError
from wfpsim.ids import (
    FWP_ACTION_BLOCK,
    FWP_ACTION_PERMIT,
    FWPS_FIELD_OUTBOUND_TRANSPORT_V4_IP_LOCAL_ADDRESS,
    FWPS_FIELD_OUTBOUND_TRANSPORT_V4_IP_LOCAL_PORT,
    FWPS_FIELD_OUTBOUND_TRANSPORT_V4_IP_REMOTE_ADDRESS,
    FWPS_FIELD_OUTBOUND_TRANSPORT_V4_IP_REMOTE_PORT,
    STATUS_FAILED_DRIVER_ENTRY,
    STATUS_SUCCESS,
)
from wfpsim.kernel import DbgPrint
from wfpsim.objects import Callout, Filter, Sublayer, Weight
from wfpsim.registry import NotifyType

if TYPE_CHECKING:
    from wfpsim.engine import Engine
    from wfpsim.session import Session

EXAMPLE_CALLOUT_NAME = "ExampleCallout"
EXAMPLE_CALLOUT_DESCRIPTION = "A callout used for demonstration purposes"
EXAMPLE_CALLOUT_GUID = uuid.UUID("0bf56435-71e4-4de7-bd0b-1af0b4cbb8f4")
EXAMPLE_SUBLAYER_NAME = "ExampleSublayer"
EXAMPLE_SUBLAYER_DESCRIPTION = "A sublayer used to hold filters in an example callout driver"
EXAMPLE_SUBLAYER_GUID = uuid.UUID("e1d364e9-cd84-4a48-aba4-608ce83e31ee")
EXAMPLE_FILTER_NAME = "ExampleFilter"
EXAMPLE_FILTER_DESCRIPTION = "A filter that uses the example callout"


def format_addr(x: int) -> tuple[int, int, int, int]:
    """``#define FORMAT_ADDR(x) (x>>24)&0xFF, (x>>16)&0xFF, (x>>8)&0xFF, x&0xFF``."""
    return (x >> 24) & 0xFF, (x >> 16) & 0xFF, (x >> 8) & 0xFF, x & 0xFF


def example_classify(
    in_fixed_values: IncomingValues,
    in_meta_values: MetaValues,
    layer_data: object,
    classify_context: object,
    filter: KernelFilter,
    flow_context: int,
    classify_out: ClassifyOut,
) -> None:
    """``example_classify``: log the 4-tuple, block remote port 1234, permit the rest."""
    values = in_fixed_values.incoming_value
    local_address = values[FWPS_FIELD_OUTBOUND_TRANSPORT_V4_IP_LOCAL_ADDRESS].value.uint32
    remote_address = values[FWPS_FIELD_OUTBOUND_TRANSPORT_V4_IP_REMOTE_ADDRESS].value.uint32
    local_port = values[FWPS_FIELD_OUTBOUND_TRANSPORT_V4_IP_LOCAL_PORT].value.uint16
    remote_port = values[FWPS_FIELD_OUTBOUND_TRANSPORT_V4_IP_REMOTE_PORT].value.uint16
    # If the packet is destined for remote port 1234, block the packet
    if remote_port == 1234:
        DbgPrint("Blocking Packet to port 1234")
        classify_out.action_type = FWP_ACTION_BLOCK
        return
    # Otherwise, print its TCP 4-tuple
    DbgPrint(
        "Example Classify found a packet: %d.%d.%d.%d:%hu --> %d.%d.%d.%d:%hu",
        *format_addr(local_address),
        local_port,
        *format_addr(remote_address),
        remote_port,
    )
    classify_out.action_type = FWP_ACTION_PERMIT


def example_notify(notify_type: NotifyType, filter_key: uuid.UUID | None, filter: object) -> int:
    """``example_notify``: say when a filter starts or stops using the callout."""
    if notify_type == NotifyType.ADD_FILTER:
        DbgPrint("A new filter has registered Example Callout as its action")
    elif notify_type == NotifyType.DELETE_FILTER:
        DbgPrint("A filter that uses Example Callout has just been deleted")
    return STATUS_SUCCESS


def example_flow_delete(layer_id: int, callout_id: int, flow_context: int) -> int:
    """``example_flow_delete``: nothing to clean up."""
    return STATUS_SUCCESS


class StarterKitDriver:
    """``DriverEntry`` and ``DriverUnload`` of WFPStarterKit, against one engine."""

    name = "WFPStarterKit"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.session: Session | None = None
        self.example_callout_id = 0
        self.example_filter_id = 0
        self.status = STATUS_SUCCESS

    def driver_entry(self) -> int:
        """Open a dynamic session, register callout, sublayer and filter in one transaction."""
        with self.engine.kernel_context():
            in_transaction = callout_registered = False
            try:
                session = self.engine.open_session("WFPStarterKit", dynamic=True)
                self.session = session
                session.begin()
                in_transaction = True
                self.register_example_callout(session)
                callout_registered = True
                self.register_example_sublayer(session)
                self.register_example_filter(session)
                session.commit()
                in_transaction = False
            except WfpError as err:
                DbgPrint("WFPDriver example driver failed to load, status 0x%08x", err.status)
                if in_transaction and self.session is not None:
                    self.session.abort()
                if callout_registered:
                    self.engine.unregister_callout(self.example_callout_id)
                self.status = STATUS_FAILED_DRIVER_ENTRY
                return self.status
            DbgPrint("--- WFPDriver example driver loaded successfully ---")
            return STATUS_SUCCESS

    def register_example_callout(self, session: Session) -> None:
        """FwpsCalloutRegister, then FwpmCalloutAdd at OUTBOUND_TRANSPORT_V4."""
        try:
            self.example_callout_id = self.engine.register_callout(
                EXAMPLE_CALLOUT_GUID, example_classify, example_notify, example_flow_delete
            )
        except WfpError as err:
            DbgPrint(
                "Failed to register callout functions for example callout, status 0x%08x",
                err.status,
            )
            raise
        try:
            session.add_callout(
                Callout(
                    EXAMPLE_CALLOUT_NAME,
                    "FWPM_LAYER_OUTBOUND_TRANSPORT_V4",
                    EXAMPLE_CALLOUT_GUID,
                    EXAMPLE_CALLOUT_DESCRIPTION,
                )
            )
        except WfpError as err:
            DbgPrint("Failed to register example callout, status 0x%08x", err.status)
            raise
        DbgPrint("Example Callout Registered")

    def register_example_sublayer(self, session: Session) -> None:
        """FwpmSubLayerAdd with weight 0x0f."""
        try:
            session.add_sublayer(
                Sublayer(
                    EXAMPLE_SUBLAYER_NAME, 0x0F, EXAMPLE_SUBLAYER_GUID, EXAMPLE_SUBLAYER_DESCRIPTION
                )
            )
        except WfpError as err:
            DbgPrint("Failed to register example sublayer, status 0x%08x", err.status)
            raise
        DbgPrint("Example sublayer registered")

    def register_example_filter(self, session: Session) -> None:
        """FwpmFilterAdd: CALLOUT_TERMINATING, weight FWP_UINT8 0xf, no conditions."""
        try:
            stored = session.add_filter(
                Filter(
                    EXAMPLE_FILTER_NAME,
                    "FWPM_LAYER_OUTBOUND_TRANSPORT_V4",
                    "FWP_ACTION_CALLOUT_TERMINATING",
                    conditions=(),
                    weight=Weight.range(0xF),
                    sublayer=EXAMPLE_SUBLAYER_GUID,
                    callout=EXAMPLE_CALLOUT_GUID,
                    description=EXAMPLE_FILTER_DESCRIPTION,
                )
            )
        except WfpError as err:
            DbgPrint("Failed to register example filter, status 0x%08x", err.status)
            raise
        self.example_filter_id = stored.filter_id
        DbgPrint("Example filter registered")

    def unload(self) -> None:
        """``DriverUnload``: delete the filter, unregister the callout, close the session.

        Raises:
            InvalidParameterError: the driver is not loaded (no ``driver_entry``, or unloaded).
        """
        session = self.session
        if session is None:
            raise InvalidParameterError(
                "the starter-kit driver is not loaded; call driver_entry() before unload()"
            )
        with self.engine.kernel_context():
            try:
                session.delete_filter(self.example_filter_id)
            except WfpError as err:
                DbgPrint("Failed to unregister filters, status: 0x%08x", err.status)
            try:
                self.engine.unregister_callout(self.example_callout_id)
            except WfpError as err:
                DbgPrint("Failed to unregister callout, status: 0x%08x", err.status)
            session.close()
            self.session = None
            DbgPrint("--- WFPDriver example driver unloaded ---")
