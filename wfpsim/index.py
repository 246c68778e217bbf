"""A layer's filters in arbitration order, indexed by the values their conditions demand.

What the real BFE does for ``FWPM_FILTER_FLAG_INDEXED`` filters and in its per-layer
ordering, done here for every filter: a classification visits only the filters that *can*
match the incoming values, in the order the full walk would visit them, and reaches the
same result (:mod:`wfpsim.arbitration` walks what this module hands it).

How a filter is placed, inside its sublayer:

* A field whose conditions are all ``FWP_MATCH_EQUAL`` pins the filter: whatever matches
  the filter carries one of those values in that field. ``EQUAL`` to a plain value (a port,
  a protocol, an address, an app id, a SID) is a hash look-up; ``EQUAL`` to an address and
  mask (``FWP_V4_ADDR_MASK``) or prefix (``FWP_V6_ADDR_MASK``) is a look-up of the masked
  incoming address, one per distinct mask.
* A filter with several such fields is indexed under one of them: a value-rich field
  (port, address, app) before a field with few values (protocol, direction, flags), then
  the one with fewer values, then by name — deterministic.
* Everything else (no condition, ranges, flags, NOT_EQUAL, security descriptors…) goes to
  the sublayer's residual list, which every classification visits.

A classification takes, per sublayer, the residual list and the buckets the incoming values
select, merges them by effective weight (ties by filter id) and walks the result. Filters
outside these lists cannot match, so the decision, rights, veto and callout calls are the
full walk's. The order is kept up to date as filters come and go (:meth:`LayerIndex.sync`
applies only the difference since the last look), never rebuilt per call.

>>> from wfpsim.catalog import layer
>>> from wfpsim.conditions import Condition, resolve
>>> from wfpsim.objects import Filter, Sublayer
>>> la = layer("ALE_AUTH_CONNECT_V4")
>>> sub = Sublayer("s", 1)
>>> web = Filter("web", la, "PERMIT", [resolve(la, Condition("IP_REMOTE_PORT", "EQUAL", 80))],
...              sublayer=sub.key, filter_id=1)
>>> idx = LayerIndex()
>>> idx.sync(1, {1: web}, [sub])
>>> from wfpsim.values import Value
>>> [f.name for _, fs in idx.candidates({"FWPM_CONDITION_IP_REMOTE_PORT": Value.u16(80)})
...  for f in fs]
['web']
>>> [f.name for _, fs in idx.candidates({"FWPM_CONDITION_IP_REMOTE_PORT": Value.u16(81)})
...  for f in fs]
[]
"""

from __future__ import annotations

import heapq
import operator
import uuid
from bisect import bisect_left, insort
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence

from wfpsim.conditions import Condition, MatchType, group_by_field
from wfpsim.objects import Filter, Sublayer
from wfpsim.values import DataType, V4AddrMask, V6AddrMask, Value

#: ``(-effective weight, filter id, filter)``: sorts in arbitration order, never compares filters
Entry = tuple[int, int, Filter]
#: how a field is probed: ``(field, "exact", None)``, ``(field, "v4", mask)``,
#: ``(field, "v6", shift)``
Probe = tuple[str, str, int | None]

#: Fields with few distinct values: indexed under only when nothing better is on offer.
FEW_VALUES = frozenset(
    f"FWPM_CONDITION_{name}"
    for name in (
        "IP_PROTOCOL",
        "DIRECTION",
        "FLAGS",
        "IP_LOCAL_ADDRESS_TYPE",
        "IP_ADDRESS_TYPE",
        "INTERFACE_TYPE",
        "TUNNEL_TYPE",
        "ALE_ORIGINAL_APP_ID",
        "L2_FLAGS",
        "COMPARTMENT_ID",
    )
)
_PLAIN = (int, bytes, str)


def _placement(cond: Condition) -> tuple[Probe, Hashable] | None:
    """The probe and bucket key of one condition, or None if it cannot pin a filter."""
    if cond.match_type != MatchType.EQUAL or not isinstance(cond.value, Value):
        return None
    value = cond.value
    data = value.data
    if isinstance(data, V4AddrMask):
        return (cond.field, "v4", data.mask), data.addr & data.mask
    if isinstance(data, V6AddrMask):
        shift = 128 - data.prefix_length
        return (cond.field, "v6", shift), int.from_bytes(data.addr, "big") >> shift
    if value.type in (DataType.EMPTY, DataType.SECURITY_DESCRIPTOR_TYPE):
        return None
    if type(data) not in _PLAIN:
        return None
    return (cond.field, "exact", None), (value.type, data)


def _probe_key(probe: Probe, incoming: Value | None) -> Hashable | None:
    """The bucket key an incoming value selects under ``probe`` (None: no bucket can match)."""
    if incoming is None:
        return None
    got = incoming.data
    kind = probe[1]
    if kind == "exact":
        return (incoming.type, got)
    if kind == "v4":
        ok = incoming.type == DataType.UINT32 and isinstance(got, int)
        return got & probe[2] if ok else None  # type: ignore[operator]
    if incoming.type != DataType.BYTE_ARRAY16_TYPE or not isinstance(got, bytes):
        return None
    return int.from_bytes(got, "big") >> probe[2]  # type: ignore[operator]


def placements(flt: Filter) -> list[tuple[Probe, Hashable]]:
    """Where a filter is indexed: one field's (probe, key) pairs; [] means the residual list."""
    best: tuple[tuple[bool, bool, int, str], list[tuple[Probe, Hashable]]] | None = None
    for name, group in group_by_field(flt.conditions).items():
        spots = [_placement(c) for c in group]
        if any(s is None for s in spots):
            continue
        found = list(dict.fromkeys(s for s in spots if s is not None))
        masked = any(probe[1] != "exact" for probe, _ in found)
        rank = (name in FEW_VALUES, masked, len(found), name)
        if best is None or rank < best[0]:
            best = (rank, found)
    return best[1] if best else []


class SublayerIndex:
    """One sublayer's filters at one layer: in order, bucketed, and the residual list."""

    def __init__(self, sublayer: Sublayer) -> None:
        self.sublayer = sublayer
        self.entries: list[Entry] = []
        self.residual: list[Entry] = []
        self.buckets: dict[Probe, dict[Hashable, list[Entry]]] = {}
        self.placed: dict[int, list[tuple[Probe, Hashable]]] = {}
        self._frozen: tuple[Filter, ...] | None = None

    def __len__(self) -> int:
        return len(self.entries)

    def add(self, flt: Filter) -> None:
        """Place a filter (its id must not be placed already)."""
        entry: Entry = (-flt.effective_weight, flt.filter_id, flt)
        insort(self.entries, entry)
        spots = placements(flt)
        self.placed[flt.filter_id] = spots
        if not spots:
            insort(self.residual, entry)
        for probe, key in spots:
            insort(self.buckets.setdefault(probe, {}).setdefault(key, []), entry)
        self._frozen = None

    def remove(self, flt: Filter) -> None:
        """Take a placed filter out."""
        _drop(self.entries, flt)
        spots = self.placed.pop(flt.filter_id)
        if not spots:
            _drop(self.residual, flt)
        for probe, key in spots:
            buckets = self.buckets[probe]
            _drop(buckets[key], flt)
            if not buckets[key]:
                del buckets[key]
                if not buckets:
                    del self.buckets[probe]
        self._frozen = None

    def filters(self) -> tuple[Filter, ...]:
        """Every filter, by effective weight (the full walk's order); cached until a change."""
        if self._frozen is None:
            self._frozen = tuple(e[2] for e in self.entries)
        return self._frozen

    def candidates(self, values: Mapping[str, Value]) -> Iterable[Filter]:
        """The filters that can match ``values``, in the full walk's order."""
        lists = [self.residual] if self.residual else []
        for probe, buckets in self.buckets.items():
            try:
                found = buckets.get(_probe_key(probe, values.get(probe[0])))
            except TypeError:  # an unhashable incoming value: visit everything (still right)
                return self.filters()
            if found:
                lists.append(found)
        if not lists:
            return ()
        if len(lists) == 1:
            return [e[2] for e in lists[0]]
        return _unique(heapq.merge(*lists))


def _drop(entries: list[Entry], flt: Filter) -> None:
    at = bisect_left(entries, (-flt.effective_weight, flt.filter_id))
    if at < len(entries) and entries[at][1] == flt.filter_id:
        del entries[at]


def _unique(merged: Iterator[Entry]) -> list[Filter]:
    out: list[Filter] = []
    last = -1
    for _, fid, flt in merged:
        if fid != last:
            out.append(flt)
            last = fid
    return out


class LayerIndex:
    """One layer: its sublayers in arbitration order, each a :class:`SublayerIndex`."""

    def __init__(self) -> None:
        self.generation: object = None
        self.filters: dict[int, Filter] = {}
        self.subs: dict[uuid.UUID, SublayerIndex] = {}
        self.order: list[SublayerIndex] = []
        self._snapshot: tuple[tuple[Sublayer, tuple[Filter, ...]], ...] | None = None

    def sync(
        self,
        generation: object,
        filters: Mapping[int, Filter],
        sublayer_order: Sequence[Sublayer] | Callable[[], Sequence[Sublayer]],
    ) -> None:
        """Bring the index up to ``generation``: apply the filters added and removed since.

        ``filters`` maps filter ids to this layer's committed filters; ``sublayer_order`` is
        every sublayer in arbitration order (or a function returning it). Costs nothing
        when the generation is unchanged, and the size of the change otherwise (plus one
        identity check per filter, at C speed, so a filter replaced under its id is seen).
        """
        if generation == self.generation and self.generation is not None:
            return
        old = self.filters
        gone = [old[i] for i in old.keys() - filters.keys()]
        new = [filters[i] for i in filters.keys() - old.keys()]
        common = list(old.keys() & filters.keys())
        same = map(operator.is_, map(old.__getitem__, common), map(filters.__getitem__, common))
        if not all(same):
            replaced = [i for i in common if old[i] is not filters[i]]
            gone += [old[i] for i in replaced]
            new += [filters[i] for i in replaced]
        for flt in gone:
            sub = self.subs[flt.sublayer]  # type: ignore[index]
            sub.remove(flt)
            del old[flt.filter_id]
        for flt in new:
            key = flt.sublayer
            if not isinstance(key, uuid.UUID):
                continue  # never stored without a sublayer key
            found = self.subs.get(key)
            if found is None:
                found = self.subs[key] = SublayerIndex(Sublayer("(pending)", key=key))
            found.add(flt)
            old[flt.filter_id] = flt
        ordered = sublayer_order() if callable(sublayer_order) else sublayer_order
        for key in [k for k, s in self.subs.items() if not len(s)]:
            del self.subs[key]
        order = []
        for sub_obj in ordered:
            idx = self.subs.get(sub_obj.key)
            if idx is not None:
                idx.sublayer = sub_obj
                order.append(idx)
        self.order = order  # filters whose sublayer is gone are not evaluated (as before)
        self.generation = generation
        self._snapshot = None

    def snapshot(self) -> tuple[tuple[Sublayer, tuple[Filter, ...]], ...]:
        """The evaluation order as immutable tuples (what a trace keeps); cached."""
        if self._snapshot is None:
            self._snapshot = tuple((s.sublayer, s.filters()) for s in self.order)
        return self._snapshot

    def candidates(
        self, values: Mapping[str, Value]
    ) -> Iterator[tuple[Sublayer, Iterable[Filter]]]:
        """Per sublayer in arbitration order, the filters that can match ``values``."""
        for sub in self.order:
            yield sub.sublayer, sub.candidates(values)
