"""Which traffic a filter's conditions match, as sets: does one filter cover another's traffic?

A filter matches the AND over its fields of the OR over that field's conditions
(:func:`wfpsim.conditions.filter_matches`). To say "filter G matches every packet filter F
matches" without trying packets, each field's OR-group is turned into the set of incoming values
it accepts. The sets are exact for the match types whose accepted values form intervals or
finite sets — EQUAL, NOT_EQUAL, GREATER/LESS (and OR_EQUAL), RANGE on integers and IPv6
addresses, address/mask and prefix conditions, EQUAL on strings and byte blobs — and unknown
("possibly") for the rest (FLAGS_*, PREFIX on app ids, case-insensitive strings, security
descriptors), where the answer is :attr:`Coverage.POSSIBLY` rather than a false claim. Two
identical OR-groups cover each other whatever their match types.

>>> from wfpsim.catalog import layer
>>> from wfpsim.conditions import Condition, resolve
>>> at = layer("ALE_AUTH_CONNECT_V4")
>>> web = [resolve(at, Condition("IP_REMOTE_PORT", "RANGE", (1, 1023)))]
>>> http = [resolve(at, Condition("IP_REMOTE_PORT", "EQUAL", 80)),
...         resolve(at, Condition("IP_PROTOCOL", "EQUAL", 6))]
>>> covers(web, http), covers(http, web)
(<Coverage.YES: 'yes'>, <Coverage.NO: 'no'>)
>>> may_overlap(http, [resolve(at, Condition("IP_REMOTE_PORT", "EQUAL", 443))])
False
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from wfpsim.conditions import FLAG_MATCHES, Condition, MatchType, group_by_field, matches
from wfpsim.values import INTEGER_BITS, DataType, Range, V4AddrMask, V6AddrMask, Value

__all__ = ["Coverage", "ValueSet", "covers", "matched_values", "may_overlap"]


class Coverage(enum.Enum):
    """The answer to "does A match all the traffic B matches?"."""

    YES = "yes"
    NO = "no"
    POSSIBLY = "possibly"

    def __and__(self, other: Coverage) -> Coverage:
        if Coverage.NO in (self, other):
            return Coverage.NO
        if Coverage.POSSIBLY in (self, other):
            return Coverage.POSSIBLY
        return Coverage.YES


Interval = tuple[int, int]

#: The domain key of a 128-bit address (``FWP_BYTE_ARRAY16_TYPE``), compared as an integer.
A16 = DataType.BYTE_ARRAY16_TYPE


def _domain(data_type: DataType) -> Interval:
    if data_type == A16:
        return (0, (1 << 128) - 1)
    bits, signed = INTEGER_BITS[data_type]
    if signed:
        return (-(1 << (bits - 1)), (1 << (bits - 1)) - 1)
    return (0, (1 << bits) - 1)


def _merge(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    out: list[list[int]] = []
    for lo, hi in sorted(i for i in intervals if i[0] <= i[1]):
        if out and lo <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return tuple((lo, hi) for lo, hi in out)


def _complement(intervals: Sequence[Interval], domain: Interval) -> tuple[Interval, ...]:
    gaps: list[Interval] = []
    start = domain[0]
    for lo, hi in _merge(intervals):
        if lo > start:
            gaps.append((start, lo - 1))
        start = max(start, hi + 1)
    if start <= domain[1]:
        gaps.append((start, domain[1]))
    return tuple(gaps)


def _within(inner: Sequence[Interval], outer: Sequence[Interval]) -> bool:
    return all(any(olo <= lo and hi <= ohi for olo, ohi in outer) for lo, hi in inner)


def _disjoint(a: Sequence[Interval], b: Sequence[Interval]) -> bool:
    return all(ahi < blo or bhi < alo for alo, ahi in a for blo, bhi in b)


@dataclass(frozen=True, slots=True)
class ValueSet:
    """The incoming values an OR-group accepts: integer intervals per type, finite sets, empty.

    ``intervals`` maps an integer type (or :data:`A16` for IPv6 addresses) to merged closed
    intervals; ``exact`` maps a string/blob type to the finite set of accepted values;
    ``empty`` says whether ``FWP_EMPTY`` is accepted.
    """

    intervals: tuple[tuple[DataType, tuple[Interval, ...]], ...] = ()
    exact: tuple[tuple[DataType, frozenset[object]], ...] = ()
    empty: bool = False

    def union(self, other: ValueSet) -> ValueSet:
        """Values either set accepts."""
        ints: dict[DataType, list[Interval]] = {}
        for t, ivs in self.intervals + other.intervals:
            ints.setdefault(t, []).extend(ivs)
        exact: dict[DataType, set[object]] = {}
        for t, vals in self.exact + other.exact:
            exact.setdefault(t, set()).update(vals)
        return ValueSet(
            tuple(sorted(((t, _merge(v)) for t, v in ints.items()), key=lambda p: p[0])),
            tuple(sorted(((t, frozenset(v)) for t, v in exact.items()), key=lambda p: p[0])),
            self.empty or other.empty,
        )

    def within(self, other: ValueSet) -> bool:
        """Is every value of this set accepted by ``other``?"""
        if self.empty and not other.empty:
            return False
        theirs = dict(other.intervals)
        if not all(_within(ivs, theirs.get(t, ())) for t, ivs in self.intervals if ivs):
            return False
        their_exact = dict(other.exact)
        return all(vals <= their_exact.get(t, frozenset()) for t, vals in self.exact)

    def disjoint(self, other: ValueSet) -> bool:
        """Do the two sets share no value?"""
        if self.empty and other.empty:
            return False
        theirs = dict(other.intervals)
        if not all(_disjoint(ivs, theirs.get(t, ())) for t, ivs in self.intervals):
            return False
        their_exact = dict(other.exact)
        return all(not (vals & their_exact.get(t, frozenset())) for t, vals in self.exact)

    def is_full(self, data_type: DataType) -> bool:
        """Does the set accept every non-empty value of an integer/address field type?"""
        if data_type not in INTEGER_BITS and data_type != A16:
            return False
        return _within((_domain(data_type),), dict(self.intervals).get(data_type, ()))


def _ints(data_type: DataType, intervals: Iterable[Interval]) -> ValueSet:
    return ValueSet(((data_type, _merge(intervals)),))


def _number(value: Value) -> int | None:
    data = value.data
    if value.type == A16 and isinstance(data, bytes) and len(data) == 16:
        return int.from_bytes(data, "big")
    if value.type in INTEGER_BITS and isinstance(data, int) and not isinstance(data, bool):
        return data
    return None


def _network(data: V4AddrMask | V6AddrMask) -> tuple[DataType, Interval] | None:
    """An address/mask as an interval; None for a mask that is not contiguous."""
    if isinstance(data, V4AddrMask):
        mask = data.mask & 0xFFFFFFFF
        host = ~mask & 0xFFFFFFFF
        if host & (host + 1):  # the host part is not a run of low bits
            return None
        net = data.addr & mask
        return DataType.UINT32, (net, net | host)
    shift = 128 - data.prefix_length
    net = (int.from_bytes(data.addr, "big") >> shift) << shift
    return A16, (net, net | ((1 << shift) - 1))


@functools.lru_cache(maxsize=65536)
def matched_values(cond: Condition) -> ValueSet | None:
    """The incoming values one resolved condition accepts; None when not exactly known."""
    match = cond.match_type
    value = cond.typed
    data = value.data
    if value.type == DataType.EMPTY:
        return ValueSet(empty=match == MatchType.EQUAL)
    if isinstance(data, (V4AddrMask, V6AddrMask)):
        net = _network(data)
        if net is None:
            return None
        kind, iv = net
        if match == MatchType.EQUAL:
            return _ints(kind, (iv,))
        if match == MatchType.NOT_EQUAL:
            return _ints(kind, _complement((iv,), _domain(kind)))
        return ValueSet()
    if isinstance(data, Range):
        low, high = _number(data.low), _number(data.high)
        if low is None or high is None:
            return None
        return _ints(data.low.type, ((low, high),))
    number = _number(value)
    if number is not None:
        return _ordered(value.type, match, number)
    if value.type in (DataType.SECURITY_DESCRIPTOR_TYPE,):
        return None
    if match == MatchType.EQUAL and isinstance(data, (str, bytes)):
        return ValueSet(exact=((value.type, frozenset({data})),))
    return None


def _ordered(data_type: DataType, match: MatchType, n: int) -> ValueSet | None:
    lo, hi = _domain(data_type)
    table: dict[MatchType, tuple[Interval, ...]] = {
        MatchType.EQUAL: ((n, n),),
        MatchType.NOT_EQUAL: ((lo, n - 1), (n + 1, hi)),
        MatchType.GREATER: ((n + 1, hi),),
        MatchType.LESS: ((lo, n - 1),),
        MatchType.GREATER_OR_EQUAL: ((n, hi),),
        MatchType.LESS_OR_EQUAL: ((lo, n),),
    }
    if match not in table:
        return None  # FLAGS_* and the rest: not an interval
    return _ints(data_type, table[match])


def _group_values(group: Sequence[Condition]) -> ValueSet | None:
    if len(group) == 1:
        return matched_values(group[0])
    total = ValueSet()
    for cond in group:
        part = matched_values(cond)
        if part is None:
            return None
        total = total.union(part)
    return total


def _same(a: Condition, b: Condition) -> bool:
    return a.field == b.field and a.match_type == b.match_type and a.value == b.value


def _field_type(group: Sequence[Condition]) -> DataType | None:
    value = group[0].typed
    if isinstance(value.data, V4AddrMask):
        return DataType.UINT32
    if isinstance(value.data, V6AddrMask):
        return A16
    if isinstance(value.data, Range):
        return value.data.low.type
    return value.type


def _flag_bits(group: Sequence[Condition]) -> int | None:
    """The bits a group of FLAGS_* conditions looks at; None if it is not such a group."""
    bits = 0
    for cond in group:
        data = cond.typed.data
        if cond.match_type not in FLAG_MATCHES or not isinstance(data, int):
            return None
        bits |= data
    return bits


def _flag_table(group: Sequence[Condition], bits: int) -> frozenset[int]:
    """The settings of ``bits`` (other bits never matter) that some condition accepts."""
    positions = [1 << i for i in range(bits.bit_length()) if bits >> i & 1]
    table: set[int] = set()
    for n in range(1 << len(positions)):
        setting = sum(p for i, p in enumerate(positions) if n >> i & 1)
        incoming = Value(group[0].typed.type, setting)
        if any(matches(c, incoming) for c in group):
            table.add(setting)
    return frozenset(table)


def _flag_tables(
    a: Sequence[Condition], b: Sequence[Condition]
) -> tuple[frozenset[int], frozenset[int]] | None:
    """Both groups' truth tables over the bits either tests, when both are small flag groups."""
    abits, bbits = _flag_bits(a), _flag_bits(b)
    if abits is None or bbits is None or a[0].typed.type != b[0].typed.type:
        return None
    bits = abits | bbits
    if bin(bits).count("1") > MAX_FLAG_BITS:
        return None
    return _flag_table(a, bits), _flag_table(b, bits)


#: Flag groups testing more bits than this are compared only when identical.
MAX_FLAG_BITS = 12


def _group_covers(general: Sequence[Condition], specific: Sequence[Condition]) -> Coverage:
    if all(any(_same(s, g) for g in general) for s in specific):
        return Coverage.YES
    tables = _flag_tables(general, specific)
    if tables is not None:
        wide_t, narrow_t = tables
        return Coverage.YES if narrow_t <= wide_t else Coverage.NO
    wide, narrow = _group_values(general), _group_values(specific)
    if wide is None or narrow is None:
        return Coverage.POSSIBLY
    return Coverage.YES if narrow.within(wide) else Coverage.NO


def covers(general: Sequence[Condition], specific: Sequence[Condition]) -> Coverage:
    """Does a filter with conditions ``general`` match all traffic ``specific`` matches?

    Both sides are resolved conditions (as stored in a filter). A field that ``general``
    tests and ``specific`` does not is covered only when ``general``'s group accepts every
    value of the field's type.
    """
    theirs = group_by_field(specific)
    answer = Coverage.YES
    for name, group in group_by_field(general).items():
        if name in theirs:
            answer = answer & _group_covers(group, theirs[name])
        else:
            # ``general`` tests a field ``specific`` leaves open: it covers only when its group
            # provably accepts every value of the field (an unknown group is taken not to, so
            # no finding is claimed through it).
            values = _group_values(group)
            kind = _field_type(group)
            if values is None or kind is None or not values.is_full(kind):
                return Coverage.NO
        if answer == Coverage.NO:
            return answer
    return answer


def may_overlap(a: Sequence[Condition], b: Sequence[Condition]) -> bool:
    """Could one packet match both condition lists? False only when provably not."""
    theirs = group_by_field(b)
    for name, group in group_by_field(a).items():
        if name not in theirs:
            continue
        tables = _flag_tables(group, theirs[name])
        if tables is not None and not (tables[0] & tables[1]):
            return False
        mine, other = _group_values(group), _group_values(theirs[name])
        if mine is not None and other is not None and mine.disjoint(other):
            return False
    return True
