"""The student's process: holds the student's module, answers the judge, decides nothing.

Started by :mod:`wfpsim.exercise.isolation` beside the judge (:mod:`wfpsim.exercise.judge`), in a
temporary copy of the exercise that holds the student's file (and neither ``solutions/`` nor
``hidden/``), under the limits and the audit hook of :mod:`wfpsim.exercise.child`. It serves the
judge's requests over a :class:`~wfpsim.exercise.bridge.Channel`: ``load`` (a fresh copy of the
student's module, for each check), reads, writes and calls on the student's objects, and
``audit``. The engine lives in the judge: every engine object the student's code touches is a
proxy, and the kernel API (every function of wfpsim spelled in upper case, as the C API is:
``FwpsFlowAssociateContext0``, ``DbgPrint``, ``FwpsInjectTransportSendAsync0``…) is replaced, in
this process, by a function that asks the judge to make the call there; so is any other public
function of wfpsim when the student's code hands it one of the judge's objects
(``start_proxy(engine, proxy)`` must run where the engine is).

``audit`` compares a fingerprint of the checker, the engine and the builtins with the one taken
before the student's file ran: a file that changed them is told so and scores 0. That is a rule
of the course, not the protection: nothing changed here reaches the judge's verdict.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import sys
import types
from pathlib import Path
from typing import Any

from wfpsim.exercise.bridge import Channel, ChannelClosed, Policy, wfpsim_module
from wfpsim.exercise.checking import load_module
from wfpsim.exercise.proxies import JudgeProxy

#: Modules holding the kernel API, imported before the student's file so their functions are
#: forwarded from the start (any other wfpsim module is handled when it is first imported).
API_MODULES = ("wfpsim", "wfpsim.kernel", "wfpsim.netbuffers", "wfpsim.injection")


def _is_api(name: str, value: object) -> bool:
    return (
        not name.startswith("_")
        and isinstance(value, types.FunctionType)
        and wfpsim_module(value.__module__)
        and not getattr(value, "__wfpsim_forwarded__", False)
    )


def _holds_judge_object(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """An argument (or an item of a list, tuple or dict argument) is one of the judge's."""
    for value in (*args, *kwargs.values()):
        items = value.values() if type(value) is dict else value
        if isinstance(value, JudgeProxy) or (
            type(value) in (list, tuple, dict) and any(isinstance(v, JudgeProxy) for v in items)
        ):
            return True
    return False


class Forwarder:
    """Sends the engine's functions to the judge: the kernel API (upper-case names) always, any
    other public wfpsim function when it is called with one of the judge's objects (it must run
    where the object lives: ``start_proxy(engine, ...)``), and runs the rest here."""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self._seen = 0
        self._stubs: dict[int, Any] = {}  # id(original) -> stub
        self._keep: list[Any] = []
        self._kernel: set[int] = set()  # ids of the functions known by an upper-case name
        self._names: dict[int, tuple[str, str]] = {}  # ... and that name, for the judge

    def _stub(self, module: str, name: str, original: Any) -> Any:
        stub = self._stubs.get(id(original))
        if stub is not None:
            return stub
        channel, kernel = self.channel, self._kernel
        module, name = self._names.get(id(original), (module, name))

        @functools.wraps(original)
        def forwarded(*args: Any, **kwargs: Any) -> Any:
            if id(original) not in kernel and not _holds_judge_object(args, kwargs):
                return original(*args, **kwargs)
            message = {"q": "api", "m": module, "n": name, "a": args, "k": kwargs}
            return channel.request(message, ("a", "k"))

        forwarded.__wfpsim_forwarded__ = True  # type: ignore[attr-defined]
        del forwarded.__wrapped__
        self._stubs[id(original)] = forwarded
        self._keep.append(original)  # its id stays unique while the stub exists
        return forwarded

    def patch_modules(self) -> None:
        """Forward the functions of every wfpsim module imported since the last time."""
        if len(sys.modules) == self._seen:
            return
        modules = [
            (n, m)
            for n, m in list(sys.modules.items())
            if wfpsim_module(n) and isinstance(m, types.ModuleType)
        ]
        for module_name, module in modules:  # the C API's names (an alias such as
            for name, value in list(vars(module).items()):  # FwpsFlowAssociateContext0 too)
                if _is_api(name, value) and name[:1].isupper():
                    self._kernel.add(id(value))
                    self._names.setdefault(id(value), (module_name, name))
        for module_name, module in modules:
            for name, value in list(vars(module).items()):
                if _is_api(name, value):
                    setattr(module, name, self._stub(module_name, name, value))
        self._seen = len(sys.modules)

    def patch_globals(self, module: types.ModuleType) -> None:
        """Forward the wfpsim functions the student's module imported by name."""
        self.patch_modules()
        for name, value in list(vars(module).items()):
            if isinstance(value, types.FunctionType) and id(value) in self._stubs:
                setattr(module, name, self._stubs[id(value)])


class HostPolicy(Policy):
    """The student's process serves the judge everything; it adds ``load`` and ``audit``."""

    side = "h"

    def __init__(self, path: Path, label: str, strict: list[bool]) -> None:
        self.path, self.label, self.strict = path, label, strict
        self.forwarder: Forwarder | None = None
        self.fingerprint: Any = None

    def extra(self, channel: Channel, message: dict[str, Any]) -> Any:
        """``load``: a fresh module of the student's file; ``audit``: what it changed."""
        op = message.get("q")
        if op == "load":
            assert self.forwarder is not None
            self.forwarder.patch_modules()
            module = load_module(self.path, self.label)
            self.forwarder.patch_globals(module)
            return module
        if op == "audit":
            return self.fingerprint.changed() if self.fingerprint is not None else ""
        return super().extra(channel, message)


class _Serving(Channel):
    """The student's end: before each request, forward the API of newly imported modules."""

    forwarder: Forwarder | None = None

    def serve_one(self, message: dict[str, Any]) -> None:
        if self.forwarder is not None:
            self.forwarder.patch_modules()
        super().serve_one(message)


def serve(request: dict[str, Any], strict: list[bool]) -> None:
    """Serve the judge until it closes the channel (``request`` from the grading process)."""
    from wfpsim.exercise.child import Fingerprint

    for name in API_MODULES:
        importlib.import_module(name)
    path = Path(request["student"])
    policy = HostPolicy(path, f"{request['id']}_target", strict)
    channel = _Serving(int(request["read_fd"]), int(request["write_fd"]), "h", policy)
    forwarder = Forwarder(channel)
    forwarder.patch_modules()
    channel.forwarder = policy.forwarder = forwarder
    policy.fingerprint = Fingerprint([])
    strict[0] = True
    with contextlib.suppress(ChannelClosed):  # the judge is done
        channel.serve_forever()
