"""The static figures in docs/images/ are drawn from the engine and cannot drift from it."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def figures() -> ModuleType:
    spec = importlib.util.spec_from_file_location("figures", ROOT / "tools" / "figures.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["layer-order", "effective-weight"])
def test_committed_figure_matches_the_engine(name: str) -> None:
    """Regenerating the DOT text gives the committed file; the SVG and PNG are committed too."""
    build = figures().FIGURES[name]
    committed = (ROOT / "docs" / "images" / f"{name}.dot").read_text(encoding="utf-8")
    assert build() == committed, f"docs/images/{name} is stale: run python tools/figures.py"
    for suffix in ("svg", "png"):
        assert (ROOT / "docs" / "images" / f"{name}.{suffix}").stat().st_size > 1000


def test_layer_order_rows_follow_the_stack() -> None:
    """TCP outbound: ALE connect before any SYN; the FIN sent and received are separate rows."""
    rows = figures().conversation_rows(("tcp", "outbound", "10.0.0.5:0", "198.51.100.7:443"))
    events = [event for event, _ in rows]
    assert events.index("connect()") < events.index("SYN sent")
    assert "FIN sent" in events and "FIN received" in events
    assert dict(rows)["connect()"] == ["ALE_CONNECT_REDIRECT_V4", "ALE_AUTH_CONNECT_V4"]


def test_readme_shows_the_figures() -> None:
    """The README shows both figures."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/images/layer-order.png" in readme and "docs/images/effective-weight.png" in readme
