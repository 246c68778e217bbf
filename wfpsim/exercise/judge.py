"""The judge: runs the checks and the engine in a process where the student's code never runs.

Started by :mod:`wfpsim.exercise.isolation` beside the student's process
(:mod:`wfpsim.exercise.host`), in a temporary copy of the exercise *without* the student's file.
It loads the checks (and the hidden checks, whose temporary file it deletes), and gives each check
a proxy of a freshly loaded student module (:class:`~wfpsim.exercise.bridge.Proxy`): reading
``m.SUBLAYER`` copies the value over, calling ``m.add_policy(engine)`` runs the student's function
in the student's process, where ``engine`` is a proxy of this process's engine, and a callout the
student registers is called across in the same way. So the checks stay as they are written (a
function of ``m``), and everything they judge — the engine's filters, its traces, the values they
read — lives here. Results go to the grading process as JSON lines with the run's token, as
:mod:`wfpsim.exercise.child` writes them.
"""

from __future__ import annotations

import dataclasses
import types
from pathlib import Path
from typing import Any

from wfpsim.exercise import checking
from wfpsim.exercise.bridge import (
    Channel,
    ChannelClosed,
    Policy,
    Proxy,
    wfpsim_import,
    wfpsim_module,
)
from wfpsim.exercise.checking import CheckFailed, explain_exception


def _exportable_class(cls: type) -> bool:
    if wfpsim_module(cls.__module__):
        return True
    return cls.__module__ == "contextlib" and cls.__name__ == "_GeneratorContextManager"


class JudgePolicy(Policy):
    """What the student's process may do with the judge's objects (module docstring of
    :mod:`wfpsim.exercise.bridge`): read public attributes, call public methods, write the fields
    of wfpsim's mutable records, call the kernel API."""

    side = "j"

    def may_export(self, value: Any) -> bool:
        """Engine objects, their bound methods, the checks' own functions; never a module, a
        class, a frame or anything of the exercise runner."""
        if isinstance(value, (type, types.ModuleType)):
            return False
        if isinstance(value, types.FunctionType):
            return not value.__module__.startswith("wfpsim.exercise")
        if isinstance(value, types.MethodType):
            return self.may_export(value.__self__) and not isinstance(value.__self__, type)
        return _exportable_class(type(value))

    def check_get(self, obj: Any, name: str) -> None:
        """Only public names."""
        if name.startswith("_"):
            raise AttributeError(f"the grader does not let a graded file read {name!r}")

    def check_set(self, obj: Any, name: str, value: Any) -> None:
        """Only a field of a wfpsim record (a mutable dataclass), set to a copied value."""
        cls = type(obj)
        params = getattr(cls, "__dataclass_params__", None)
        fields = {f.name for f in dataclasses.fields(cls)} if params is not None else set()
        if (
            params is None
            or params.frozen
            or not wfpsim_module(cls.__module__)
            or name not in fields
            or name.startswith("_")
        ):
            raise AttributeError(
                f"the grader does not let a graded file set {name!r} of a {cls.__name__}"
            )
        if isinstance(value, Proxy):
            raise TypeError(f"{cls.__name__}.{name} takes a value, not an object of your file")

    def api(self, module: str, name: str, args: tuple[Any, ...], channel: Channel) -> Any:
        """A public function of a wfpsim module: the kernel API (upper-case names), or any other
        one called with one of the judge's objects (``start_proxy(engine, proxy)``)."""
        fn = getattr(wfpsim_import(module), name, None) if not name.startswith("_") else None
        if not isinstance(fn, types.FunctionType) or not wfpsim_module(fn.__module__):
            raise PermissionError(f"{module}.{name} is not a function of the engine")
        if not name[:1].isupper() and not any(_owned(channel, a) for a in args):
            raise PermissionError(f"{module}.{name} runs in your own process")
        return fn


def _owned(channel: Channel, value: Any) -> bool:
    if type(value) in (list, tuple):
        return any(channel.owns(v) for v in value)
    if type(value) is dict:
        return any(channel.owns(v) for v in value.values())
    return channel.owns(value)


def _tampered(what: str) -> str:
    return (
        f"your file changed the checker or the engine ({what}): a graded file must not replace "
        "the functions that check it, so no check counts."
    )


def judge(request: dict[str, Any], send: Any) -> None:
    """Run every check against the student's process (``request`` from the grading process)."""
    from wfpsim.exercise.child import _guard, _load_suites

    suites = _load_suites(request)
    _guard(list(request.get("protected", [])), [True])  # the hidden file is gone; now lock up
    path = Path(request["student"])
    channel = Channel(int(request["read_fd"]), int(request["write_fd"]), "j", JudgePolicy())

    def fresh() -> Any:
        return channel.request({"q": "load"})

    def audit() -> str:
        found = channel.request({"q": "audit"})
        return found if isinstance(found, str) else ""

    try:
        try:
            fresh()
        except ChannelClosed:
            raise
        except BaseException as err:  # SystemExit, MemoryError, a syntax error: rebuilt here
            send("load", explain_exception(err, path))
            return
        changed = audit()
        if changed:
            send("problem", _tampered(changed))
            return
        all_passed = True
        for suite, hidden in suites:
            for check in checking.checks_of(suite, hidden):
                message = ""
                try:
                    check.run(fresh())
                except CheckFailed as err:
                    message = str(err) or "the check failed"
                except ChannelClosed:
                    raise
                except BaseException as err:  # whatever the student's code raised, rebuilt
                    message = explain_exception(err, path)
                if channel.closed:
                    raise ChannelClosed(channel.closed)
                changed = audit()
                if changed:
                    send("problem", _tampered(changed))
                    return
                all_passed = all_passed and not message
                send("result", {"name": check.name, "hidden": hidden, "message": message})
        reveal = getattr(suites[0][0], "reveal", None)
        if all_passed and callable(reveal):
            try:
                send("reveal", str(reveal(fresh())))
            except ChannelClosed:
                raise
            except Exception as err:  # a reveal is a bonus, never a failure
                send("reveal", f"(nothing to reveal: {explain_exception(err, path)})")
    except ChannelClosed as closed:
        send("gone", str(closed))
