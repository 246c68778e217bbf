"""Kernel-mode helpers a Python callout calls while it classifies, by their real names.

``FwpsFlowAssociateContext0(flow_id, layer_id, callout_id, flow_context)`` and
``FwpsFlowRemoveContext0(flow_id, layer_id, callout_id)`` act on the engine that is
classifying right now and return an NTSTATUS (0 = ``STATUS_SUCCESS``), as in C::

    from wfpsim.kernel import FwpsFlowAssociateContext0

    def classify(in_fixed_values, in_meta_values, layer_data, classify_context,
                 filter, flow_context, classify_out):
        if not flow_context:
            FwpsFlowAssociateContext0(in_meta_values.flow_handle, in_fixed_values.layer_id,
                                      filter.action.callout_id, 42)
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING

from wfpsim.flows import STATUS_INVALID_PARAMETER

if TYPE_CHECKING:
    from wfpsim.engine import Engine

#: The engine whose classification is running (set by the engine around callout calls).
CURRENT_ENGINE: ContextVar[Engine | None] = ContextVar("wfpsim_current_engine", default=None)


def flow_associate_context(
    flow_id: int | None, layer_id: int, callout_id: int, context: int
) -> int:
    """Associate ``context`` with (flow, layer, callout); the callout needs a flowDeleteFn."""
    engine = CURRENT_ENGINE.get()
    if engine is None or flow_id is None:
        return STATUS_INVALID_PARAMETER
    reg = engine.registry.get(callout_id)
    has_delete = reg is not None and reg.flow_delete is not None
    status = engine.flow_table.associate(flow_id, layer_id, callout_id, context, has_delete)
    engine.registry.flow_contexts[callout_id] = engine.flow_table.count_for(callout_id)
    return status


def flow_remove_context(flow_id: int, layer_id: int, callout_id: int) -> int:
    """Remove an association (the engine then calls the callout's flowDeleteFn)."""
    engine = CURRENT_ENGINE.get()
    if engine is None:
        return STATUS_INVALID_PARAMETER
    flow = engine.flow_table.flows.get(flow_id)
    context = flow.contexts.get((layer_id, callout_id)) if flow else None
    status = engine.flow_table.remove(flow_id, layer_id, callout_id)
    reg = engine.registry.get(callout_id)
    if context is not None and reg is not None and reg.flow_delete is not None:
        reg.flow_delete(layer_id, callout_id, context)
    engine.registry.flow_contexts[callout_id] = engine.flow_table.count_for(callout_id)
    return status


FwpsFlowAssociateContext0 = flow_associate_context
FwpsFlowRemoveContext0 = flow_remove_context


def DbgPrint(fmt: str, *args: object) -> None:
    """``DbgPrint``: a C format string and its arguments, into the engine's debug log.

    The log is what DbgView would show. C length modifiers (``%hu``, ``%lu``) are accepted.
    Outside a classification the line goes to :data:`ORPHAN_LOG`.
    """
    import re

    text = re.sub(r"%([-+ #0]*\d*(?:\.\d+)?)(?:hh|h|ll|l|I64|z)?([diouxXcs])", r"%\1\2", fmt)
    line = text % args if args else text
    engine = CURRENT_ENGINE.get()
    (engine.debug_log if engine is not None else ORPHAN_LOG).append(line)


#: DbgPrint lines written while no engine was current.
ORPHAN_LOG: list[str] = []
