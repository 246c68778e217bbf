"""Every notebook runs clean, is committed without outputs and holds prose and calls only."""

import ast
import json
import os
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def cells(path: Path) -> list[dict[str, object]]:
    return json.loads(path.read_text())["cells"]  # type: ignore[no-any-return]


def source(cell: dict[str, object]) -> str:
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else str(src)


#: Callout functions are the subject of the callout notebooks, not helpers: a function whose
#: parameters are exactly those of classifyFn, notifyFn or flowDeleteFn is allowed.
CALLOUT_SIGNATURES = [
    [
        "in_fixed_values",
        "in_meta_values",
        "layer_data",
        "classify_context",
        "filter",
        "flow_context",
        "classify_out",
    ],
    ["notify_type", "filter_key", "filter"],
    ["layer_id", "callout_id", "flow_context"],
]


def is_callout_function(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.FunctionDef) and [a.arg for a in node.args.args] in CALLOUT_SIGNATURES
    )


def test_there_are_notebooks() -> None:
    """The tutorials exist."""
    assert len(NOTEBOOKS) >= 2


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path: Path) -> None:
    """No outputs or execution counts are committed."""
    for cell in cells(path):
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [] and cell.get("execution_count") is None, path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_prose_first_and_no_helpers(path: Path) -> None:
    """More markdown than code cells; no functions or classes defined in a notebook."""
    kinds = [c["cell_type"] for c in cells(path)]
    assert kinds.count("markdown") > kinds.count("code"), path.name
    for cell in cells(path):
        if cell["cell_type"] != "code":
            continue
        tree = ast.parse(source(cell))
        defs = [
            n
            for n in ast.walk(tree)
            if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.Lambda))
            and not is_callout_function(n)
        ]
        assert not defs, (
            f"{path.name}: move {getattr(defs[0], 'name', 'a lambda')} into the package"
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_executes(path: Path) -> None:
    """The notebook runs top to bottom in a fresh kernel without an error."""
    if os.environ.get("CI"):
        import nbclient
        import nbformat
    else:
        nbclient = pytest.importorskip("nbclient")
        nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"
    ]
    assert not errors
