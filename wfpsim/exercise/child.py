"""The checking process: loads the student's file under limits and reports each check's result.

Started by :mod:`wfpsim.exercise.isolation`, once per file and exercise, in a temporary copy of the
exercise (no ``solutions/``, no ``hidden/``), as ``python -c "from wfpsim.exercise.child import
main; main()"``. It reads one JSON request from stdin and writes JSON lines to the file descriptor
the request names (never to stdout, so nothing the student prints can pass for a result), each
with the run's random token, so lines a file writes to every open descriptor are ignored.

Before the student's file runs it: lowers the resource limits (address space, CPU time, file size),
installs an audit hook (:func:`sys.addaudithook`, which Python code cannot remove) that refuses to
open, list or start anything under the protected folders and refuses to start processes, loads the
checks, deletes the hidden checks' temporary file, and takes a fingerprint of the checker, the
engine and the builtins. After every check the fingerprint is compared: a file that replaced a
function of the checker or the engine fails every check from there on.

Modes: ``host`` (the student's process of a judged run: :mod:`wfpsim.exercise.host`), ``judge``
(the checks, in a process where no student code runs: :mod:`wfpsim.exercise.judge`), and the
one-process modes the browser classroom and ``ISOLATION = "same-process"`` exercises use:
``check`` (run the checks on the student's module, guarded by the fingerprint), ``data`` (only read
the plain values the checks judge, ``STUDENT_DATA``) and ``answers`` (run the checks on such
values, no student code).
"""

from __future__ import annotations

import builtins
import io
import json
import os
import sys
import types
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

from wfpsim.exercise import checking, variants
from wfpsim.exercise.checking import CheckFailed, explain_exception, load_module
from wfpsim.exercise.plain import from_plain, to_plain

_out = -1
_token = ""

#: Audit events that start another program: refused once the student's file may run.
_SPAWN = (
    "subprocess.Popen",
    "os.system",
    "os.exec",
    "os.posix_spawn",
    "os.spawn",
    "os.fork",
    "os.forkpty",
    "pty.spawn",
)
#: Audit events whose first argument is a path: refused under the protected folders.
_PATHS = (
    "open",
    "os.listdir",
    "os.scandir",
    "os.chdir",
    "os.rename",
    "os.remove",
    "os.link",
    "os.symlink",
    "shutil.copyfile",
    "shutil.copytree",
    "glob.glob",
)


def send(kind: str, value: Any) -> None:
    """Write one result line for the grading process (with the run's token)."""
    os.write(_out, (json.dumps({kind: value, "t": _token}) + "\n").encode())


def _limit(memory_mb: int, cpu_seconds: int) -> None:
    import resource  # not in Pyodide (the browser classroom), which never starts this process

    for which, value in (
        (resource.RLIMIT_AS, memory_mb * 1024 * 1024),
        (resource.RLIMIT_CPU, cpu_seconds),
        (resource.RLIMIT_FSIZE, 16 * 1024 * 1024),
    ):
        _, hard = resource.getrlimit(which)
        ceiling = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(which, (ceiling, ceiling))


def _foreign(real: str) -> bool:
    """``real`` is another process's entry in /proc (its files, its memory)."""
    if not real.startswith("/proc/"):
        return False
    part = real.split("/")[2]
    return part.isdigit() and int(part) != os.getpid()


def _guard(protected: list[str], strict: list[bool]) -> None:
    roots = tuple(os.path.realpath(p) for p in protected)

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if not strict[0]:
            return
        if event.startswith(_SPAWN):
            raise PermissionError("the grader does not let a graded file start programs")
        if event in _PATHS and args and isinstance(args[0], (str, bytes, os.PathLike)):
            path = os.fsdecode(args[0])
            real = os.path.realpath(path)
            if any(real == r or real.startswith(r + os.sep) for r in roots) or _foreign(real):
                raise PermissionError(f"the grader does not let a graded file read {path}")

    sys.addaudithook(hook)


def _marks(modules: list[types.ModuleType]) -> dict[str, object]:
    kinds = (types.FunctionType, types.BuiltinFunctionType, type, types.ModuleType)
    members = (types.FunctionType, classmethod, staticmethod, property)
    marks: dict[str, object] = {}
    for module in modules:
        name = module.__name__
        if sys.modules.get(name) is module:
            marks[f"sys.modules[{name}]"] = module
        for key, value in list(vars(module).items()):
            if not isinstance(value, kinds) or key.startswith("__"):
                continue
            marks[f"{name}.{key}"] = value
            if isinstance(value, types.FunctionType):
                marks[f"{name}.{key}.__code__"] = value.__code__
            elif isinstance(value, type) and value.__module__ == name:
                for attr, member in list(vars(value).items()):
                    if isinstance(member, members):
                        marks[f"{name}.{key}.{attr}"] = member
    return marks


class Fingerprint:
    """What the checker, the engine and the builtins are before the student's file runs."""

    def __init__(self, extra: list[types.ModuleType]) -> None:
        self.extra = extra
        self.marks = _marks(self._modules())

    def _modules(self) -> list[types.ModuleType]:
        ours = [
            m
            for n, m in list(sys.modules.items())
            if isinstance(m, types.ModuleType) and (n == "wfpsim" or n.startswith("wfpsim."))
        ]
        return [*ours, *self.extra, builtins]

    def changed(self) -> str:
        """The first thing replaced since the fingerprint was taken ('' when none)."""
        now = _marks(self._modules())
        for key, value in self.marks.items():
            if key.startswith("sys.modules["):
                module_name = key[len("sys.modules[") : -1]
                if sys.modules.get(module_name) is not value:
                    return f"sys.modules[{module_name!r}]"
            elif now.get(key) is not value:
                return key
        return ""


def _tampered(what: str) -> str:
    return (
        f"your file changed the checker or the engine ({what}): a graded file must not replace "
        "the functions that check it, so no check counts."
    )


def _load_suites(request: dict[str, Any]) -> list[tuple[types.ModuleType, bool]]:
    ex_id = request["id"]
    suites = [(load_module(Path(request["checks"]), f"{ex_id}_checks"), False)]
    if request.get("hidden"):
        hidden = Path(request["hidden"])
        suites.append((load_module(hidden, f"{ex_id}_hidden"), True))
        hidden.unlink()
    return suites


def _run_checks(request: dict[str, Any], target: Any, path: Path, fresh: bool) -> None:
    suites = _load_suites(request)
    fingerprint = Fingerprint([s for s, _ in suites]) if fresh else None
    label = f"{request['id']}_target"
    strict = request["_strict"]
    if fresh:
        strict[0] = True
        try:
            target = load_module(path, label)
        except BaseException as err:  # SystemExit, KeyboardInterrupt, MemoryError
            send("load", explain_exception(err, path))
            return
        changed = fingerprint.changed() if fingerprint else ""
        if changed:
            send("problem", _tampered(changed))
            return
    all_passed = True
    for suite, hidden in suites:
        for check in checking.checks_of(suite, hidden):
            message = ""
            try:
                check.run(load_module(path, label) if fresh else target)
            except CheckFailed as err:
                message = str(err) or "the check failed"
            except BaseException as err:  # the student's code may raise anything
                message = explain_exception(err, path)
            changed = fingerprint.changed() if fingerprint else ""
            if changed:
                send("problem", _tampered(changed))
                return
            all_passed = all_passed and not message
            send("result", {"name": check.name, "hidden": hidden, "message": message})
    reveal = getattr(suites[0][0], "reveal", None)
    if all_passed and callable(reveal):
        try:
            send("reveal", str(reveal(load_module(path, label) if fresh else target)))
        except Exception as err:  # a reveal is a bonus, never a failure
            send("reveal", f"(nothing to reveal: {explain_exception(err, path)})")


def _read_data(request: dict[str, Any], path: Path) -> None:
    request["_strict"][0] = True
    try:
        module = load_module(path, f"{request['id']}_target")
    except BaseException as err:  # SystemExit, KeyboardInterrupt, MemoryError
        send("load", explain_exception(err, path))
        return
    names = request["names"]
    send("data", {n: to_plain(getattr(module, n)) for n in names if hasattr(module, n)})


def main() -> None:
    """Serve the request on stdin (see the module docstring)."""
    serve_request(json.loads(sys.stdin.read()))


def serve_request(request: dict[str, Any]) -> None:
    """Serve one request; every answer goes to the result pipe. Never returns."""
    global _out, _token
    strict = [False]
    request["_strict"] = strict
    _limit(int(request["memory_mb"]), int(request["cpu_seconds"]))
    variants.use_seed(request.get("seed"))
    if request["mode"] == "host":  # the student's process: no result pipe, no checks
        from wfpsim.exercise.host import serve

        _guard(list(request["protected"]), strict)
        serve(request, strict)
        os._exit(0)
    _out = int(request.pop("result_fd"))
    _token = str(request.pop("token"))
    if request["mode"] != "judge":  # the judge runs no student code
        _guard(list(request["protected"]), strict)
    path = Path(request["student"]) if request.get("student") else Path("student.py")
    sink = io.StringIO()
    with redirect_stdout(sink), redirect_stderr(sink):  # prints would bury the feedback
        if request["mode"] == "data":
            _read_data(request, path)
        elif request["mode"] == "answers":
            answers = {k: from_plain(v) for k, v in request["data"].items()}
            _run_checks(request, types.SimpleNamespace(**answers), path, fresh=False)
        elif request["mode"] == "judge":
            from wfpsim.exercise.judge import judge

            judge(request, send)
        else:
            _run_checks(request, None, path, fresh=True)
    send("done", True)
    os._exit(0)  # no atexit hook or leftover thread of the student's runs after the end
