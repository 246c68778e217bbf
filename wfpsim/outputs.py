"""Checking an output path (``--out``) before any work is done.

``wfpsim draw`` and ``wfpsim animate`` write one file. A path that cannot be written is bad
input (exit status 2) with the reason, found *before* the scenario runs: a folder that does not
exist (created only when asked, ``--parents``), a file used as a folder, a folder or a special
file (device, pipe, socket) where the file should go, or a place we may not write.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from wfpsim.errors import InvalidParameterError


def _reason(err: OSError) -> str:
    return err.strerror or type(err).__name__


def check_out(path: str | os.PathLike[str], *, parents: bool = False) -> Path:
    """Check that ``path`` can be written as a regular file; return it.

    Args:
        path: the output file.
        parents: create missing parent folders (otherwise a missing folder is an error).

    Raises:
        InvalidParameterError: the reason the file cannot be written, naming the path.

    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> check_out(folder)
    Traceback (most recent call last):
    ...
    wfpsim.errors.InvalidParameterError: FWP_E_INVALID_PARAMETER ...: --out ... is a folder; ...
    """
    target = Path(path)
    if str(path) == "":
        raise InvalidParameterError("--out is empty; give the file to write")
    # An ancestor that exists but is not a folder: "a file used as a folder".
    for ancestor in reversed(target.parents):
        if ancestor.exists() and not ancestor.is_dir():
            raise InvalidParameterError(
                f"--out {path}: {ancestor} is a file, not a folder, so nothing can be written "
                "inside it"
            )
    parent = target.parent
    if not parent.exists():
        if not parents:
            raise InvalidParameterError(
                f"--out {path}: the folder {parent} does not exist; create it first, or pass "
                "--parents to create it"
            )
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise InvalidParameterError(
                f"--out {path}: cannot create the folder {parent} ({_reason(err)})"
            ) from None
    if target.is_dir():
        raise InvalidParameterError(f"--out {path}: {path} is a folder; give a file name inside it")
    if target.exists():
        mode = target.stat().st_mode
        if not stat.S_ISREG(mode):
            raise InvalidParameterError(
                f"--out {path}: not a regular file (a device, pipe or socket); give a file path"
            )
        try:
            with target.open("ab"):
                pass
        except OSError as err:
            raise InvalidParameterError(f"--out {path}: cannot write it ({_reason(err)})") from None
        return target
    # Probe by creating the file, then remove it: permission and read-only file systems show
    # here, before the work is done (os.access is wrong for root and for some file systems).
    try:
        with target.open("xb"):
            pass
    except OSError as err:
        raise InvalidParameterError(f"--out {path}: cannot write it ({_reason(err)})") from None
    target.unlink()
    return target
