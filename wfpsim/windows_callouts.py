"""Models of Windows' own callouts, built from what Microsoft documents of them.

A real machine's dump holds two kinds of callout. Windows' own — the SDK-named ``FWPM_CALLOUT_*``
callouts of the *Built-in Callout Identifiers* page, and those of the Windows Firewall service's
providers (``FWPM_PROVIDER_MPSSVC_*``) — are modelled here, each with its basis; every other
callout (antivirus, VPN, packet capture, EDR) is an :class:`~wfpsim.unknown.UnknownCallout`.

The rule (labelled in each model): where Microsoft documents only a callout's *purpose*, the model
does not decide traffic outside that purpose — it answers ``FWP_ACTION_CONTINUE``. wfpsim simulates
no IPsec security association, TCP chimney offload, TCP template, Teredo service or firewall
notification, so those callouts never decide here. The one built-in callout whose documented job
*is* a decision is the stealth-mode silent drop at the inbound transport discard layers, which
blocks and absorbs (no TCP reset or ICMP error is sent).

>>> from wfpsim.catalog import builtin_callout
>>> model = model_for_key(builtin_callout("FWPM_CALLOUT_WFP_TRANSPORT_LAYER_V4_SILENT_DROP").guid)
>>> model.answer, model.absorb
('BLOCK', True)
>>> model_for_key(builtin_callout("FWPM_CALLOUT_TCP_TEMPLATES_CONNECT_LAYER_V4").guid).answer
'CONTINUE'
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import cache
from typing import Any

from wfpsim.callouts import ClassifyOut, IncomingValues, KernelFilter, MetaValues
from wfpsim.catalog import builtin_callouts, identifier, layer
from wfpsim.engine import Engine
from wfpsim.ids import FWPS_CLASSIFY_OUT_FLAG_ABSORB, FWPS_RIGHT_ACTION_WRITE
from wfpsim.objects import Action, Callout
from wfpsim.registry import CalloutRegisterFlag

__all__ = ["IMPORT_MODES", "CalloutModel", "model_for", "model_for_key", "register_imported"]

PAGE = "Microsoft's 'Built-in Callout Identifiers' page (fwpmu.h)"


@dataclass(frozen=True, slots=True)
class CalloutModel:
    """A classifyFn standing in for one of Windows' own callouts, with the basis of the model.

    Attributes:
        name: the callout's identifier (``FWPM_CALLOUT_…``) or its provider's.
        answer: ``CONTINUE`` or ``BLOCK``.
        absorb: with BLOCK, set ``FWPS_CLASSIFY_OUT_FLAG_ABSORB`` (a silent drop).
        basis: where the model comes from, and what is our reading.
    """

    name: str
    answer: str
    basis: str
    absorb: bool = False

    def __call__(
        self,
        in_fixed_values: IncomingValues,
        in_meta_values: MetaValues,
        layer_data: object,
        classify_context: object,
        filter: KernelFilter,
        flow_context: int,
        classify_out: ClassifyOut,
    ) -> None:
        if self.answer == "CONTINUE" or not classify_out.rights & FWPS_RIGHT_ACTION_WRITE:
            return
        classify_out.action_type = Action.BLOCK
        if self.absorb:
            classify_out.flags |= FWPS_CLASSIFY_OUT_FLAG_ABSORB


def _purpose(name: str, purpose: str, outside: str) -> CalloutModel:
    basis = (
        f"{PAGE}: {purpose}. Only the purpose is documented; {outside}, so the model answers "
        "CONTINUE (our reading: it does not decide traffic outside its purpose)"
    )
    return CalloutModel(name, "CONTINUE", basis)


#: Documented purposes, by the start of the SDK name, and what wfpsim does not simulate.
PURPOSES: tuple[tuple[str, str, str], ...] = (
    ("FWPM_CALLOUT_IPSEC_", "IPsec enforcement (secures or verifies traffic of IPsec policy)",
     "wfpsim simulates no IPsec policy or security association"),
    ("FWPM_CALLOUT_TCP_CHIMNEY_", "enables or disables TCP chimney offload per connection",
     "offload does not decide whether traffic passes"),
    ("FWPM_CALLOUT_SET_OPTIONS_", "sets classify options on flows",
     "options do not decide whether traffic passes"),
    ("FWPM_CALLOUT_TCP_TEMPLATES_", "applies TCP template settings to matching connections",
     "templates do not decide whether traffic passes"),
    ("FWPM_CALLOUT_EDGE_TRAVERSAL_", "signals to the Teredo service that an application needs "
     "a Teredo address", "wfpsim simulates no Teredo service"),
    ("FWPM_CALLOUT_TEREDO_", "signals to the Teredo service that an application needs a Teredo "
     "address", "wfpsim simulates no Teredo service"),
    ("FWPM_CALLOUT_RESERVED_", "reserved for internal use", "nothing more is documented"),
    ("FWPM_CALLOUT_BUILT_IN_RESERVED_", "undocumented (Windows names them 'Proxy Connection ALE "
     "Accept Redirect' and 'Accept Redirect Proxy Tag')", "nothing is documented"),
    ("FWPM_CALLOUT_POLICY_SILENT_MODE_", "undocumented (named 'Policy Silent Mode')",
     "nothing is documented"),
    ("FWPM_CALLOUT_OUTBOUND_NETWORK_CONNECTION_POLICY_", "undocumented (the connection-policy "
     "layers' callout)", "nothing is documented"),
    ("FWPM_CALLOUT_HTTP_TEMPLATE_", "undocumented", "nothing is documented"),
)  # fmt: skip

SILENT_DROP = (
    f"{PAGE}: 'Implements stealth-mode filtering by silently dropping all incoming packets for "
    "which TCP does not have a listening endpoint', at the inbound transport discard layer: "
    "BLOCK with FWPS_CLASSIFY_OUT_FLAG_ABSORB"
)

MPSSVC = (
    "a callout of the Windows Firewall service (provider {provider}). Microsoft documents the "
    "firewall's purposes (stateful FTP and other protocol inspection, 'notify the user when a "
    "program is blocked', logging of dropped packets) but not these callouts; its allow and "
    "block decisions are made by its filters, so the model answers CONTINUE (our reading)"
)


@cache
def _by_key() -> dict[uuid.UUID, CalloutModel]:
    models: dict[uuid.UUID, CalloutModel] = {}
    for info in builtin_callouts():
        if info.name.endswith("_SILENT_DROP"):
            models[info.guid] = CalloutModel(info.name, "BLOCK", SILENT_DROP, absorb=True)
            continue
        for prefix, purpose, outside in PURPOSES:
            if info.name.startswith(prefix):
                models[info.guid] = _purpose(info.name, purpose, outside)
                break
    return models


@cache
def _mpssvc_providers() -> dict[uuid.UUID, str]:
    names = (
        "FWPM_PROVIDER_MPSSVC_WF",
        "FWPM_PROVIDER_MPSSVC_WSH",
        "FWPM_PROVIDER_MPSSVC_APP_ISOLATION",
        "FWPM_PROVIDER_MPSSVC_EDP",
        "FWPM_PROVIDER_MPSSVC_TENANT_RESTRICTIONS",
    )
    return {identifier(n).guid: n for n in names}


def model_for_key(key: uuid.UUID) -> CalloutModel | None:
    """The model of an SDK-named built-in callout, by its GUID (None: not one of them)."""
    return _by_key().get(key)


def model_for(key: uuid.UUID, provider: uuid.UUID | None) -> CalloutModel | None:
    """The model of one of Windows' own callouts — SDK-named, or of an MPSSVC provider.

    Returns None for every other callout: its driver's code is unknown.
    """
    found = model_for_key(key)
    if found is not None:
        return found
    if provider is not None and provider in _mpssvc_providers():
        name = _mpssvc_providers()[provider]
        return CalloutModel(name, "CONTINUE", MPSSVC.format(provider=name))
    return None


#: ``load_netsh(callouts=…)``: what a dump's registered callouts become.
IMPORT_MODES = ("unknown", "permit", "block", "unregistered", "stand-in")


def register_imported(
    engine: Engine,
    callout: Callout,
    registered: bool,
    flags: CalloutRegisterFlag,
    mode: str,
) -> None:
    """Register an imported callout as the dump says, with what stands in for its code.

    ``registered`` is the dump's ``FWPM_CALLOUT_FLAG_REGISTERED``: an unregistered callout stays
    unregistered (its filters then act as Windows documents for unregistered callouts), except
    in the legacy ``stand-in`` mode. A registered one gets Windows' model when there is one,
    else an :class:`~wfpsim.unknown.UnknownCallout` (``unknown``, ``permit``, ``block`` modes:
    the answer is chosen later, by :mod:`wfpsim.analysis.whatif`).
    """
    from wfpsim.callouts import BuiltinCallout
    from wfpsim.unknown import UnknownCallout

    if mode == "unregistered" or (not registered and mode != "stand-in"):
        return
    classify: Any
    if mode == "stand-in":
        classify = BuiltinCallout("CONTINUE")
    else:
        model = model_for(callout.key, callout.provider)
        short = layer(callout.layer).short_name
        classify = model if model is not None else UnknownCallout(callout.key, callout.name, short)
    engine.register_callout(callout.key, classify, flags=flags)
