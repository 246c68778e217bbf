"""The channel between the judge and the student's process: values, references, calls.

The judge (:mod:`wfpsim.exercise.judge`) runs the checks and the engine; the student's process
(:mod:`wfpsim.exercise.host`) holds the student's module and nothing the verdict depends on. They
talk over a pair of pipes, one JSON line per message, strictly nested: a side that sent a request
reads until its reply comes, serving the other side's requests meanwhile (the judge calls a
classifyFn; the classifyFn calls ``FwpsFlowAssociateContext0``, which the judge serves; the judge
replies to that; the classifyFn returns).

What travels:

* **Values by copy**: ``None``, booleans, numbers, strings, bytes, lists, tuples, sets, dicts,
  UUIDs, IP addresses, wfpsim's enums and its *frozen* dataclasses (``Filter``, ``Condition``,
  ``Value``, ``IncomingValues``…; each object is sent whole once, then by a memo number). The
  receiver rebuilds them as its own objects: a subclass, a patched method or a forged ``__eq__``
  in the sender's process does not travel. A container changed by the receiver is the
  receiver's copy.
* **Everything else by reference**: an :class:`Engine`, a ``ClassifyOut``, a net buffer list, a
  function, the student's module. The other side gets a proxy whose attribute reads, attribute
  writes and calls go back to the owner. A proxy answers ``isinstance`` for wfpsim's class of
  the object it stands for.

The judge serves the student's process only what a driver may do: read public attributes of
the engine's objects, call their public methods, write the *fields* of wfpsim's mutable records
(``classify_out.action_type``, ``layer_data.remote_port``) with copied values, call the kernel
API (:data:`API_PREFIXES`: the functions of wfpsim spelled in upper case, as the C API is), enter
and leave ``engine.kernel_context()``. It never hands out a module, a class, a frame or anything
of ``wfpsim.exercise``, never lets a name starting with ``_`` be read, and never lets the
student's process replace a method: nothing the student's process sends can reach the checks.

An exception crosses as its class (builtins' and wfpsim's are rebuilt as themselves, others as a
same-named ``Exception``), its arguments and the student's frames (file, line, function), so
:func:`~wfpsim.exercise.checking.explain_exception` and the engine's fault records name the
student's line as they would in one process. A side that closes the pipe or writes something that
is not a message ends the conversation: :class:`ChannelClosed`, which no ``except Exception``
swallows.
"""

from __future__ import annotations

import base64
import dataclasses
import enum
import ipaddress
import json
import os
import types
import uuid
from collections.abc import Callable
from pathlib import PurePath
from typing import Any

from wfpsim.exercise.crossing import (
    OPERATIONS,
    ChannelClosed,
    Policy,
    class_name,
    describe_error,
    method_names,
    rebuild_error,
    resolve_class,
    wfpsim_import,
    wfpsim_module,
)
from wfpsim.exercise.plain import Unplain
from wfpsim.exercise.proxies import JudgeProxy, Proxy

__all__ = [
    "Channel",
    "ChannelClosed",
    "Policy",
    "Proxy",
    "class_name",
    "resolve_class",
    "wfpsim_import",
    "wfpsim_module",
]

#: The most bytes one message may have (a larger one breaks the channel).
MAX_MESSAGE = 64 * 1024 * 1024
#: The most items (all containers together) one value may hold.
MAX_ITEMS = 200_000
#: The deepest nesting of calls between the two sides.
MAX_DEPTH = 200

_TAGS: dict[type, str] = {list: "list", tuple: "tuple", set: "set", frozenset: "fset"}
_IP_TYPES = (
    ipaddress.IPv4Address,
    ipaddress.IPv6Address,
    ipaddress.IPv4Network,
    ipaddress.IPv6Network,
    ipaddress.IPv4Interface,
    ipaddress.IPv6Interface,
)


def _frozen_value(value: Any) -> bool:
    cls = type(value)
    params = getattr(cls, "__dataclass_params__", None)
    return bool(params is not None and params.frozen and wfpsim_module(cls.__module__))


class Channel:
    """One end of the conversation (module docstring): encodes, sends, serves, decodes."""

    def __init__(self, read_fd: int, write_fd: int, side: str, policy: Policy) -> None:
        self.side, self.other = side, ("h" if side == "j" else "j")
        self.policy = policy
        self._reader = os.fdopen(read_fd, "rb", buffering=1 << 16)
        self._write_fd = write_fd
        self._objects: dict[int, Any] = {}
        self._handles: dict[int, int] = {}
        self._proxies: dict[int, Proxy] = {}
        self._memo_sent: dict[int, int] = {}
        self._memo_keep: list[Any] = []
        self._memo_got: dict[int, Any] = {}
        self._classes_sent: set[type] = set()
        self.methods: dict[type, frozenset[str]] = {}
        self._depth = 0
        self.closed = ""
        self.proxy_class = JudgeProxy if side == "h" else Proxy

    # -- messages ---------------------------------------------------------------------------
    def _send(self, message: dict[str, Any]) -> None:
        data = (json.dumps(message, separators=(",", ":")) + "\n").encode()
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(self._write_fd, view) :]
        except OSError as err:
            self._close(f"the other process closed the channel ({err.strerror})")

    def _receive(self) -> dict[str, Any]:
        if self.closed:
            raise ChannelClosed(self.closed)
        try:
            line = self._reader.readline(MAX_MESSAGE + 1)
        except (OSError, ValueError) as err:
            self._close(f"the channel failed: {err}")
        if not line:
            self._close("the other process closed the channel")
        if len(line) > MAX_MESSAGE or not line.endswith(b"\n"):
            self._close("the other process sent a message that is too long")
        try:
            message = json.loads(line)
        except ValueError:
            self._close("the other process wrote something that is not a message into the channel")
        if not isinstance(message, dict):
            self._close("the other process wrote something that is not a message into the channel")
        return dict(message)

    def _close(self, why: str) -> Any:
        self.closed = self.closed or why
        raise ChannelClosed(self.closed)

    def request(self, message: dict[str, Any], encode: tuple[str, ...] = ()) -> Any:
        """Send a request (encoding the fields ``encode``) and serve the other side until the
        reply comes; return it decoded (or raise the error it carries)."""
        if self.closed:
            raise ChannelClosed(self.closed)
        if self._depth >= MAX_DEPTH:
            raise RecursionError("calls between the judge and your file nest too deep")
        kept = len(self._memo_keep)
        try:
            for key in encode:
                message[key] = self.encode(message[key])
        except BaseException:
            self._forget(kept)
            raise
        self._send(message)
        self._depth += 1
        try:
            while True:
                incoming = self._receive()
                if "r" in incoming:
                    return self.decode(incoming["r"])
                if "e" in incoming:
                    raise rebuild_error(incoming["e"], self.decode)
                if "q" in incoming:
                    self.serve_one(incoming)
                else:
                    self._close("the other process broke the channel's protocol")
        finally:
            self._depth -= 1

    def serve_one(self, message: dict[str, Any]) -> None:
        """Answer one request of the other side (its errors go back as errors)."""
        kept = len(self._memo_keep)
        try:
            reply: dict[str, Any] = {"r": self.encode(self._handle(message))}
        except ChannelClosed:
            raise
        except BaseException as err:  # the other side's mistake, or the student's code's
            self._forget(kept)
            reply = {"e": describe_error(err, self.encode)}
        self._send(reply)

    def serve_forever(self) -> None:
        """Serve requests until the other side closes the channel."""
        while True:
            message = self._receive()
            if "q" not in message:
                self._close("the other process broke the channel's protocol")
            self.serve_one(message)

    def owns(self, value: Any) -> bool:
        """``value`` is one of this process's objects the other side holds a proxy of."""
        handle = self._handles.get(id(value))
        return handle is not None and self._objects.get(handle) is value

    def _own(self, handle: Any) -> Any:
        if not isinstance(handle, int) or handle not in self._objects:
            raise ValueError(f"no object {handle!r} in this process")
        return self._objects[handle]

    def _handle(self, message: dict[str, Any]) -> Any:
        op = message.get("q")
        policy = self.policy
        if op == "getattr":
            obj, name = self._own(message.get("h")), str(message.get("n"))
            policy.check_get(obj, name)
            return getattr(obj, name)
        if op == "setattr":
            obj, name = self._own(message.get("h")), str(message.get("n"))
            value = self.decode(message.get("v"))
            policy.check_set(obj, name, value)
            setattr(obj, name, value)
            return None
        if op in ("call", "method"):
            target = self._own(message.get("h"))
            if op == "method":
                name = str(message.get("n"))
                policy.check_get(target, name)
                target = getattr(target, name)
            args, kwargs = self.decode(message.get("a")), self.decode(message.get("k"))
            if not isinstance(args, tuple) or not isinstance(kwargs, dict):
                raise TypeError("a call needs a tuple of arguments and a dict of keywords")
            return target(*args, **{str(k): v for k, v in kwargs.items()})
        if op == "op":
            obj, name = self._own(message.get("h")), str(message.get("n"))
            args = self.decode(message.get("a"))
            if name not in OPERATIONS or not isinstance(args, tuple):
                raise PermissionError(f"the operation {name!r} is not served")
            operation: Callable[..., Any] = OPERATIONS[name]
            return operation(obj, *args)
        if op == "api":
            args, kwargs = self.decode(message.get("a")), self.decode(message.get("k"))
            if not isinstance(args, tuple) or not isinstance(kwargs, dict):
                raise TypeError("a call needs a tuple of arguments and a dict of keywords")
            given = (*args, *kwargs.values())
            fn = policy.api(str(message.get("m")), str(message.get("n")), given, self)
            return fn(*args, **{str(k): v for k, v in kwargs.items()})
        return policy.extra(self, message)

    # -- values -----------------------------------------------------------------------------
    def _forget(self, kept: int) -> None:
        """Undo the memo entries of a message that was not sent."""
        while len(self._memo_keep) > kept:
            self._memo_sent.pop(id(self._memo_keep.pop()), None)

    def encode(self, value: Any, budget: list[int] | None = None) -> Any:
        """``value`` as JSON-ready data (module docstring: what is copied, what referenced)."""
        budget = budget if budget is not None else [MAX_ITEMS]
        budget[0] -= 1
        if budget[0] < 0:
            raise ValueError("a value with too many items to send between the processes")
        cls = type(value)
        if value is None or cls in (bool, int, float, str):
            return value
        if isinstance(value, Proxy) and object.__getattribute__(value, "_ch") is self:
            return {"t": "ref", "o": self.other, "h": object.__getattribute__(value, "_h")}
        if cls in (bytes, bytearray):
            return {"t": "bytes", "v": base64.b64encode(value).decode()}
        if cls in (list, tuple, set, frozenset):
            tag = _TAGS[cls]
            return {"t": tag, "v": [self.encode(v, budget) for v in value]}
        if cls in (dict, types.MappingProxyType):
            pairs = [[self.encode(k, budget), self.encode(v, budget)] for k, v in value.items()]
            return {"t": "dict", "v": pairs}
        if cls is uuid.UUID:
            return {"t": "uuid", "v": str(value)}
        if cls in _IP_TYPES:
            return {"t": "ip", "c": cls.__name__, "v": str(value)}
        if isinstance(value, PurePath):
            return {"t": "path", "v": str(value)}
        if isinstance(value, enum.Enum) and wfpsim_module(cls.__module__):
            return {"t": "enum", "c": class_name(cls), "v": self.encode(value.value, budget)}
        if _frozen_value(value):
            memo = self._memo_sent.get(id(value))
            if memo is not None:
                return {"t": "memo", "i": memo}
            fields = [
                [f.name, self.encode(getattr(value, f.name), budget)]
                for f in dataclasses.fields(value)
            ]
            number = len(self._memo_sent)
            self._memo_sent[id(value)] = number
            self._memo_keep.append(value)
            return {"t": "dc", "c": class_name(cls), "f": fields, "i": number}
        if not self.policy.may_export(value):
            return {"t": "opaque", "c": cls.__name__}
        handle = self._handles.get(id(value))
        if handle is None:
            handle = len(self._objects) + 1
            self._objects[handle] = value
            self._handles[id(value)] = handle
        ref: dict[str, Any] = {"t": "ref", "o": self.side, "h": handle}
        if wfpsim_module(cls.__module__):
            ref["c"] = class_name(cls)
            if cls not in self._classes_sent:
                self._classes_sent.add(cls)
                ref["m"] = method_names(cls)
        return ref

    def decode(self, data: Any) -> Any:
        """The value :meth:`encode` described, as this process's own objects or proxies."""
        if not isinstance(data, dict):
            if isinstance(data, list):
                raise ValueError("a list without its tag")
            return data
        tag = data.get("t")
        body: Any = data.get("v")
        if body is None and tag in ("list", "tuple", "set", "fset", "dict", "bytes"):
            raise ValueError(f"a {tag} without its items")
        if tag in ("list", "tuple", "set", "fset"):
            items = [self.decode(v) for v in body]
            if tag == "list":
                return items
            if tag == "tuple":
                return tuple(items)
            kept = [v for v in items if _hashable(v)]
            return set(kept) if tag == "set" else frozenset(kept)
        if tag == "dict":
            pairs = [(self.decode(k), self.decode(v)) for k, v in body]
            return {k: v for k, v in pairs if _hashable(k)}
        if tag == "bytes":
            return base64.b64decode(body)
        if tag == "uuid":
            return uuid.UUID(str(body))
        if tag == "ip":
            kinds = {c.__name__: c for c in _IP_TYPES}
            return kinds[str(data.get("c"))](str(body))
        if tag == "path":
            from pathlib import Path

            return Path(str(body))
        if tag == "enum":
            cls = resolve_class(str(data.get("c")))
            if cls is None or not issubclass(cls, enum.Enum):
                raise ValueError(f"no enum {data.get('c')!r} in wfpsim")
            return cls(self.decode(body))
        if tag == "memo":
            number = data.get("i")
            if number not in self._memo_got:
                raise ValueError(f"no value {number!r} was sent before")
            return self._memo_got[number]
        if tag == "dc":
            return self._rebuild(data)
        if tag == "ref":
            return self._reference(data)
        if tag == "opaque":
            return Unplain(str(data.get("c")))
        raise ValueError(f"an unknown kind of value {tag!r}")

    def _rebuild(self, data: dict[str, Any]) -> Any:
        cls = resolve_class(str(data.get("c")))
        params = getattr(cls, "__dataclass_params__", None)
        if cls is None or params is None or not params.frozen:
            raise ValueError(f"no frozen wfpsim value class {data.get('c')!r}")
        names = [f.name for f in dataclasses.fields(cls)]
        given = {str(k): v for k, v in data.get("f") or []}
        if sorted(given) != sorted(names):
            raise ValueError(f"a {cls.__name__} needs the fields {', '.join(names)}")
        obj: Any = object.__new__(cls)
        for name in names:
            object.__setattr__(obj, name, self.decode(given[name]))
        number = data.get("i")
        if isinstance(number, int):
            self._memo_got[number] = obj
        return obj

    def _reference(self, data: dict[str, Any]) -> Any:
        handle = data.get("h")
        if data.get("o") == self.side:
            return self._own(handle)
        if not isinstance(handle, int):
            raise ValueError(f"a reference without a number: {handle!r}")
        proxy = self._proxies.get(handle)
        if proxy is None:
            cls = resolve_class(str(data["c"])) if "c" in data else None
            if cls is not None and "m" in data and cls not in self.methods:
                self.methods[cls] = frozenset(str(n) for n in data["m"])
            proxy = self.proxy_class(self, handle, cls)
            self._proxies[handle] = proxy
        return proxy


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True
