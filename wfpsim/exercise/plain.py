"""Plain values across processes: a student's answers as tagged JSON, and back.

Only ``None``, booleans, numbers, strings, lists, tuples, sets and dicts of those travel; anything
else arrives as an :class:`Unplain` that names its type, so a check fails on it with its usual
message instead of running the student's object in the judging process.

>>> from_plain(to_plain({"a": ("PERMIT", None), "b": {1, 2}}))
{'a': ('PERMIT', None), 'b': {1, 2}}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: The most items (all containers together) one answer may hold.
MAX_ITEMS = 100_000


@dataclass(frozen=True, slots=True)
class Unplain:
    """Stands for a value that is not plain data (its type's name)."""

    type_name: str

    def __repr__(self) -> str:
        return f"<a {self.type_name} object>"


def to_plain(value: Any, _budget: list[int] | None = None) -> Any:
    """``value`` as JSON-ready data with tags for tuples, sets and dicts."""
    budget = _budget if _budget is not None else [MAX_ITEMS]
    budget[0] -= 1
    if budget[0] < 0:
        return {"unplain": "value too large"}
    if value is None or type(value) in (bool, int, float, str):
        return value
    if type(value) in (list, tuple, set, frozenset):
        tag = "list" if type(value) is list else "tuple" if type(value) is tuple else "set"
        items = sorted(value, key=repr) if tag == "set" else list(value)
        return {tag: [to_plain(v, budget) for v in items]}
    if type(value) is dict:
        return {"dict": [[to_plain(k, budget), to_plain(v, budget)] for k, v in value.items()]}
    return {"unplain": type(value).__name__}


def from_plain(data: Any) -> Any:
    """The value :func:`to_plain` described (:class:`Unplain` for what it could not carry)."""
    if not isinstance(data, dict):
        return data
    (tag, body), *_ = data.items()
    if tag == "list":
        return [from_plain(v) for v in body]
    if tag == "tuple":
        return tuple(from_plain(v) for v in body)
    if tag == "set":
        items = [from_plain(v) for v in body]
        return {v for v in items if _hashable(v)}
    if tag == "dict":
        pairs = [(from_plain(k), from_plain(v)) for k, v in body]
        return {k: v for k, v in pairs if _hashable(k)}
    return Unplain(str(body))


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True
