"""House rules: a standard-library engine, viz never imported by it, a stated public API."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import wfpsim

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "wfpsim"
VIZ_LIBS = {"graphviz", "networkx", "ipywidgets", "anywidget", "IPython", "matplotlib"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_import_wfpsim_loads_only_the_standard_library() -> None:
    """`import wfpsim` brings in no third-party module."""
    code = (
        "import sys, json; before = set(sys.modules); import wfpsim, wfpsim.ids, wfpsim.cli; "
        "print(json.dumps(sorted(set(sys.modules) - before)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    new = json.loads(out.stdout)
    foreign = [
        m
        for m in new
        if m.split(".")[0] not in sys.stdlib_module_names and not m.startswith(("wfpsim", "_"))
    ]
    assert foreign == []


def test_engine_never_imports_viz() -> None:
    """No module outside wfpsim/viz imports a drawing/widget library or wfpsim.viz."""
    for path in PACKAGE.rglob("*.py"):
        if "viz" in path.relative_to(PACKAGE).parts:
            continue
        for name in imported_modules(path):
            assert name.split(".")[0] not in VIZ_LIBS, (path, name)
            assert not name.startswith("wfpsim.viz"), (path, name)


def test_modules_stay_small() -> None:
    """One concept per module, around 400 lines at most (hard limit 450)."""
    for path in PACKAGE.rglob("*.py"):
        assert len(path.read_text().splitlines()) <= 450, path


def test_all_is_sorted_and_in_the_readme() -> None:
    """__all__ is sorted and the README's API list names exactly these."""
    assert list(wfpsim.__all__) == sorted(wfpsim.__all__)
    readme = (ROOT / "README.md").read_text()
    start = readme.index("<!-- api -->")
    end = readme.index("<!-- /api -->")
    listed = {
        line.strip("-* `").split("`")[0]
        for line in readme[start:end].splitlines()[1:]
        if line.strip()
    }
    assert listed == set(wfpsim.__all__)
    for name in wfpsim.__all__:
        assert hasattr(wfpsim, name)


def test_catalog_is_package_data() -> None:
    """The catalog ships as one JSON file inside the package."""
    data = json.loads((PACKAGE / "catalog" / "data" / "catalog.json").read_text())
    assert len(data["layers"]) == 99


def test_objects_show_themselves_in_notebooks() -> None:
    """Engines, filters, classifications and journeys have an HTML representation."""
    from wfpsim import Engine, Filter
    from wfpsim.stack import Stack

    engine = Engine()
    flt = engine.add_filter(Filter("no telnet", "ALE_AUTH_CONNECT_V4", "BLOCK"))
    assert "no telnet" in engine._repr_html_() and "<table>" in engine._repr_html_()
    assert "no telnet" in flt._repr_html_()
    c = engine.classify("ALE_AUTH_CONNECT_V4")
    assert "BLOCK by" in c._repr_html_() and "<table>" in c._repr_html_()
    j = Stack(engine).run("tcp", "outbound", "10.0.0.5:0", "8.8.8.8:23")
    assert "ALE_AUTH_CONNECT_V4" in j._repr_html_()
