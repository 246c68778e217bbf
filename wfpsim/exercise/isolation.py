"""Running a student's file apart from the checks: its own process, a copy, a time limit.

:func:`run_checks` copies the exercise folder (never ``solutions/`` or ``hidden/``) into a
temporary folder, puts the file to check there as ``student.py`` and starts
:mod:`wfpsim.exercise.child` on it with a time limit, memory and CPU limits, and the instructors'
folders (and the other submissions) out of reach. The results come back as JSON lines on a pipe of
their own, check by check, so a file that exits, is killed, hangs or runs out of memory fails with
a message that says so — every check it did not finish fails, never passes.

Exercises whose checks read only answers (``STUDENT_DATA`` in ``checks.py``) run in two processes:
one loads the student's file and hands back those values as plain data, the other judges them and
never runs the student's code.

In the browser classroom (Pyodide, ``sys.platform == "emscripten"``) no process can be started:
there the same request runs in the page's own interpreter (:func:`_in_page`), on the same
temporary copy, with the same feedback — without the time, memory and file limits, which only a
process of its own can give (the student's browser is the student's own machine).

What this is not: a security sandbox. A file written to attack the grading machine (not the
grade) runs with the grader's user rights; for that, grade in a container (otter's Docker mode,
see ``INSTRUCTORS.md``).
"""

from __future__ import annotations

import json
import os
import secrets
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from wfpsim.errors import NotFoundError
from wfpsim.exercise.checking import Check, CheckReport, checks_of, load_module
from wfpsim.exercise.finding import Exercise

#: Seconds one file may take for all the checks of one exercise.
DEFAULT_TIMEOUT = 30.0
#: Address space (MiB) the checking process may use.
DEFAULT_MEMORY_MB = 1024
_LAUNCH = "from wfpsim.exercise.child import main; main()"
_KEEP = 4096  # bytes of the student's own output kept for the feedback


@dataclass(frozen=True, slots=True)
class Listing:
    """An exercise's checks as the instructors wrote them (loaded in the grading process)."""

    checks: tuple[Check, ...]
    student_data: tuple[str, ...]

    @property
    def points(self) -> int:
        """The exercise's full points."""
        return sum(c.points for c in self.checks)


@cache
def _listing(checks_path: Path, hidden_path: Path | None, mtimes: tuple[float, ...]) -> Listing:
    public = load_module(checks_path, "listing")
    found = list(checks_of(public, False))
    if hidden_path is not None:
        found += checks_of(load_module(hidden_path, "listing_hidden"), True)
    data = tuple(str(n) for n in getattr(public, "STUDENT_DATA", ()))
    return Listing(tuple(found), data)


def listing(ex: Exercise, hidden: bool) -> Listing:
    """The checks of ``ex`` (public, and hidden ones when asked), their points and data names.

    Raises:
        NotFoundError: the checks (or the hidden checks) are missing.
    """
    files = [ex.checks_path] + ([ex.hidden_path] if hidden else [])
    for file in files:
        if not file.is_file():
            raise NotFoundError(
                f"{ex.id}: {file} does not exist (a hand-out has no solutions/ and no hidden/)"
            )
    mtimes = tuple(f.stat().st_mtime for f in files)
    return _listing(ex.checks_path, ex.hidden_path if hidden else None, mtimes)


@dataclass(frozen=True, slots=True)
class _Run:
    messages: list[dict[str, Any]]
    problem: str
    output: bytes


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _in_page(request: dict[str, Any], cwd: Path) -> _Run:
    """Pyodide runs no processes: serve ``request`` as the child would, in this interpreter."""
    import io
    from contextlib import redirect_stderr, redirect_stdout
    from types import SimpleNamespace

    from wfpsim.exercise import child, variants
    from wfpsim.exercise.plain import from_plain

    request = {**request, "_strict": [False]}
    path = Path(request["student"])
    before, old_env, old_out = os.getcwd(), os.environ.get("WFPSIM_EXERCISES"), child._out
    with tempfile.TemporaryFile() as results:
        child._out = results.fileno()
        os.environ["WFPSIM_EXERCISES"] = str(cwd.parent)
        os.chdir(cwd)
        variants.use_seed(request.get("seed"))
        sink = io.StringIO()
        try:
            with redirect_stdout(sink), redirect_stderr(sink):
                if request["mode"] == "data":
                    child._read_data(request, path)
                elif request["mode"] == "judge":
                    answers = {k: from_plain(v) for k, v in request["data"].items()}
                    child._run_checks(request, SimpleNamespace(**answers), path, fresh=False)
                else:
                    child._run_checks(request, None, path, fresh=True)
        finally:
            child._out = old_out
            variants.use_seed(None)
            os.chdir(before)
            if old_env is None:
                os.environ.pop("WFPSIM_EXERCISES", None)
            else:
                os.environ["WFPSIM_EXERCISES"] = old_env
        results.seek(0)
        lines = results.read().decode("utf-8", "replace").splitlines()
    messages = [json.loads(line) for line in lines if line.strip()]
    return _Run(messages, "", sink.getvalue().encode()[:_KEEP])


def _spawn(request: dict[str, Any], cwd: Path, timeout: float) -> _Run:
    """Start the checking process, feed it ``request``, collect its result lines."""
    if sys.platform == "emscripten":
        return _in_page(request, cwd)
    read_end, write_end = os.pipe()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WFPSIM_")}
    env["WFPSIM_EXERCISES"] = str(cwd.parent)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONHASHSEED"] = "0"
    here = str(Path(__file__).resolve().parents[2])  # the same wfpsim as the grader's
    env["PYTHONPATH"] = os.pathsep.join([here, *filter(None, [env.get("PYTHONPATH")])])
    token = secrets.token_hex(16)
    request = {**request, "result_fd": write_end, "token": token}
    proc = subprocess.Popen(
        [sys.executable, "-c", _LAUNCH],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=cwd,
        env=env,
        pass_fds=(write_end,),
        start_new_session=True,
    )
    os.close(write_end)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(json.dumps(request).encode())
    proc.stdin.close()
    results, output, timed_out = bytearray(), bytearray(), False
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as sel:
        sel.register(read_end, selectors.EVENT_READ, results)
        sel.register(proc.stdout, selectors.EVENT_READ, output)
        open_streams = 2
        while open_streams:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            for key, _ in sel.select(left):
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    sel.unregister(key.fileobj)
                    open_streams -= 1
                elif key.data is results or len(output) < _KEEP:
                    key.data.extend(chunk)
    if timed_out:
        _kill(proc)
    try:
        code = proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        _kill(proc)
        code = proc.wait()
    os.close(read_end)
    proc.stdout.close()
    messages: list[dict[str, Any]] = []
    done = False
    for line in bytes(results).splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict) and len(item) == 2 and item.pop("t", None) == token:
            if "done" in item:
                done = True
                break  # anything after the end (an atexit hook, a thread) is not a result
            messages.append(item)
    problem = ""
    if timed_out:
        problem = f"your file did not finish in {timeout:g} s (an endless loop, or far too slow)."
    elif code == -signal.SIGXCPU:
        problem = "your file used up the CPU time the grader allows (an endless loop?)."
    elif code < 0:
        problem = f"your file ended the checking process with {_signal_name(-code)}."
    elif not done and code == 1 and b"MemoryError" in output:
        problem = "your file ran out of memory: the grader allows a limited amount."
    elif not done:
        problem = (
            f"your file ended the checking process (exit status {code}) before the checks "
            "finished: a graded file must not call os._exit, sys.exit or close the grader's "
            "files."
        )
    return _Run(messages, problem, bytes(output))


def _kill(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()


def _protected(ex: Exercise, extra: tuple[Path, ...]) -> list[str]:
    root = ex.folder.parent
    return [str(p.resolve()) for p in (root, *extra)]


def run_checks(
    ex: Exercise,
    path: Path,
    target: str,
    *,
    hidden: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    memory_mb: int = DEFAULT_MEMORY_MB,
    seed: str | None = None,
    protect: tuple[Path, ...] = (),
) -> CheckReport:
    """Check the file ``path`` against ``ex``'s checks in a separate process (module docstring).

    Args:
        ex: the exercise (from the instructors' tree, with ``hidden/`` when ``hidden``).
        path: the student's file.
        target: how the report names the file.
        hidden: also run the hidden checks.
        timeout: seconds for the whole run.
        memory_mb: address space limit of the checking process.
        seed: the student's variant (see :mod:`wfpsim.exercise.variants`).
        protect: more folders the student's file must not read (the other submissions).
    """
    found = listing(ex, hidden)
    with tempfile.TemporaryDirectory(prefix="wfpsim-check-") as tmp:
        root = Path(tmp) / "exercises"
        folder = root / ex.folder.name
        shutil.copytree(ex.folder, folder, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copyfile(path, folder / "student.py")
        base = {
            "id": ex.id,
            "checks": str(folder / "checks.py"),
            "student": str(folder / "student.py"),
            "hidden": None,
            "protected": _protected(ex, protect),
            "memory_mb": memory_mb,
            "cpu_seconds": int(timeout) + 2,
            "seed": seed,
        }
        if hidden:
            (root / "hidden").mkdir()
            shutil.copyfile(ex.hidden_path, root / "hidden" / f"{ex.id}.py")
            base["hidden"] = str(root / "hidden" / f"{ex.id}.py")
        started = time.monotonic()
        if found.student_data:
            first = _spawn(
                {**base, "mode": "data", "names": list(found.student_data)}, folder, timeout
            )
            data = next((m["data"] for m in first.messages if "data" in m), None)
            if data is None:
                return _report(ex, target, found, first)
            (folder / "student.py").unlink()
            left = max(timeout - (time.monotonic() - started), 5.0)
            run = _spawn({**base, "mode": "judge", "data": data}, folder, left)
        else:
            run = _spawn({**base, "mode": "check"}, folder, timeout)
    return _report(ex, target, found, run)


def _report(ex: Exercise, target: str, found: Listing, run: _Run) -> CheckReport:
    problem = run.problem
    results: dict[tuple[str, bool], str] = {}
    reveal = ""
    for message in run.messages:
        if "load" in message:
            problem = str(message["load"])
        elif "problem" in message:
            problem = str(message["problem"])
        elif "result" in message and isinstance(message["result"], dict):
            r = message["result"]  # the last line for a check wins: the checker writes it last
            results[(str(r.get("name")), bool(r.get("hidden")))] = str(r.get("message"))
        elif "reveal" in message:
            reveal = str(message["reveal"])
    if any(("problem" in m or "load" in m) for m in run.messages):
        results = {}  # a file that failed to load or changed the checker earns nothing
    rows = []
    for c in found.checks:
        key = (c.name, c.hidden)
        if key in results:
            rows.append(c.result(not results[key], results[key]))
        else:
            rows.append(c.result(False, problem or "this check did not run."))
    report = CheckReport(ex, target, tuple(rows), reveal, problem)
    return report if report.passed else CheckReport(ex, target, tuple(rows), "", problem)


def missing(ex: Exercise, target: str, hidden: bool, why: str) -> CheckReport:
    """The report of a file that is not there: every check failed, saying why."""
    found = listing(ex, hidden)
    rows = tuple(c.result(False, why) for c in found.checks)
    return CheckReport(ex, target, rows, "", why)
