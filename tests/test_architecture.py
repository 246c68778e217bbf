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


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, module: str | None = None) -> list[tuple[str, bool]]:
    """Every import in a module, as (module, at module level?): ``import``, ``from … import``
    (relative ones resolved), and ``importlib.import_module("…")`` / ``__import__("…")``
    with a literal name, wherever they are (functions included)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    module = module or _module_name(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, top: bool) -> None:
        if isinstance(node, ast.Import):
            found.extend((a.name, top) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.append((name, top))
            found.extend((f"{name}.{a.name}", top) for a in node.names)
        elif isinstance(node, ast.Call):
            fn = node.func
            called = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")
            if called in ("import_module", "__import__") and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.append((arg.value, top))
        inner = top and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        for child in ast.iter_child_nodes(node):
            visit(child, inner)

    visit(tree, True)
    return found


def imported_modules(path: Path) -> set[str]:
    return {name for name, _ in imports(path)}


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


def _is_viz(name: str) -> bool:
    return name.split(".")[0] in VIZ_LIBS or name.startswith("wfpsim.viz")


def test_engine_never_imports_viz() -> None:
    """The rule: the engine never imports wfpsim.viz or a drawing/widget library, in any way
    (nested, relative or through importlib); the CLI (wfpsim/cli.py) may, lazily, inside the
    command that draws — never at module level."""
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        if "viz" in rel.parts:
            continue
        for name, top in imports(path):
            if rel == Path("cli.py"):
                assert not (top and _is_viz(name)), (path, name)
            else:
                assert not _is_viz(name), (path, name)


def test_the_engine_never_imports_the_analysis_layer() -> None:
    """wfpsim.analysis (explain, lint, diff, what-if) sits above the engine: no engine module
    imports it; only the CLI's command table, the viz and the exercise checks read it."""
    above = {"analysis", "viz", "exercise"}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        if above & set(rel.parts) or rel == Path("cli.py"):
            continue
        for name, _top in imports(path):
            assert not name.startswith("wfpsim.analysis"), (path, name)


def test_the_import_scanner_sees_every_kind_of_import(tmp_path: Path) -> None:
    """The scanner above finds nested, relative and importlib imports (so the rule can fail)."""
    mod = tmp_path / "probe.py"
    mod.write_text(
        "import importlib\n"
        "def f():\n"
        "    from .viz import svg\n"
        "    importlib.import_module('wfpsim.viz.export')\n"
        "    __import__('graphviz')\n"
    )
    found = imports(mod, "wfpsim.probe")
    assert ("wfpsim.viz", False) in found and ("wfpsim.viz.export", False) in found
    assert ("graphviz", False) in found and ("importlib", True) in found


def test_layers_command_loads_only_what_it_uses() -> None:
    """`wfpsim layers` imports neither viz, the dump importer, the runner, the stack nor
    xml.sax (which would pull in urllib, http and email)."""
    code = (
        "import sys, json, io, contextlib; from wfpsim.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()): main(['layers'])\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout))
    for unwanted in ("wfpsim.viz", "wfpsim.netsh", "wfpsim.runner", "wfpsim.stack", "xml.sax"):
        assert not any(m == unwanted or m.startswith(unwanted + ".") for m in loaded), unwanted
    for unwanted in ("http", "email", "xml.etree"):
        assert unwanted not in loaded, unwanted


def test_run_command_loads_no_drawing_code() -> None:
    """`wfpsim run` loads the runner and the stack, but not viz, the dump importer or xml."""
    code = (
        "import sys, json, io, contextlib; from wfpsim.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()): main(['run', 'starter-kit'])\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout))
    assert "wfpsim.runner" in loaded and "wfpsim.stack" in loaded
    for unwanted in ("wfpsim.viz", "wfpsim.netsh", "xml.sax", "xml.etree", "http", "email"):
        assert not any(m == unwanted or m.startswith(unwanted + ".") for m in loaded), unwanted


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
