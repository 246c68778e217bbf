"""The GitHub Pages workflow (.github/workflows/) can only run on GitHub: keep it honest here.

Every command a workflow step runs must exist in this checkout (a script moved or renamed would
otherwise break publishing silently); the build step must be the very command the README
documents, with what it needs set up before it (Python >= 3.11 and npm, as ``scripts/site``
says); the folder uploaded must be the one ``scripts/site`` writes; and the site must be
deployed by the Pages actions with the permissions they need.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import re
import shlex
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
#: Programs a step may call that the runner (or a setup action before it) provides.
PROGRAMS = {
    "python3": "actions/setup-python",
    "python": "actions/setup-python",
    "pip": "actions/setup-python",
    "npm": "actions/setup-node",
    "node": "actions/setup-node",
}
SHELL_WORDS = {"set", "cd", "echo", "test", "[", "export", "ls", "du", "cat"}


def load(path: Path) -> dict[str, Any]:
    """A workflow as a dict; YAML 1.1 reads the key ``on`` as True, so it is put back."""
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict), f"{path.name} is not a YAML mapping"
    if True in data:
        data["on"] = data.pop(True)
    return data


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for job in workflow["jobs"].values() for s in job.get("steps", [])]


def commands(run: str) -> list[list[str]]:
    """The simple commands of a ``run:`` script, as words (``&&``, ``;``, ``|`` split them)."""
    out = []
    for line in run.splitlines():
        line = line.split(" #", 1)[0].strip()
        for part in re.split(r"&&|\|\||;|\|", line):
            words = shlex.split(part)
            if words:
                out.append(words)
    return out


def site_script() -> ModuleType:
    """scripts/site loaded as a module (it has no .py suffix)."""
    path = ROOT / "scripts" / "site"
    loader = importlib.machinery.SourceFileLoader("scripts_site", str(path))
    spec = importlib.util.spec_from_loader("scripts_site", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def readme_commands() -> list[str]:
    """The commands of the README's set-up block (``scripts/lab``, ``scripts/test``, ...)."""
    text = (ROOT / "README.md").read_text()
    block = text.split("```bash", 1)[1].split("```", 1)[0]
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip()]


def test_there_is_a_pages_workflow() -> None:
    """At least one workflow, and one of them deploys to GitHub Pages."""
    assert WORKFLOWS, "no workflow in .github/workflows/"
    uses = [s.get("uses", "") for wf in WORKFLOWS for s in steps(load(wf))]
    assert any(u.startswith("actions/deploy-pages@") for u in uses), uses


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_command_a_step_runs_exists(path: Path) -> None:
    """Each script a step runs is in the checkout (executable when run directly); other
    programs are the ones a setup action before the step provides."""
    wf = load(path)
    for job_name, job in wf["jobs"].items():
        seen_uses: list[str] = []
        for step in job.get("steps", []):
            if "uses" in step:
                seen_uses.append(step["uses"].split("@")[0])
                continue
            for words in commands(step.get("run", "")):
                program, args = words[0], words[1:]
                if "/" in program:
                    target = ROOT / program
                    assert target.is_file(), f"{path.name} {job_name}: {program} does not exist"
                    assert os.access(target, os.X_OK), f"{program} is not executable"
                elif program in PROGRAMS:
                    assert PROGRAMS[program] in seen_uses, (
                        f"{path.name} {job_name}: {program} runs before {PROGRAMS[program]}"
                    )
                    scripts = [a for a in args if not a.startswith("-") and "/" in a]
                    for script in scripts[:1]:
                        assert (ROOT / script).is_file(), f"{path.name}: {script} does not exist"
                else:
                    assert program in SHELL_WORDS, f"{path.name} {job_name}: unknown {program!r}"


def test_the_build_step_is_the_command_the_readme_documents() -> None:
    """The step that builds the site runs exactly the README's ``scripts/site``, after Python
    (>= 3.11, as scripts/site needs) and Node (npm) are set up, and uploads what it writes."""
    documented = [c for c in readme_commands() if c.startswith("scripts/site")]
    assert documented == ["scripts/site"], readme_commands()
    builds = [
        (path, job)
        for path in WORKFLOWS
        for job in load(path)["jobs"].values()
        if any("scripts/site" in s.get("run", "") for s in job.get("steps", []))
    ]
    assert len(builds) == 1, f"scripts/site should be built by one job: {builds}"
    path, job = builds[0]
    names = [s.get("uses", "").split("@")[0] or s.get("run", "").strip() for s in job["steps"]]
    build = names.index("scripts/site")  # the very command, nothing added
    python = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python"))
    version = tuple(int(n) for n in str(python["with"]["python-version"]).split(".")[:2])
    assert version >= (3, 11), f"scripts/site needs Python >= 3.11, {path.name} sets {version}"
    assert names.index("actions/setup-python") < build
    assert names.index("actions/setup-node") < build
    assert names.index("actions/checkout") < build
    upload = job["steps"][names.index("actions/upload-pages-artifact")]
    out = Path(site_script().parser().parse_args([]).out)
    assert out == ROOT / upload["with"]["path"], (out, upload["with"]["path"])
    assert names.index("actions/upload-pages-artifact") > build


def test_the_pages_deployment_has_what_it_needs() -> None:
    """Runs on pushes to main (and by hand), with pages: write and id-token: write, and the
    deploy job waits for the build."""
    (path,) = [p for p in WORKFLOWS if "deploy-pages" in p.read_text()]
    wf = load(path)
    assert "main" in wf["on"]["push"]["branches"]
    assert "workflow_dispatch" in wf["on"]
    assert wf["permissions"]["pages"] == "write" and wf["permissions"]["id-token"] == "write"
    deploy = next(
        j
        for j in wf["jobs"].values()
        if any(s.get("uses", "").startswith("actions/deploy-pages@") for s in j["steps"])
    )
    build = next(n for n, j in wf["jobs"].items() if j is not deploy)
    assert deploy["needs"] == build or build in deploy["needs"]
    assert deploy["environment"]["name"] == "github-pages"


def test_scripts_site_is_ignored_by_git_where_it_writes() -> None:
    """site/ and build/ (what the build writes) are never committed by accident."""
    ignored = (ROOT / ".gitignore").read_text().split()
    assert "site/" in ignored and "build/" in ignored
