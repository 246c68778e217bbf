"""Run a scenario: build the engine, classify, check expectations, report (text or JSON)."""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from wfpsim.engine import Engine
from wfpsim.errors import WfpError
from wfpsim.scenario import Scenario, ScenarioError, load
from wfpsim.scenario_code import Code, resolve
from wfpsim.stack import Journey, Stack
from wfpsim.trace import Classification, Effect
from wfpsim.traffic import check_traffic
from wfpsim.values import display_field

#: Where the built-in scenarios live (package data).
BUILTIN_PACKAGE = "wfpsim.scenarios"


@dataclass(frozen=True, slots=True)
class ClassifyResult:
    """One ``[[classify]]`` entry's outcome and the expectations it failed."""

    index: int
    name: str
    classification: Classification
    failures: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TrafficResult:
    """One ``[[traffic]]`` entry's journey and the expectations it failed."""

    index: int
    name: str
    journey: Journey
    failures: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RunResult:
    """Everything a scenario run produced."""

    scenario: Scenario
    engine: Engine
    classifications: tuple[ClassifyResult, ...] = ()
    traffic: tuple[TrafficResult, ...] = ()
    stack: Stack | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: faults of the scenario's own code (a driver that raised), one line each
    faults: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Every entry ran and every expectation held (no fault, nothing left unchecked)."""
        failed = [r.failures for r in self.classifications] + [t.failures for t in self.traffic]
        ran_all = len(self.classifications) == len(self.scenario.classifications) and len(
            self.traffic
        ) == len(self.scenario.traffic)
        return ran_all and not self.faults and not any(failed)

    @property
    def log(self) -> list[str]:
        """Every debug-log line (DbgPrint), in order."""
        return list(self.engine.debug_log)


def builtin_scenarios() -> dict[str, Path]:
    """Built-in scenario names (file stems) and their paths."""
    folder = resources.files(BUILTIN_PACKAGE)
    return {Path(str(p)).stem: Path(str(p)) for p in folder.iterdir() if str(p).endswith(".toml")}


def find(name_or_path: str) -> Path:
    """A scenario path: an existing file wins over a built-in name."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    builtins = builtin_scenarios()
    if name_or_path in builtins:
        return builtins[name_or_path]
    raise ScenarioError(
        f"{name_or_path}: no such file and no built-in scenario of that name; built-in: "
        + ", ".join(sorted(builtins))
    )


def build(
    scenario: Scenario,
    engine: Engine | None = None,
    *,
    run_code: bool = True,
    code: Code | None = None,
) -> Engine:
    """Add the scenario's objects to an engine (a new one by default) and register callouts.

    Args:
        scenario: a loaded scenario.
        engine: add to this engine (a new one by default).
        run_code: import the Python functions the scenario names (:func:`resolve`). False
            reads the policy only: callouts naming a Python ``classify`` are added but left
            unregistered, so no code of the scenario's runs (``wfpsim draw`` does this).
        code: functions already imported by :func:`resolve` (``run_code`` is then implied).
    """
    if code is None and run_code:
        code = resolve(scenario)
    engine = engine or Engine()
    where = scenario.path
    try:
        for sub in scenario.sublayers:
            engine.add_sublayer(sub)
        for spec in scenario.callouts:
            engine.add_callout(spec.callout)
            if not spec.registered:
                continue
            if spec.builtin is not None:
                fns = (spec.builtin, None, None)
                if code is not None:
                    fns = (spec.builtin, *code.callouts[spec.callout.key][1:])
            elif code is not None:
                fns = code.callouts[spec.callout.key]
            else:
                continue  # reading only: a Python callout stays unregistered
            engine.register_callout(spec.callout.key, *fns)
    except WfpError as err:
        raise ScenarioError(f"{where}: {err}", err) from None
    for index, flt in enumerate(scenario.filters):
        try:
            engine.add_filter(flt)
        except WfpError as err:
            line = scenario.lines.get(("filter", index))
            at = f" (line {line})" if line else ""
            raise ScenarioError(
                f"{where}: [[filter]] #{index + 1} {flt.name!r}{at}: {err}", err
            ) from None
    return engine


def _fault(what: str, err: BaseException) -> str:
    """One line for an exception raised by a scenario's own code, with where it was raised."""
    frames = traceback.extract_tb(err.__traceback__)
    at = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return f"{what} raised {type(err).__name__}: {err}{at}"


def _contained(what: str, faults: list[str], fn: Any, *args: Any) -> tuple[bool, Any]:
    """Call a scenario's own function; a raise (SystemExit included) becomes a fault.

    ``KeyboardInterrupt`` is let through: it is the user stopping the run, not the code's fault.
    """
    try:
        return True, fn(*args)
    except KeyboardInterrupt:
        raise
    except BaseException as err:
        faults.append(_fault(what, err))
        return False, None


def _expected(key: str, want: Any) -> Any:
    """An ``expect`` value in the JSON shape ("" stands for null, which TOML lacks)."""
    if key == "action":
        return str(want).upper().removeprefix("FWP_ACTION_")
    if key == "filter":
        return want or None
    if key == "sublayers":
        return [
            {
                "sublayer": s.get("sublayer"),
                "action": _expected("action", s.get("action", "")),
                "filter": s.get("filter") or None,
            }
            for s in want
        ]
    if key == "callouts_invoked":
        return list(want)
    return want


def check(result: Classification, expect: Mapping[str, Any]) -> tuple[str, ...]:
    """The expectations a classification fails, as sentences.

    Keys are those of ``wfpsim run --json`` (``action``, ``filter``, ``veto``, ``absorbed``,
    ``callouts_invoked``, ``sublayers``) plus ``explains``: text the explanation must contain.
    """
    got = to_json(result, 0)
    failures = []
    for key, want in expect.items():
        if key == "explains":
            if str(want) not in got["explanation"]:
                failures.append(f"expected the explanation to say {want!r}")
            continue
        want = _expected(key, want)
        if got[key] != want:
            failures.append(f"expected {key} = {want!r}, got {got[key]!r}")
    return tuple(failures)


def run(name_or_path: str | Path, engine: Engine | None = None) -> RunResult:
    """Load, build, load drivers, classify, run the traffic, unload; check expectations.

    A driver whose constructor, ``driver_entry()`` or ``unload()`` raises — or whose
    ``driver_entry()`` returns a failure status — is a *fault* of the scenario's code: it is
    recorded in :attr:`RunResult.faults`, the entries that could not run are not checked, and
    :attr:`RunResult.ok` is False (``wfpsim run`` exits 1, never 0).
    """
    scenario = load(find(str(name_or_path)))
    code = resolve(scenario)
    engine = build(scenario, engine, code=code)
    faults: list[str] = []
    drivers = []
    for spec, factory in zip(scenario.drivers, code.drivers, strict=True):
        what = f"[[driver]] #{spec.index + 1} {spec.name!r}"
        ok, driver = _contained(f"{what}: creating it", faults, factory, engine)
        if not ok:
            break
        ok, status = _contained(f"{what}: driver_entry()", faults, driver.driver_entry)
        if not ok:
            break
        if status:
            shown = f"0x{status:08X}" if isinstance(status, int) else repr(status)
            faults.append(
                f"{what}: DriverEntry failed with status {shown} (see the debug log: "
                f"{engine.debug_log[-1:]})"
            )
            break
        drivers.append((what, driver))
    if faults:
        return RunResult(scenario, engine, faults=tuple(faults))
    results = []
    for cspec in scenario.classifications:
        for callout in cspec.unregister:
            try:
                engine.unregister_callout(callout)
            except WfpError as err:
                raise ScenarioError(
                    f"{scenario.path}: [[classify]] #{cspec.index + 1}: unregister "
                    f"{callout!r}: {err}",
                    err,
                ) from None
        c = engine.classify(cspec.layer, cspec.values)
        results.append(ClassifyResult(cspec.index, cspec.name, c, check(c, cspec.expect)))
    stack = Stack(engine, scenario.auditing, scenario.allow_events)
    journeys = []
    for t in scenario.traffic:
        try:
            journey = stack.run(
                t.kind,
                t.direction,
                t.local,
                t.remote,
                t.app,
                t.user,
                t.listening,
                t.payload,
                package=t.package,
            )
        except WfpError as err:
            raise ScenarioError(
                f"{scenario.path}: [[traffic]] #{t.index + 1}: {err}", err
            ) from None
        failures = check_traffic(journey.to_json(t.index), t.expect)
        journeys.append(TrafficResult(t.index, t.name, journey, failures))
    for what, driver in reversed(drivers):
        _contained(f"{what}: unload()", faults, driver.unload)
    return RunResult(scenario, engine, tuple(results), tuple(journeys), stack, faults=tuple(faults))


def save_pcaps(result: RunResult, directory: str | Path) -> list[Path]:
    """``wfpsim run FILE --pcap DIR``: one ``<scenario>-<n>.pcapng`` per ``[[traffic]]`` entry.

    The folder is created if needed.

    Raises:
        InvalidParameterError: the folder or a file cannot be written (the reason is named).
    """
    from wfpsim.errors import InvalidParameterError

    folder = Path(directory)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InvalidParameterError(f"cannot make folder {folder}: {err.strerror}") from None
    stem = Path(result.scenario.path).stem or "scenario"
    return [t.journey.save_pcap(folder / f"{stem}-{t.index}.pcapng") for t in result.traffic]


def to_json(c: Classification, index: int) -> dict[str, Any]:
    """One classification in the ``wfpsim run --json`` shape."""
    return {
        "index": index,
        "layer": c.layer,
        "action": c.action.name,
        "filter": c.filter_name,
        "veto": c.veto,
        "absorbed": c.absorbed,
        "callouts_invoked": list(c.callouts_invoked),
        "sublayers": [
            {"sublayer": s.name, "action": s.result.name, "filter": s.result_filter}
            for s in c.sublayers
        ],
        "explanation": c.explain(),
    }


def report_json(result: RunResult) -> dict[str, Any]:
    """The whole ``wfpsim run --json`` document."""
    out = []
    for r in result.classifications:
        item = to_json(r.classification, r.index)
        if r.failures:
            item["expectation_failures"] = list(r.failures)
        out.append(item)
    doc: dict[str, Any] = {"classifications": out}
    if result.faults:
        doc["faults"] = list(result.faults)
    if result.scenario.traffic or result.scenario.drivers:
        traffic = []
        for t in result.traffic:
            item = t.journey.to_json(t.index)
            if t.failures:
                item["expectation_failures"] = list(t.failures)
            traffic.append(item)
        doc["traffic"] = traffic
        doc["log"] = result.log
    if result.stack is not None and result.scenario.auditing:
        doc["audit_events"] = [
            {
                "event_id": a.event_id,
                "layer": a.layer,
                "filter_id": a.filter_id,
                "direction": a.direction.value.capitalize(),  # "Inbound", as Event Viewer
                "source": a.source,
                "destination": a.destination,
            }
            for a in result.stack.events.audit_events
        ]
    return {**doc, **result.extra}


def _values_text(c: Classification) -> str:
    shown = [
        f"{k.removeprefix('FWPM_CONDITION_')}={display_field(k, v)}"
        for k, v in c.values.items()
        if not v.is_empty
    ]
    return ", ".join(shown) or "(no values: every field FWP_EMPTY)"


def report_text(result: RunResult) -> str:
    """A readable report: each classification's trace, sublayer by sublayer, and why."""
    sc = result.scenario
    lines = [f"Scenario: {sc.title}  ({sc.path})"]
    if sc.description:
        lines.append(sc.description)
    for r in result.classifications:
        c = r.classification
        title = f" {r.name}" if r.name else ""
        lines += ["", f"#{r.index}{title}  at {c.layer}: {_values_text(c)}"]
        for sub in c.sublayers:
            lines.append(f"  sublayer {sub.name} (weight {sub.weight}) -> {sub.result.name}")
            for step in sub.steps:
                mark = {Effect.NO_MATCH: "  ", Effect.SKIPPED: "··"}.get(step.effect, "=>")
                text = f"    {mark} [{step.filter_id}] {step.name!r} {step.action.name}: "
                text += step.effect.value
                if step.failed_condition:
                    text += f" ({step.failed_condition})"
                if step.callout:
                    cc = step.callout
                    right = "with" if cc.had_write_right else "without"
                    text += (
                        f"; callout {cc.callout!r} called {right} the write right, "
                        f"saw {cc.saw_action.name}, returned {cc.normalized.name}"
                    )
                lines.append(text)
        lines.append(
            f"  RESULT: {c.action.name}" + (f" by {c.filter_name!r}" if c.filter_name else "")
        )
        lines += ["  " + line for line in c.explain().splitlines()]
        lines += [f"  EXPECTATION FAILED: {f}" for f in r.failures]
    for t in result.traffic:
        title = f" {t.name}" if t.name else ""
        lines += ["", f"traffic #{t.index}{title}"]
        lines += ["  " + line for line in t.journey.describe().splitlines()]
        lines += [f"  log: {line}" for line in t.journey.log]
        lines += [f"  EXPECTATION FAILED: {f}" for f in t.failures]
    lines += [f"FAULT: {f}" for f in result.faults]
    if result.faults:
        lines.append("the scenario's own code faulted: its entries were not all run or checked")
    checked = [r.failures for r in result.classifications if sc.classifications[r.index].expect]
    checked += [t.failures for t in result.traffic if sc.traffic[t.index].expect]
    if checked:
        held = sum(1 for failures in checked if not failures)
        lines += ["", f"expectations: {held} of {len(checked)} checked entries hold"]
    return "\n".join(lines)
