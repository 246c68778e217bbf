"""The processes of a check run: starting them, feeding them, reading their verdicts.

:func:`spawn` runs one checking process (the browser's and ``ISOLATION = "same-process"``'s
modes; in Pyodide it runs the same request in the page, :func:`in_page`); :func:`spawn_pair`
runs the student's process and the judge joined by a channel (:mod:`wfpsim.exercise.bridge`).
Both read the results as JSON lines carrying the run's random token from a pipe the student's
code does not hold (in the pair, only the judge holds it), cut the run at its time limit (the
process groups are killed), and turn an early end into a message that says what happened.
"""

from __future__ import annotations

import json
import os
import secrets
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wfpsim.exercise import forkserver

_LAUNCH = "from wfpsim.exercise.child import main; main()"
_KEEP = 4096  # bytes of the student's own output kept for the feedback
#: The process ids of the last judged run (``student``, ``judge``), for tests and diagnostics.
last_run: dict[str, int] = {}


@dataclass(frozen=True, slots=True)
class Run:
    """What a check run produced: its result lines, the problem that ended it early, the
    student's own output."""

    messages: list[dict[str, Any]]
    problem: str
    output: bytes


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def in_page(request: dict[str, Any], cwd: Path) -> Run:
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
                elif request["mode"] == "answers":
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
    return Run(messages, "", sink.getvalue().encode()[:_KEEP])


def spawn(request: dict[str, Any], cwd: Path, timeout: float) -> Run:
    """Start the checking process, feed it ``request``, collect its result lines."""
    if sys.platform == "emscripten":
        return in_page(request, cwd)
    read_end, write_end = os.pipe()
    token = secrets.token_hex(16)
    proc = _launch({**request, "token": token}, cwd, {"result_fd": write_end})
    os.close(write_end)
    assert proc.stdout is not None
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
    code = _wait(proc, 5)
    os.close(read_end)
    proc.stdout.close()
    messages, done = _messages(results, token)
    problem = ""
    if timed_out:
        problem = _too_slow(timeout)
    elif not done:
        problem = _ended(code, output)
    return Run(messages, problem, bytes(output))


def _launch(request: dict[str, Any], cwd: Path, fds: dict[str, int]) -> Any:
    """Start a checking process in ``cwd`` for ``request``, handing it ``fds`` (the request names
    them): forked by the warm server (:mod:`wfpsim.exercise.forkserver`), or ``python -c`` with
    the request on its stdin. Returns a :class:`subprocess.Popen` or its look-alike."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WFPSIM_")}
    env["WFPSIM_EXERCISES"] = str(cwd.parent)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONHASHSEED"] = "0"
    here = str(Path(__file__).resolve().parents[2])  # the same wfpsim as the grader's
    env["PYTHONPATH"] = os.pathsep.join([here, *filter(None, [env.get("PYTHONPATH")])])
    forked = forkserver.launch(request, str(cwd), env, fds)
    if forked is not None:
        return forked
    request = {**request, **fds}
    proc = subprocess.Popen(
        [sys.executable, "-c", _LAUNCH],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=cwd,
        env=env,
        pass_fds=tuple(fds.values()),
        start_new_session=True,
    )
    assert proc.stdin is not None
    proc.stdin.write(json.dumps(request).encode())
    proc.stdin.close()
    return proc


def _wait(proc: Any, seconds: float) -> int:
    try:
        return int(proc.wait(timeout=seconds))
    except subprocess.TimeoutExpired:
        _kill(proc)
        return int(proc.wait())


def _messages(results: bytearray, token: str) -> tuple[list[dict[str, Any]], bool]:
    """The result lines that carry the run's token, up to the end mark; and whether it came."""
    messages: list[dict[str, Any]] = []
    for line in bytes(results).splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict) and len(item) == 2 and item.pop("t", None) == token:
            if "done" in item:
                return messages, True  # anything after the end is not a result
            messages.append(item)
    return messages, False


def _too_slow(timeout: float) -> str:
    return f"your file did not finish in {timeout:g} s (an endless loop, or far too slow)."


def _ended(code: int, output: bytes | bytearray) -> str:
    """Why the student's process ended before the checks were done, from its exit status."""
    if code == -signal.SIGXCPU:
        return "your file used up the CPU time the grader allows (an endless loop?)."
    if code < 0:
        return f"your file ended the checking process with {_signal_name(-code)}."
    if code == 1 and b"MemoryError" in output:
        return "your file ran out of memory: the grader allows a limited amount."
    return (
        f"your file ended the checking process (exit status {code}) before the checks "
        "finished: a graded file must not call os._exit, sys.exit or close the grader's "
        "files."
    )


def spawn_pair(
    student: dict[str, Any],
    student_cwd: Path,
    judge: dict[str, Any],
    judge_cwd: Path,
    timeout: float,
) -> Run:
    """Start the student's process and the judge, joined by a channel; collect the verdicts.

    The judge writes the results (with the run's token) on a pipe only it holds; the student's
    process holds nothing but its ends of the channel and its output.
    """
    to_student, from_judge = os.pipe()  # read end, write end
    to_judge, from_student = os.pipe()
    read_end, write_end = os.pipe()
    token = secrets.token_hex(16)
    host = _launch(student, student_cwd, {"read_fd": to_student, "write_fd": from_student})
    os.close(to_student)
    os.close(from_student)
    referee = _launch(
        {**judge, "token": token},
        judge_cwd,
        {"read_fd": to_judge, "write_fd": from_judge, "result_fd": write_end},
    )
    for fd in (to_judge, from_judge, write_end):
        os.close(fd)
    assert host.stdout is not None and referee.stdout is not None
    results, output, notes = bytearray(), bytearray(), bytearray()
    deadline = time.monotonic() + timeout
    timed_out = False
    with selectors.DefaultSelector() as sel:
        sel.register(read_end, selectors.EVENT_READ, results)
        sel.register(referee.stdout, selectors.EVENT_READ, notes)
        sel.register(host.stdout, selectors.EVENT_READ, output)
        judge_streams = 2
        while judge_streams:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            for key, _ in sel.select(left):
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    sel.unregister(key.fileobj)
                    judge_streams -= key.data is not output
                elif key.data is results or len(key.data) < _KEEP:
                    key.data.extend(chunk)
    if timed_out:
        _kill(referee)
        _kill(host)
    judge_code = _wait(referee, 5)
    try:
        host_code, ended_by_us = host.wait(timeout=2), False  # it ends when the channel closes
    except subprocess.TimeoutExpired:
        _kill(host)
        host_code, ended_by_us = host.wait(), True
    os.close(read_end)
    host.stdout.close()
    referee.stdout.close()
    messages, done = _messages(results, token)
    last_run.clear()
    last_run.update(student=host.pid, judge=referee.pid)
    gone = next((str(m["gone"]) for m in messages if "gone" in m), None)
    problem = ""
    if timed_out:
        problem = _too_slow(timeout)
    elif gone is not None:
        problem = (
            f"your file broke the checking channel ({gone}): a graded file must not write to "
            "the grader's files or call os._exit, sys.exit."
            if ended_by_us
            else _ended(host_code, output)
        )
    elif not done:
        problem = _judge_failed(judge_code, bytes(notes))
    return Run(messages, problem, bytes(output))


def _judge_failed(code: int, notes: bytes) -> str:
    """The judge ended without its end mark: out of time or memory (on the student's data), or
    a fault of the grader itself (its last output line says which)."""
    if code == -signal.SIGXCPU:
        return "checking your file used up the CPU time the grader allows."
    if b"MemoryError" in notes:
        return "checking your file used up the memory the grader allows."
    last = notes.decode("utf-8", "replace").strip().splitlines()[-1:] or [f"exit status {code}"]
    return f"the grader failed while checking your file (not your fault): {last[0]}"


def _kill(proc: Any) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
