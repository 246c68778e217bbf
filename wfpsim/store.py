"""The BFE's object store: providers, sublayers, callouts, filters and their kernel contexts.

Changes are made in place and each one writes its inverse to an undo log (the journal), so a
change costs the same whatever the store holds. A refused call rolls back to where it began;
an aborted transaction rolls back to its ``begin``. While a transaction is open, readers of
the *committed* state (classification, the engine's queries) get :meth:`Store.committed`, the
store as it was at ``begin``. Ordering rules live here too, as functions of the store.
"""

from __future__ import annotations

import enum
import itertools
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

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


class ObjectKind(enum.Enum):
    """The kinds of management objects a session can own (``FWPM_*`` object types)."""

    PROVIDER = "provider"
    SUBLAYER = "sublayer"
    CALLOUT = "callout"
    FILTER = "filter"

    def __str__(self) -> str:
        return self.value


class _Missing:
    """Marks "no entry" in the undo log (an entry that was added is removed on undo)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()

#: The tables a journaled write can touch (attribute names of :class:`Store`).
_TABLES = ("providers", "sublayers", "callouts", "owners", "sublayer_seq", "versions", "contexts")


class Store:
    """Everything BFE stores, who owns the dynamic objects, and the filters' kernel contexts.

    Read the tables freely; change them only through the methods, which keep the journal.
    """

    def __init__(self) -> None:
        self.providers: dict[uuid.UUID, Provider] = {}
        self.sublayers: dict[uuid.UUID, Sublayer] = {}
        self.callouts: dict[uuid.UUID, Callout] = {}
        self.filters: dict[int, Filter] = {}
        self.filter_keys: dict[uuid.UUID, int] = {}
        #: (kind, key) -> key of the dynamic session that added the object
        self.owners: dict[tuple[ObjectKind, uuid.UUID], uuid.UUID] = {}
        #: creation order of sublayers (the tie-break for equal sublayer weights)
        self.sublayer_seq: dict[uuid.UUID, int] = {}
        #: layer id -> filter adds/deletes committed there (drives reauthorization)
        self.versions: dict[int, int] = {}
        #: filter id -> ``FWPS_FILTER.context`` a notifyFn set (rolled back with the filter)
        self.contexts: dict[int, int] = {}
        self.next_filter_id = 1
        self.next_seq = 0
        #: how many keys BFE has generated (objects added without a key)
        self.next_key = 1
        self._by_layer: dict[int, dict[int, Filter]] = {}
        self._by_sublayer: dict[uuid.UUID, int] = {}
        self._generations: dict[int, int] = {}
        self._sublayer_generation = next(_CLOCK)
        #: undo entries, oldest first: ``(method name, *arguments)`` (one flat tuple each: a
        #: transaction adding 100,000 filters keeps 100,000 of them)
        self._journal: list[tuple[Any, ...]] = []
        self._view: Store | None = None
        self._names: (
            tuple[int, dict[str, tuple[int, Sublayer]], dict[str, tuple[int, Sublayer]]] | None
        ) = None

    @classmethod
    def with_builtins(cls) -> Store:
        """A fresh BFE: the built-in sublayers with their measured weights."""
        store = cls()
        for info in builtin_sublayers():
            store.add_sublayer(
                Sublayer(name=info.name, weight=info.weight or 0, key=info.guid, builtin=True)
            )
        store.settle()
        return store

    # the seam a classification index reads ---------------------------------------------
    def filters_on(self, layer_id: int) -> list[Filter]:
        """The filters stored at one layer (by run-time layer id), oldest first."""
        return list(self._by_layer.get(layer_id, {}).values())

    def generation(self, layer_id: int) -> int:
        """A number that changes whenever the filters at ``layer_id`` or their order may have.

        Bumped by every add, delete or undo of a filter at the layer and by every sublayer
        change (sublayer weights order all layers). Numbers come from one process-wide clock,
        so equal generations mean equal contents: cache a layer's index under it.
        """
        return max(self._generations.get(layer_id, 0), self._sublayer_generation)

    def context(self, filter_id: int) -> int | None:
        """The ``FWPS_FILTER.context`` a notifyFn set for a filter, if any."""
        return self.contexts.get(filter_id)

    def version(self, la: Layer) -> int:
        """How many filter adds/deletes have been made at a layer."""
        return self.versions.get(layer_key(la), 0)

    def holds_filters(self, sublayer: uuid.UUID) -> int:
        """How many filters a sublayer holds."""
        return self._by_sublayer.get(sublayer, 0)

    # changes (each writes its inverse to the journal) ----------------------------------
    def put(self, table: str, key: Any, value: Any) -> None:
        """Set ``table[key]`` (``table`` is one of the plain tables)."""
        rows = self._table(table)
        self._journal.append(("_restore", table, key, rows.get(key, MISSING)))
        rows[key] = value
        if table == "sublayers":
            self._sublayer_generation = next(_CLOCK)

    def drop(self, table: str, key: Any) -> None:
        """Remove ``table[key]`` if present."""
        rows = self._table(table)
        if key in rows:
            self._journal.append(("_restore", table, key, rows.pop(key)))
            if table == "sublayers":
                self._sublayer_generation = next(_CLOCK)

    def add_sublayer(self, sub: Sublayer) -> None:
        """Store a sublayer and remember its creation order."""
        self.put("sublayers", sub.key, sub)
        self.put("sublayer_seq", sub.key, self.next_seq)
        self._set_counter("next_seq", self.next_seq + 1)

    def count_key(self) -> None:
        """One more generated key (undone with the call that asked for it)."""
        self._set_counter("next_key", self.next_key + 1)

    def add_filter(self, flt: Filter) -> None:
        """Store an admitted filter (id, key and sublayer key assigned).

        One undo entry takes back all of it: the filter, the next id and the layer's version.
        """
        la = layer_key(flt.layer)
        versions = self.versions
        self._journal.append(("_unadd", flt, self.next_filter_id, versions.get(la, MISSING)))
        self._link(flt)
        self.next_filter_id = max(self.next_filter_id, flt.filter_id) + 1
        versions[la] = versions.get(la, 0) + 1

    def delete_filter(self, flt: Filter) -> None:
        """Remove a stored filter and its kernel context."""
        self._unlink(flt)
        self._journal.append(("_link", flt))
        self.drop("contexts", flt.filter_id)
        self.put("versions", layer_key(flt.layer), self.versions.get(layer_key(flt.layer), 0) + 1)

    # the journal --------------------------------------------------------------------------
    @property
    def mark(self) -> int:
        """The journal's length: a point :meth:`rollback` can return to."""
        return len(self._journal)

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Run a change that happens completely or not at all (a refused call leaves no trace)."""
        mark = self.mark
        try:
            yield
        except BaseException:
            self.rollback(mark)
            raise

    def rollback(self, mark: int = 0) -> None:
        """Undo every change made since ``mark``, newest first."""
        journal = self._journal
        while len(journal) > mark:
            entry = journal.pop()
            getattr(self, entry[0])(*entry[1:])
        if mark == 0:
            self._view = None

    def settle(self) -> None:
        """Make every change so far committed: the journal starts again, empty."""
        self._journal.clear()
        self._view = None

    def committed(self) -> Store:
        """The store without the changes since the last :meth:`settle` (what is committed).

        No copy while nothing is pending; otherwise one copy per transaction, made when first
        asked for (the committed state cannot change while a transaction holds the lock).
        """
        if not self._journal:
            return self
        if self._view is None:
            view = Store()
            for name in _TABLES:
                setattr(view, name, dict(self._table(name)))
            view.filters = dict(self.filters)
            view.filter_keys = dict(self.filter_keys)
            view.next_filter_id, view.next_seq = self.next_filter_id, self.next_seq
            view.next_key = self.next_key
            view._by_layer = {la: dict(rows) for la, rows in self._by_layer.items()}
            view._by_sublayer = dict(self._by_sublayer)
            view._generations = dict(self._generations)
            view._journal = list(self._journal)
            view.rollback()
            self._view = view
        return self._view

    def _table(self, name: str) -> dict[Any, Any]:
        if name not in _TABLES:
            raise InvalidParameterError(
                f"{name!r} is not a journaled table; one of {', '.join(_TABLES)}"
            )
        rows: dict[Any, Any] = getattr(self, name)
        return rows

    def _restore(self, table: str, key: Any, old: Any) -> None:
        rows = self._table(table)
        if old is MISSING:
            rows.pop(key, None)
        else:
            rows[key] = old
        if table == "sublayers":
            self._sublayer_generation = next(_CLOCK)

    def _set_counter(self, name: str, value: int) -> None:
        self._journal.append(("_restore_counter", name, getattr(self, name)))
        setattr(self, name, value)

    def _unadd(self, flt: Filter, next_filter_id: int, version: int | _Missing) -> None:
        """Undo :meth:`add_filter`."""
        self._unlink(flt)
        self.next_filter_id = next_filter_id
        self._restore("versions", layer_key(flt.layer), version)

    def _restore_counter(self, name: str, value: int) -> None:
        setattr(self, name, value)

    def _link(self, flt: Filter) -> None:
        """Put a filter in the tables (no journal entry: the caller writes the undo)."""
        self.filters[flt.filter_id] = flt
        self.filter_keys[flt.key] = flt.filter_id
        self._by_layer.setdefault(layer_key(flt.layer), {})[flt.filter_id] = flt
        if flt.sublayer is not None:
            self._by_sublayer[flt.sublayer] = self._by_sublayer.get(flt.sublayer, 0) + 1
        self._generations[layer_key(flt.layer)] = next(_CLOCK)

    def _unlink(self, flt: Filter) -> None:
        del self.filters[flt.filter_id]
        del self.filter_keys[flt.key]
        del self._by_layer[layer_key(flt.layer)][flt.filter_id]
        if flt.sublayer is not None:
            self._by_sublayer[flt.sublayer] -= 1
        self._generations[layer_key(flt.layer)] = next(_CLOCK)

    # lookups --------------------------------------------------------------------------
    def find_filter(self, ref: int | uuid.UUID | str) -> Filter:
        """A filter by id, key or display name."""
        if isinstance(ref, int) and not isinstance(ref, bool):
            if ref in self.filters:
                return self.filters[ref]
        elif isinstance(ref, (str, uuid.UUID)):
            guid = parse_guid(ref)
            if guid is not None and guid in self.filter_keys:
                return self.filters[self.filter_keys[guid]]
            named = [f for f in self.filters.values() if f.name == ref]
            if len(named) == 1:
                return named[0]
        raise FilterNotFoundError(f"no filter {ref!r}; give a filter id, key or unique name")

    def find_sublayer(self, ref: uuid.UUID | str) -> Sublayer:
        """A sublayer by key, name, or built-in name with or without ``FWPM_SUBLAYER_``.

        A name finds the first sublayer (in the table's order) that has that name or is the
        built-in one it names without the prefix (:meth:`_sublayer_names`, cached until the
        sublayers change).
        """
        guid = parse_guid(ref) if isinstance(ref, (str, uuid.UUID)) else None
        if guid is not None:
            if guid in self.sublayers:
                return self.sublayers[guid]
        elif isinstance(ref, str):
            by_name, builtin_names = self._sublayer_names()
            named = by_name.get(ref)
            builtin = builtin_names.get("FWPM_SUBLAYER_" + ref.upper())
            if named is not None and (builtin is None or named[0] < builtin[0]):
                return named[1]
            if builtin is not None:
                return builtin[1]
            if ref.upper() in ("EDGE_TRAVERSAL", "FWPM_SUBLAYER_EDGE_TRAVERSAL"):
                return self.find_sublayer("FWPM_SUBLAYER_TEREDO")
        names = ", ".join(sorted(s.name for s in self.sublayers.values() if not s.builtin))
        raise SublayerNotFoundError(
            f"no sublayer {ref!r}; give a key, a built-in name like FWPM_SUBLAYER_UNIVERSAL"
            f" or an added sublayer's name ({names or 'none added yet'})"
        )

    def _sublayer_names(
        self,
    ) -> tuple[dict[str, tuple[int, Sublayer]], dict[str, tuple[int, Sublayer]]]:
        """Sublayers by name and built-in ones by name, each with its place in the table."""
        cached = self._names
        if cached is not None and cached[0] == self._sublayer_generation:
            return cached[1], cached[2]
        names: dict[str, tuple[int, Sublayer]] = {}
        builtins: dict[str, tuple[int, Sublayer]] = {}
        for at, sub in enumerate(self.sublayers.values()):
            names.setdefault(sub.name, (at, sub))
            if sub.builtin:
                builtins.setdefault(sub.name, (at, sub))
        self._names = (self._sublayer_generation, names, builtins)
        return names, builtins

    def find_callout(self, ref: uuid.UUID | str | int) -> Callout:
        """A callout by key, name or callout id."""
        if isinstance(ref, (str, uuid.UUID)):
            guid = parse_guid(ref)
            if guid is not None and guid in self.callouts:
                return self.callouts[guid]
        for c in self.callouts.values():
            if (isinstance(ref, int) and c.callout_id == ref) or c.name == ref:
                return c
        names = ", ".join(sorted(c.name for c in self.callouts.values()))
        raise CalloutNotFoundError(
            f"no callout {ref!r}; add it first (FwpmCalloutAdd0). Callouts: {names or 'none'}"
        )

    def find_provider(self, ref: uuid.UUID | str) -> Provider:
        """A provider by key or name."""
        if isinstance(ref, (str, uuid.UUID)):
            guid = parse_guid(ref)
            if guid is not None and guid in self.providers:
                return self.providers[guid]
            for p in self.providers.values():
                if p.name == ref:
                    return p
        raise ProviderNotFoundError(f"no provider {ref!r}; add it first (FwpmProviderAdd0)")

    # ordering -------------------------------------------------------------------------
    def sublayer_order(self) -> list[Sublayer]:
        """All sublayers, highest weight first.

        Microsoft does not say how equal sublayer weights are ordered. **Our choice**: the one
        created first comes first (built-in sublayers were created before any added one).
        """
        return sorted(self.sublayers.values(), key=lambda s: (-s.weight, self.sublayer_seq[s.key]))

    def layer_filters(self, la: Layer) -> list[Filter]:
        """A layer's filters by effective weight, high to low (``FWP_FILTER_ENUM_FLAG_SORTED``).

        Microsoft does not say how equal weights are ordered. **Our choice**: lower filter id
        (the older filter) first.
        """
        return sort_filters(self.filters_on(layer_key(la)))

    def evaluation_order(self, la: Layer) -> list[tuple[Sublayer, list[Filter]]]:
        """The sublayers holding filters at ``la``, in arbitration order, with their filters."""
        by_sub: dict[uuid.UUID | None, list[Filter]] = {}
        for flt in self.layer_filters(la):
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
