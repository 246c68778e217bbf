"""Proxies: one process's stand-ins for the other's objects (see :mod:`wfpsim.exercise.bridge`).

A :class:`Proxy` forwards attribute reads, attribute writes and calls to the process that owns
the object; :class:`JudgeProxy` (a judge's object in the student's process) forwards the usual
operators too (``len``, ``==``, ``with``, iteration). A proxy answers ``isinstance`` for the
wfpsim class of the object it stands for. The judge's proxies of the student's objects forward
nothing else: the student's object never decides a comparison, a hash or a truth value in the
judge.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wfpsim.exercise.bridge import Channel


class Proxy:
    """The other side's object: attribute reads and writes and calls go to its owner."""

    __slots__ = ("__weakref__", "_ch", "_cls", "_h")

    def __init__(self, channel: Channel, handle: int, cls: type | None) -> None:
        object.__setattr__(self, "_ch", channel)
        object.__setattr__(self, "_h", handle)
        object.__setattr__(self, "_cls", cls)

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # isinstance() answers for the wfpsim class it stands for
        return self._cls or type(self)

    def __getattr__(self, name: str) -> Any:
        methods = self._ch.methods.get(self._cls) if self._cls is not None else None
        if methods is not None and name in methods:
            return _Method(self, name)
        return self._ch.request({"q": "getattr", "h": self._h, "n": name})

    def __setattr__(self, name: str, value: Any) -> None:
        self._ch.request({"q": "setattr", "h": self._h, "n": name, "v": value}, encode=("v",))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._ch.request({"q": "call", "h": self._h, "a": args, "k": kwargs}, ("a", "k"))

    def __repr__(self) -> str:
        cls = self._cls.__name__ if self._cls is not None else "object"
        return f"<{cls} of the other process>"


class JudgeProxy(Proxy):
    """A judge's object in the student's process: the usual operators go to the judge too."""

    __slots__ = ()

    def _op(self, op: str, *args: Any) -> Any:
        """One operator, served by the judge."""
        return self._ch.request({"q": "op", "h": self._h, "n": op, "a": args}, ("a",))

    def __len__(self) -> int:
        return int(self._op("len"))

    def __bool__(self) -> bool:
        return bool(self._op("bool"))

    def __str__(self) -> str:
        return str(self._op("str"))

    def __repr__(self) -> str:
        return str(self._op("repr"))

    def __int__(self) -> int:
        return int(self._op("int"))

    def __float__(self) -> float:
        return float(self._op("float"))

    def __index__(self) -> int:
        return int(self._op("index"))

    def __hash__(self) -> int:
        return int(self._op("hash"))

    def __iter__(self) -> Any:
        return iter(self._op("iter"))

    def __getitem__(self, key: Any) -> Any:
        return self._op("getitem", key)

    def __contains__(self, key: Any) -> bool:
        return bool(self._op("contains", key))

    def __eq__(self, other: object) -> bool:
        return bool(self._op("eq", other))

    def __ne__(self, other: object) -> bool:
        return bool(self._op("ne", other))

    def __lt__(self, other: object) -> bool:
        return bool(self._op("lt", other))

    def __le__(self, other: object) -> bool:
        return bool(self._op("le", other))

    def __gt__(self, other: object) -> bool:
        return bool(self._op("gt", other))

    def __ge__(self, other: object) -> bool:
        return bool(self._op("ge", other))

    def __enter__(self) -> Any:
        return self._op("enter")

    def __exit__(self, *exc: object) -> Any:
        return self._op("exit", None, None, None)


class _Method:
    """A method of the other side's object: one request per call."""

    __slots__ = ("_name", "_of")

    def __init__(self, of: Proxy, name: str) -> None:
        self._of, self._name = of, name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        of = self._of
        message = {"q": "method", "h": of._h, "n": self._name, "a": args, "k": kwargs}
        return of._ch.request(message, ("a", "k"))

    def __repr__(self) -> str:
        return f"<method {self._name} of {self._of!r}>"
