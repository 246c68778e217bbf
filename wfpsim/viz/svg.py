r"""Pictures: DOT source rendered by Graphviz's ``dot`` program, plus the shared drawing style.

A :class:`Picture` holds the DOT text of a drawing. It runs ``dot`` the first time its SVG is
asked for (``.svg``, Jupyter's ``_repr_svg_``, ``save``) and keeps the result, so showing a picture
twice costs one run. ``dot`` is called directly with :mod:`subprocess`, not through the
``graphviz`` Python package: the DOT text is all we build, and the only thing needed at run time
is the ``dot`` program itself (Debian/Ubuntu ``apt-get install graphviz``, conda ``graphviz``).

Where no ``dot`` program exists — the browser classroom (JupyterLite: Python on Pyodide, where
no program can run) — a picture shown in a notebook is sent to the page as DOT and drawn there by
Graphviz compiled to WebAssembly (:mod:`wfpsim.viz.browser`, :class:`wfpsim.viz.widgets.Drawing`).
The same notebook code works in both; only ``.svg``, ``png()`` and ``save()`` to SVG/PNG need
the program (a :class:`GraphvizError` says so). ``WFPSIM_DOT=page`` asks for the page's Graphviz
even where ``dot`` exists.

>>> pic = Picture('digraph { a -> b }')
>>> pic.source
'digraph { a -> b }'
>>> print(quote('C:\\IIS.exe says "hi"'))
"C:\\IIS.exe says \"hi\""
>>> html('<port 80> & "443"')
'&lt;port 80&gt; &amp; &quot;443&quot;'
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from wfpsim.errors import InvalidParameterError, WfpError
from wfpsim.objects import Action

#: What :meth:`Picture.save` writes, by file suffix.
SUFFIXES = (".svg", ".png", ".dot")

#: Fonts for every picture (SVG keeps the list; PNG takes the first one installed).
FONT = "Helvetica,Arial,sans-serif"

#: Action → (fill, border, text) colours, shared by every picture and its legend.
PALETTE: dict[Action, tuple[str, str, str]] = {
    Action.PERMIT: ("#dff3e0", "#2e7d32", "#1b5e20"),
    Action.BLOCK: ("#fde0dc", "#c62828", "#8e0000"),
    Action.CALLOUT_TERMINATING: ("#ffecc7", "#e65100", "#8a3a00"),
    Action.CALLOUT_UNKNOWN: ("#ffecc7", "#e65100", "#8a3a00"),
    Action.CALLOUT_INSPECTION: ("#dceefc", "#1565c0", "#0d3c78"),
    Action.CONTINUE: ("#dceefc", "#1565c0", "#0d3c78"),
    Action.NONE: ("#f1f1f1", "#757575", "#424242"),
    Action.NONE_NO_MATCH: ("#f1f1f1", "#757575", "#424242"),
}

#: The words the legends use for each filter action's colour.
LEGEND: tuple[tuple[Action, str], ...] = (
    (Action.PERMIT, "PERMIT (green)"),
    (Action.BLOCK, "BLOCK (red)"),
    (Action.CALLOUT_TERMINATING, "callout: terminating / unknown (orange)"),
    (Action.CALLOUT_INSPECTION, "callout: inspection (blue)"),
)

#: Grey for things that did not take part (no match, skipped).
GREY = ("#f5f5f5", "#9e9e9e", "#757575")


class GraphvizError(WfpError):
    """The ``dot`` program is missing or failed; the message says what to install or fix."""

    code = "WFPSIM_E_GRAPHVIZ"
    hresult = 0x80070002  # HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)

    def __str__(self) -> str:
        return self.message


def colors(action: Action) -> tuple[str, str, str]:
    """The (fill, border, text) colours of an action.

    >>> colors(Action.BLOCK)[1]
    '#c62828'
    """
    return PALETTE.get(action, GREY)


def quote(text: object) -> str:
    """A DOT double-quoted string: backslashes and quotes escaped, newlines as ``\\n``."""
    s = str(text).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + s.replace("\r\n", "\n").replace("\n", "\\n") + '"'


def html(text: object) -> str:
    """Text safe inside a DOT HTML-like label (``<…>``): XML special characters escaped."""
    s = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return s.replace('"', "&quot;")


def shorten(text: str, limit: int = 48) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis, so one long value cannot widen a node.

    >>> shorten("a" * 10, 6)
    'aaaaa…'
    """
    return text if len(text) <= limit else text[: limit - 1] + "…"


def attrs(**values: object) -> str:
    """``[k="v", …]`` for DOT; ``None`` values are left out, ``label_html`` becomes ``label=<…>``.

    >>> attrs(id="f-1", label_html="<B>x</B>", tooltip=None)
    '[id="f-1", label=<<B>x</B>>]'
    """
    parts = []
    for key, value in values.items():
        if value is None:
            continue
        if key == "label_html":
            parts.append(f"label=<{value}>")
        else:
            parts.append(f"{key}={quote(value)}")
    return "[" + ", ".join(parts) + "]"


#: ``$WFPSIM_DOT`` set to this: draw in the page (WebAssembly Graphviz), never run ``dot``.
PAGE = "page"


def dot_available() -> bool:
    """Whether the ``dot`` program can run here (False in the browser: Pyodide runs no programs).

    >>> dot_available() in (True, False)
    True
    """
    if sys.platform == "emscripten" or os.environ.get("WFPSIM_DOT") == PAGE:
        return False
    return bool(os.environ.get("WFPSIM_DOT") or shutil.which("dot"))


def dot_program() -> str:
    """The path of Graphviz's ``dot`` (``$WFPSIM_DOT`` wins), or a :class:`GraphvizError`."""
    path = os.environ.get("WFPSIM_DOT") or shutil.which("dot")
    if sys.platform == "emscripten" or path == PAGE:
        raise GraphvizError(
            "there is no 'dot' program here (the browser classroom runs Python in the page, "
            "where no program can run): a picture shown in a notebook is drawn by the page's "
            "WebAssembly Graphviz instead, but its SVG text, PNG and saved SVG/PNG files need "
            "'dot' (JupyterLab with Graphviz installed); save(...'.dot') works everywhere"
        )
    if not path:
        raise GraphvizError(
            "the Graphviz program 'dot' was not found on PATH; pictures need it. Install "
            "Graphviz: 'sudo apt-get install graphviz' (Debian/Ubuntu), 'conda install -c "
            "conda-forge graphviz' (conda), 'brew install graphviz' (macOS); or set WFPSIM_DOT "
            "to the program's path"
        )
    return path


def run_dot(source: str, fmt: str, *extra: str) -> bytes:
    """Run ``dot -T<fmt>`` on ``source``; its output, or a :class:`GraphvizError`."""
    program = dot_program()
    try:
        done = subprocess.run(
            [program, f"-T{fmt}", *extra],
            input=source.encode("utf-8"),
            capture_output=True,
            check=False,
            timeout=300,
        )
    except OSError as err:
        raise GraphvizError(f"could not run {program!r}: {err}") from None
    except subprocess.TimeoutExpired:
        raise GraphvizError(f"{program!r} took more than 300 s to lay out the picture") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise GraphvizError(f"'dot -T{fmt}' failed (exit status {done.returncode}): {message}")
    return done.stdout


def check_suffix(path: str | os.PathLike[str]) -> str:
    """The file's suffix (lower case) if :meth:`Picture.save` can write it.

    >>> check_suffix("graph.PNG")
    '.png'
    """
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        what = repr(suffix) if suffix else "a file without a suffix"
        raise InvalidParameterError(
            f"cannot save a picture as {what} ({os.fspath(path)}); "
            f"valid suffixes: {', '.join(SUFFIXES)}"
        )
    return suffix


class Picture:
    """A drawing as DOT source, rendered by ``dot`` on first use and then cached.

    Args:
        source: the DOT text.

    Shown in Jupyter as SVG (``_repr_svg_``), or, where no ``dot`` program exists, as a
    :class:`~wfpsim.viz.widgets.Drawing` that the page's WebAssembly Graphviz draws
    (``_repr_mimebundle_``); ``.svg`` is the SVG text; ``save(path)`` writes ``.svg``, ``.png``
    or ``.dot`` by the file's suffix.
    """

    __slots__ = ("_cache", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        self._cache: dict[tuple[str, ...], bytes] = {}

    def render(self, fmt: str = "svg", *extra: str) -> bytes:
        """The output of ``dot -T<fmt>`` (cached per format and options)."""
        key = (fmt, *extra)
        if key not in self._cache:
            self._cache[key] = run_dot(self.source, fmt, *extra)
        return self._cache[key]

    @property
    def svg(self) -> str:
        """The picture as an SVG document (``dot`` runs once; later calls reuse it)."""
        return self.render("svg").decode("utf-8")

    def png(self, dpi: int = 96) -> bytes:
        """The picture as PNG bytes at ``dpi`` dots per inch."""
        return self.render("png", f"-Gdpi={int(dpi)}")

    def _repr_svg_(self) -> str | None:
        return self.svg if dot_available() else None

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        """Where ``dot`` cannot run: the widget that draws this DOT in the page (else None)."""
        if dot_available():
            return None
        return self.drawing()._repr_mimebundle_(include=include, exclude=exclude)

    def drawing(self) -> Any:
        """A :class:`~wfpsim.viz.widgets.Drawing` of this picture (drawn by the page's Graphviz)."""
        from wfpsim.viz.widgets import Drawing

        return Drawing(self.source)

    def save(self, path: str | os.PathLike[str], *, dpi: int = 96) -> Path:
        """Write the picture to ``path``: ``.svg``, ``.png`` (at ``dpi``) or ``.dot``, by suffix.

        Returns:
            The path written.

        Raises:
            InvalidParameterError: the suffix is none of ``.svg``, ``.png``, ``.dot``.
            GraphvizError: ``dot`` is missing or failed (not for ``.dot``, which needs no ``dot``).
        """
        suffix = check_suffix(path)
        target = Path(path)
        if suffix == ".dot":
            target.write_text(self.source, encoding="utf-8")
        elif suffix == ".svg":
            target.write_bytes(self.render("svg"))
        else:
            target.write_bytes(self.png(dpi))
        return target

    def __repr__(self) -> str:
        lines = self.source.count("\n") + 1
        return f"<Picture: {lines} lines of DOT{', rendered' if self._cache else ''}>"
