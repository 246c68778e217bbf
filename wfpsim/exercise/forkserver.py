"""A warm start for the checking processes: one process with wfpsim imported forks each of them.

Grading a class starts two processes per file (the student's and the judge); a fresh Python that
imports the engine costs far more than the checks of most exercises. So the grading process
starts one **fork server** (``python -c "...forkserver import serve; serve(FD)"``) that imports
wfpsim once and then, for each request, forks a child that becomes the checking process: it
closes the server's socket, starts a session of its own (so a time limit kills its whole
group), takes the pipes the grading process sent over the socket (``SCM_RIGHTS``) as its
output and channels, moves to its folder, takes its environment and runs
:func:`wfpsim.exercise.child.serve_request`. The server reports each child's pid and, when the
child ends, its exit status, so :class:`Forked` behaves like the :class:`subprocess.Popen` it
replaces. The server imports nothing of the student's and runs no check; the children start from
its state, which is the state of a fresh interpreter that imported wfpsim.

Where forking is not available (not Linux/macOS) or the server cannot start, the checking
processes are started as before, with :class:`subprocess.Popen`.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
from typing import IO, Any

#: Requests larger than this are started without the server (a packet holds the request).
MAX_REQUEST = 60_000
_PRELOAD = (
    "wfpsim",
    "wfpsim.stack",
    "wfpsim.kernel",
    "wfpsim.injection",
    "wfpsim.netbuffers",
    "wfpsim.runner",
    "wfpsim.exercise.child",
    "wfpsim.exercise.host",
    "wfpsim.exercise.judge",
)


class Forked:
    """A checking process forked by the server: ``pid``, ``stdout``, ``poll``, ``wait``."""

    def __init__(self, server: _Server, pid: int, stdout: IO[bytes]) -> None:
        self.server, self.pid, self.stdout = server, pid, stdout
        self.returncode: int | None = None

    def poll(self) -> int | None:
        """The exit status, or None while it runs."""
        if self.returncode is None:
            self.returncode = self.server.exit_code(self.pid, 0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the exit status (``subprocess.TimeoutExpired`` after ``timeout``)."""
        if self.returncode is None:
            self.returncode = self.server.exit_code(self.pid, timeout)
        if self.returncode is None:
            raise subprocess.TimeoutExpired("checking process", timeout or 0)
        return self.returncode

    def kill(self) -> None:
        """SIGKILL (the process, when its group is already gone)."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)


class _Server:
    """The grading process's end of the fork server."""

    def __init__(self, env: dict[str, str]) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        code = f"from wfpsim.exercise.forkserver import serve; serve({theirs.fileno()})"
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            pass_fds=(theirs.fileno(),),
            start_new_session=True,
        )
        theirs.close()
        self.sock = ours
        self.lock = threading.Lock()
        self.changed = threading.Condition()
        self.pids: dict[int, int] = {}
        self.codes: dict[int, int] = {}
        self.alive = True
        self.next_id = 0
        #: CPU seconds (user + system) of the children that ended
        self.cpu = 0.0
        threading.Thread(target=self._read, name="wfpsim-forkserver", daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                data = self.sock.recv(4096)
            except OSError:
                data = b""
            with self.changed:
                if not data:
                    self.alive = False
                    self.changed.notify_all()
                    return
                message = json.loads(data)
                if "pid" in message:
                    self.pids[int(message["req"])] = int(message["pid"])
                else:
                    self.codes[int(message["exit"])] = int(message["code"])
                    self.cpu += float(message.get("cpu", 0.0))
                self.changed.notify_all()

    def start(self, request: dict[str, Any], cwd: str, env: dict[str, str], fds: list[int]) -> int:
        """Fork a child for ``request`` with ``fds`` (output first); its pid."""
        with self.lock:
            self.next_id += 1
            number = self.next_id
            body = json.dumps({"req": number, "request": request, "cwd": cwd, "env": env})
            socket.send_fds(self.sock, [body.encode()], fds)
        with self.changed:
            while number not in self.pids:
                if not self.alive:
                    raise OSError("the fork server ended")
                self.changed.wait(5)
            return self.pids.pop(number)

    def exit_code(self, pid: int, timeout: float | None) -> int | None:
        """The child's exit status once it ended (None if not within ``timeout``)."""
        with self.changed:
            ended = self.changed.wait_for(lambda: pid in self.codes or not self.alive, timeout)
            if ended and pid in self.codes:
                return self.codes.pop(pid)
            if ended:  # the server is gone: the child's status is lost with it
                return -signal.SIGKILL
            return None


_server: _Server | None = None
_server_lock = threading.Lock()


def children_cpu() -> float:
    """CPU seconds the checking processes forked so far have used (the server's children are
    not this process's, so ``RUSAGE_CHILDREN`` does not count them)."""
    with _server_lock:
        return _server.cpu if _server is not None else 0.0


def launch(
    request: dict[str, Any], cwd: str, env: dict[str, str], keep: dict[str, int]
) -> Forked | None:
    """Start a checking process through the server (None: start it the usual way instead).

    ``keep`` names the descriptors the child gets (``result_fd``, ``read_fd``…); the request
    carries them under those names.
    """
    global _server
    if not hasattr(os, "fork") or not hasattr(socket, "send_fds"):
        return None
    if len(json.dumps(request)) > MAX_REQUEST:
        return None
    base = {k: v for k, v in env.items() if k != "WFPSIM_EXERCISES"}
    with _server_lock:
        if _server is None or not _server.alive or _server.proc.poll() is not None:
            try:
                _server = _Server(base)
            except OSError:
                return None
        server = _server
    read_end, write_end = os.pipe()
    names = list(keep)
    try:
        pid = server.start(
            {**request, "_fds": names}, cwd, env, [write_end, *(keep[n] for n in names)]
        )
    except OSError:
        os.close(read_end)
        return None
    finally:
        os.close(write_end)
    return Forked(server, pid, os.fdopen(read_end, "rb"))


# -- the server --------------------------------------------------------------------------------
def serve(fd: int) -> None:
    """The fork server's loop (module docstring): fork a child per request, report exits."""
    import importlib

    for name in _PRELOAD:
        importlib.import_module(name)
    sock = socket.socket(fileno=fd)
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    while True:
        ready, _, _ = select.select([sock.fileno(), wake_read], [], [])
        if wake_read in ready:
            os.read(wake_read, 4096)
        if sock.fileno() in ready:
            try:
                data, fds, _, _ = socket.recv_fds(sock, 1 << 16, 16)
            except InterruptedError:
                continue
            if not data:
                return
            message = json.loads(data)
            pid = os.fork()
            if pid == 0:
                _child(sock, (wake_read, wake_write), message, fds)
            for each in fds:
                os.close(each)
            sock.send(json.dumps({"req": message["req"], "pid": pid}).encode())
        _reap(sock)


def _reap(sock: socket.socket) -> None:
    while True:
        try:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        code = os.waitstatus_to_exitcode(status)
        cpu = usage.ru_utime + usage.ru_stime
        sock.send(json.dumps({"exit": pid, "code": code, "cpu": cpu}).encode())


def _child(
    sock: socket.socket, wake: tuple[int, int], message: dict[str, Any], fds: list[int]
) -> None:
    """In the forked child: become the checking process, never return."""
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        sock.close()
        for each in wake:
            os.close(each)
        os.setsid()
        output, *kept = fds
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(output, 1)
        os.dup2(output, 2)
        request = message["request"]
        for name, fd in zip(request.pop("_fds"), kept, strict=True):
            request[name] = fd
        keep = {0, 1, 2, *kept}
        for entry in os.listdir("/proc/self/fd") if os.path.isdir("/proc/self/fd") else []:
            if entry.isdigit() and int(entry) not in keep:
                with contextlib.suppress(OSError):
                    os.close(int(entry))
        os.chdir(message["cwd"])
        os.environ.clear()
        os.environ.update(message["env"])
        from wfpsim.exercise.child import serve_request

        serve_request(request)
    finally:
        os._exit(70)
