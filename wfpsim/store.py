"""The BFE's object store: one snapshot of providers, sublayers, callouts and filters.

A snapshot is copied for every change, so a failed call or an aborted transaction leaves
the engine exactly as it was. Ordering rules live here, as pure functions of a snapshot.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from wfpsim.catalog import Layer, builtin_sublayers, parse_guid
from wfpsim.errors import (
    CalloutNotFoundError,
    FilterNotFoundError,
    InvalidParameterError,
    ProviderNotFoundError,
    SublayerNotFoundError,
)
from wfpsim.objects import Callout, Filter, Provider, Sublayer

#: One clock for every generation number handed out in this process, so a generation never
#: names two different contents (an index cached under it can never be stale).
_CLOCK = itertools.count(1)


@dataclass(slots=True)
class Snapshot:
    """Everything BFE stores, plus who owns the dynamic objects."""

    providers: dict[uuid.UUID, Provider] = field(default_factory=dict)
    sublayers: dict[uuid.UUID, Sublayer] = field(default_factory=dict)
    callouts: dict[uuid.UUID, Callout] = field(default_factory=dict)
    filters: dict[int, Filter] = field(default_factory=dict)
    filter_keys: dict[uuid.UUID, int] = field(default_factory=dict)
    #: (kind, key) -> session key, for objects added by a dynamic session
    owners: dict[tuple[str, uuid.UUID], uuid.UUID] = field(default_factory=dict)
    #: creation order of sublayers (the tie-break for equal sublayer weights)
    sublayer_seq: dict[uuid.UUID, int] = field(default_factory=dict)
    #: layer name -> number of filter adds/deletes committed there (drives reauthorization)
    layer_versions: dict[str, int] = field(default_factory=dict)
    #: layer id -> generation of its filters (see :meth:`generation`)
    generations: dict[int, int] = field(default_factory=dict)
    #: generation of the sublayers (their weights order every layer's filters)
    sublayer_generation: int = 0
    next_filter_id: int = 1
    next_seq: int = 0

    @classmethod
    def with_builtins(cls) -> Snapshot:
        """A fresh BFE: the built-in sublayers with their measured weights."""
        snap = cls()
        for info in builtin_sublayers():
            sub = Sublayer(name=info.name, weight=info.weight or 0, key=info.guid, builtin=True)
            snap.add_sublayer(sub)
        return snap

    def copy(self) -> Snapshot:
        """A copy whose dictionaries can change independently (values are frozen)."""
        return replace(
            self,
            providers=dict(self.providers),
            sublayers=dict(self.sublayers),
            callouts=dict(self.callouts),
            filters=dict(self.filters),
            filter_keys=dict(self.filter_keys),
            owners=dict(self.owners),
            sublayer_seq=dict(self.sublayer_seq),
            layer_versions=dict(self.layer_versions),
            generations=dict(self.generations),
        )

    def bump(self, layer: Layer) -> None:
        """Record a policy change at a layer."""
        self.layer_versions[layer.name] = self.layer_versions.get(layer.name, 0) + 1
        self.generations[layer_key(layer)] = next(_CLOCK)

    def generation(self, layer_id: int) -> int:
        """A number that changes whenever the filters at ``layer_id`` or their order may have.

        Bumped by every add, delete or undo of a filter at the layer and by every sublayer
        change (sublayer weights order all layers). Numbers come from one process-wide clock,
        so equal generations mean equal contents: cache a layer's index under it.
        """
        return max(self.generations.get(layer_id, 0), self.sublayer_generation)

    def filters_on(self, layer_id: int) -> list[Filter]:
        """The filters stored at one layer (by run-time layer id), oldest first."""
        return [f for f in self.filters.values() if f.layer_.id == layer_id]

    def add_sublayer(self, sub: Sublayer) -> None:
        """Store a sublayer and remember its creation order."""
        self.sublayers[sub.key] = sub
        self.sublayer_seq[sub.key] = self.next_seq
        self.next_seq += 1
        self.sublayer_generation = next(_CLOCK)

    def remove_sublayer(self, key: uuid.UUID) -> None:
        """Forget a sublayer (the caller checked it holds no filters)."""
        del self.sublayers[key]
        self.sublayer_generation = next(_CLOCK)

    # lookups --------------------------------------------------------------------------
    def find_filter(self, ref: int | uuid.UUID | str) -> Filter:
        """A filter by id, key or display name."""
        if isinstance(ref, int):
            if ref in self.filters:
                return self.filters[ref]
        else:
            guid = parse_guid(ref)
            if guid is not None and guid in self.filter_keys:
                return self.filters[self.filter_keys[guid]]
            named = [f for f in self.filters.values() if f.name == ref]
            if len(named) == 1:
                return named[0]
        raise FilterNotFoundError(f"no filter {ref!r}; give a filter id, key or unique name")

    def find_sublayer(self, ref: uuid.UUID | str) -> Sublayer:
        """A sublayer by key, name, or built-in name with or without ``FWPM_SUBLAYER_``."""
        guid = parse_guid(ref)
        if guid is not None:
            if guid in self.sublayers:
                return self.sublayers[guid]
        else:
            text = str(ref)
            for sub in self.sublayers.values():
                if sub.name == text or (
                    sub.builtin and sub.name == "FWPM_SUBLAYER_" + text.upper()
                ):
                    return sub
            if text.upper() in ("EDGE_TRAVERSAL", "FWPM_SUBLAYER_EDGE_TRAVERSAL"):
                return self.find_sublayer("FWPM_SUBLAYER_TEREDO")
        names = ", ".join(sorted(s.name for s in self.sublayers.values() if not s.builtin))
        raise SublayerNotFoundError(
            f"no sublayer {ref!r}; give a key, a built-in name like FWPM_SUBLAYER_UNIVERSAL"
            f" or an added sublayer's name ({names or 'none added yet'})"
        )

    def find_callout(self, ref: uuid.UUID | str | int) -> Callout:
        """A callout by key, name or callout id."""
        for c in self.callouts.values():
            if isinstance(ref, int):
                if c.callout_id == ref:
                    return c
            elif parse_guid(ref) == c.key or c.name == ref:
                return c
        names = ", ".join(sorted(c.name for c in self.callouts.values()))
        raise CalloutNotFoundError(
            f"no callout {ref!r}; add it first (FwpmCalloutAdd0). Callouts: {names or 'none'}"
        )

    def find_provider(self, ref: uuid.UUID | str) -> Provider:
        """A provider by key or name."""
        for p in self.providers.values():
            if parse_guid(ref) == p.key or p.name == ref:
                return p
        raise ProviderNotFoundError(f"no provider {ref!r}; add it first (FwpmProviderAdd0)")

    # ordering -------------------------------------------------------------------------
    def sublayer_order(self) -> list[Sublayer]:
        """All sublayers, highest weight first.

        [UNDOCUMENTED] order of equal sublayer weights — **our choice**: the one created
        first comes first (built-in sublayers were created before any added one).
        """
        return sorted(self.sublayers.values(), key=lambda s: (-s.weight, self.sublayer_seq[s.key]))

    def layer_filters(self, layer: Layer) -> list[Filter]:
        """A layer's filters by effective weight, high to low (``FWP_FILTER_ENUM_FLAG_SORTED``).

        [UNDOCUMENTED] order of equal weights — **our choice**: lower filter id (the older
        filter) first.
        """
        return sort_filters(f for f in self.filters.values() if f.layer == layer)

    def evaluation_order(self, layer: Layer) -> list[tuple[Sublayer, list[Filter]]]:
        """The sublayers holding filters at ``layer``, in arbitration order, with their filters."""
        by_sub: dict[uuid.UUID, list[Filter]] = {}
        for flt in self.layer_filters(layer):
            assert isinstance(flt.sublayer, uuid.UUID)
            by_sub.setdefault(flt.sublayer, []).append(flt)
        return [(s, by_sub[s.key]) for s in self.sublayer_order() if s.key in by_sub]


def layer_key(la: Layer) -> int:
    """The run-time layer id the store indexes a layer by (every catalog layer has one)."""
    if la.id is None:
        raise InvalidParameterError(f"layer {la.name} has no run-time id; it cannot hold filters")
    return la.id


def sort_filters(filters: Iterable[Filter]) -> list[Filter]:
    """Filters by effective weight (high first), ties by filter id (low first)."""
    return sorted(filters, key=lambda f: (-f.effective_weight, f.filter_id))
