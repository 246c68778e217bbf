"""What crosses the judge's channel besides values: the rules, the class names, exceptions.

:class:`Policy` says what one side serves the other; :func:`resolve_class` finds a wfpsim class
by its ``module:qualname``, importing only the engine's modules.

:func:`describe_error` turns an exception into its class (``module:qualname``), arguments,
message and frames (file, line, function; the channel's own frames left out);
:func:`rebuild_error` makes it an exception again in the other process: builtins' and wfpsim's
classes as themselves, any other as a same-named ``Exception``, raised from synthetic frames that
carry the student's file names, lines and function names. So
:func:`~wfpsim.exercise.checking.explain_exception` and the engine's fault records
(``describe_fault``) name the student's line as they would in one process. The student's process
chooses the frames, the lines and the names: they only ever label feedback.
"""

from __future__ import annotations

import builtins
import importlib
import inspect
import os
import re
import traceback
import types
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wfpsim.exercise.bridge import Channel

#: Frames of the student's code kept with an exception.
MAX_FRAMES = 40
#: The most items an iteration of the judge's object hands over.
MAX_ITEMS = 200_000
#: The operators the student's process may apply to the judge's objects.
OPERATIONS: dict[str, Callable[..., Any]] = {
    "len": len,
    "bool": bool,
    "str": str,
    "repr": repr,
    "int": int,
    "float": float,
    "index": lambda o: o.__index__(),
    "hash": hash,
    "iter": lambda o: list(o)[:MAX_ITEMS],
    "getitem": lambda o, k: o[k],
    "contains": lambda o, k: k in o,
    "eq": lambda o, x: o == x,
    "ne": lambda o, x: o != x,
    "lt": lambda o, x: o < x,
    "le": lambda o, x: o <= x,
    "gt": lambda o, x: o > x,
    "ge": lambda o, x: o >= x,
    "enter": lambda o: o.__enter__(),
    "exit": lambda o, *a: o.__exit__(*a),
}


class ChannelClosed(BaseException):
    """The other side closed the channel or broke its protocol (the message says which)."""


def wfpsim_module(name: str) -> bool:
    """``name`` is a module of the engine (wfpsim, not its exercise runner or its pictures)."""
    if name != "wfpsim" and not name.startswith("wfpsim."):
        return False
    return not name.startswith(("wfpsim.exercise", "wfpsim.viz"))


def class_name(cls: type) -> str:
    """``module:qualname`` of a class."""
    return f"{cls.__module__}:{cls.__qualname__}"


def wfpsim_import(name: str) -> types.ModuleType | None:
    """The wfpsim module ``name``, imported if need be (never ``__main__``, which would run the
    command line); None for a module outside the engine."""
    if not wfpsim_module(name) or name.rsplit(".", 1)[-1] == "__main__":
        return None
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def resolve_class(name: str) -> type | None:
    """The wfpsim class ``module:qualname`` names (None for anything else)."""
    module_name, _, qual = name.partition(":")
    found: Any = wfpsim_import(module_name)
    if found is None or not qual:
        return None
    try:
        for part in qual.split("."):
            if part.startswith("__"):
                return None
            found = getattr(found, part)
    except AttributeError:
        return None
    return found if isinstance(found, type) else None


class Policy:
    """What one side serves the other (the judge's is strict; the student's process serves
    everything, since nothing there counts)."""

    side = "?"

    def may_export(self, value: Any) -> bool:
        """``value`` may be handed to the other side by reference."""
        return True

    def check_get(self, obj: Any, name: str) -> None:
        """Refuse reading ``obj.name`` (raise); the default allows it."""

    def check_set(self, obj: Any, name: str, value: Any) -> None:
        """Refuse writing ``obj.name = value`` (raise); the default allows it."""

    def api(self, module: str, name: str, args: tuple[Any, ...], channel: Channel) -> Any:
        """The engine's function the other side asks to call with ``args``."""
        raise PermissionError("this side serves no kernel functions")

    def extra(self, channel: Channel, message: dict[str, Any]) -> Any:
        """A request only this side knows (``load``, ``audit``)."""
        raise PermissionError(f"unknown request {message.get('q')!r}")


def method_names(cls: type) -> list[str]:
    """The public methods of ``cls`` (a proxy calls them in one request)."""
    names = []
    for name in dir(cls):
        if name.startswith("_"):
            continue
        member = inspect.getattr_static(cls, name, None)
        if isinstance(member, (types.FunctionType, staticmethod, classmethod)):
            names.append(name)
    return names


def describe_error(err: BaseException, encode: Callable[[Any], Any]) -> dict[str, Any]:
    """An exception as data: class, arguments, message and the frames that raised it."""
    here = set(_machinery_files())
    frames = [
        [f.filename, f.lineno or 0, f.name]
        for f in traceback.extract_tb(err.__traceback__)
        if os.path.abspath(f.filename) not in here
    ][-MAX_FRAMES:]
    try:
        args = encode(err.args)
    except Exception:
        args = encode((str(err),))
    return {"c": class_name(type(err)), "a": args, "s": str(err)[:2000], "f": frames}


def rebuild_error(info: Any, decode: Callable[[Any], Any]) -> BaseException:
    """The exception :func:`describe_error` described, raised from the frames it names."""
    if not isinstance(info, dict):
        return ChannelClosed("the other process broke the channel's protocol")
    cls = _error_class(str(info.get("c", "builtins:Exception")))
    try:
        args = decode(info.get("a"))
    except Exception:
        args = (str(info.get("s", "")),)
    if not isinstance(args, tuple):
        args = (str(info.get("s", "")),)
    err: BaseException
    try:
        err = cls(*args)
    except Exception:
        err = cls.__new__(cls)
        err.args = args
    frames = info.get("f")
    return err.with_traceback(_fake_traceback(err, frames if isinstance(frames, list) else []))


def _machinery_files() -> list[str]:
    here = os.path.dirname(os.path.abspath(__file__))
    names = ("bridge.py", "proxies.py", "crossing.py", "host.py", "judge.py")
    return [os.path.join(here, n) for n in names]


_made_errors: dict[str, type[BaseException]] = {}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,80}")


def _error_class(name: str) -> type[BaseException]:
    module, _, qual = name.partition(":")
    found: Any = None
    if module == "builtins":
        found = getattr(builtins, qual, None)
    elif wfpsim_module(module):
        found = resolve_class(name)
    if isinstance(found, type) and issubclass(found, BaseException):
        return found
    short = qual.rsplit(".", 1)[-1]
    short = short if _NAME.fullmatch(short) else "Exception"
    if short not in _made_errors:
        _made_errors[short] = type(short, (Exception,), {"__module__": "student"})
    return _made_errors[short]


_codes: dict[tuple[str, int, str], types.CodeType] = {}


def _frame_code(filename: str, lineno: int, name: str) -> types.CodeType:
    key = (filename, lineno, name)
    code = _codes.get(key)
    if code is None:
        code = compile("\n" * (lineno - 1) + "raise __wfpsim_error__", filename, "exec")
        code = code.replace(co_name=name)
        if len(_codes) < 10_000:
            _codes[key] = code
    return code


def _fake_traceback(err: BaseException, frames: list[Any]) -> types.TracebackType | None:
    """A traceback through ``frames`` (file, line, function), innermost last, so that
    ``traceback.extract_tb`` names the other process's lines."""
    tb: types.TracebackType | None = None
    for frame in reversed(frames):
        if not (isinstance(frame, list) and len(frame) == 3):
            continue
        filename = str(frame[0])[:1000]
        lineno = frame[1] if isinstance(frame[1], int) and 0 < frame[1] <= 100_000 else 1
        name = str(frame[2])[:200]
        try:
            exec(_frame_code(filename, lineno, name), {"__wfpsim_error__": err})
        except BaseException as raised:
            here = raised.__traceback__
            inner = here.tb_next if here is not None else None
            if inner is not None:
                tb = types.TracebackType(tb, inner.tb_frame, inner.tb_lasti, inner.tb_lineno)
    err.__traceback__ = None
    return tb
