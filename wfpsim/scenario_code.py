"""Importing the Python a scenario names — done only when a scenario runs.

A scenario may name Python: callout functions (``classify``, ``notify``, ``flow_delete``) and
drivers (``[[driver]] load``), as ``"package.module:function"``. Loading a scenario
(:func:`wfpsim.scenario.load`) checks only the shape of these names; reading or drawing a
policy imports nothing. :func:`resolve` imports them — running their modules' code, as running
a script does — and checks each one can be called the way the engine will call it; the runner
calls it before anything runs.
"""

from __future__ import annotations

import importlib
import inspect
import sys
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wfpsim.scenario import Scenario, ScenarioError


def resolve_function(spec: str, base: Path | None) -> Callable[..., Any]:
    """Import ``package.module:function``; the scenario's folder is searched too.

    This runs the module's code: only :mod:`wfpsim.runner` calls it, when a scenario runs.
    """
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ValueError(f"{spec!r} is not 'package.module:function'")
    try:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            if base is None:
                raise
            sys.path.insert(0, str(base))
            try:
                module = importlib.import_module(module_name)
            finally:
                sys.path.remove(str(base))
    except ImportError as err:
        raise ValueError(
            f"cannot import {module_name!r} for {spec!r} ({err}); put the module on the Python "
            "path or next to the scenario file"
        ) from None
    except KeyboardInterrupt:
        raise
    except BaseException as err:  # the module's own code failed while importing: its fault
        frames = traceback.extract_tb(err.__traceback__)
        at = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
        raise ValueError(
            f"importing {module_name!r} for {spec!r} raised {type(err).__name__}: {err}{at}"
        ) from None
    fn: Any = module
    for part in attr.split("."):
        fn = getattr(fn, part, None)
    if not callable(fn):
        raise ValueError(f"{module_name} has no function {attr!r}")
    return fn  # type: ignore[no-any-return]


#: How many positional arguments each kind of scenario function is called with.
ARITY = {"classify": 7, "notify": 3, "flow_delete": 3, "load": 1}
SIGNATURES = {
    "classify": "classify(in_fixed_values, in_meta_values, layer_data, classify_context, "
    "filter, flow_context, classify_out)",
    "notify": "notify(notify_type, filter_key, filter)",
    "flow_delete": "flow_delete(layer_id, callout_id, flow_context)",
    "load": "Driver(engine)",
}


@dataclass(frozen=True, slots=True)
class Code:
    """The Python a scenario names, imported: callout functions by callout key, drivers in order."""

    callouts: Mapping[Any, tuple[Any, Any, Any]] = field(default_factory=dict)
    drivers: tuple[Any, ...] = ()


def _check_signature(fn: Any, key: str, spec: str) -> None:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return  # a builtin without a signature: called as given
    try:
        sig.bind(*([None] * ARITY[key]))
    except TypeError:
        raise ValueError(
            f"{key} = {spec!r}: {fn.__qualname__}{sig} cannot be called as "
            f"{SIGNATURES[key]} ({ARITY[key]} arguments)"
        ) from None


def resolve(scenario: Scenario) -> Code:
    """Import the functions and drivers the scenario names and check their signatures.

    This runs the named modules' code (as running a script does); it is the only place a
    scenario's Python is imported. Reading or drawing a scenario never calls it.

    Raises:
        ScenarioError: a module that cannot be imported, a missing or uncallable attribute,
            or a function of the wrong signature — naming the entry and its line.
    """
    base = Path(scenario.path).parent if Path(scenario.path).name else None

    def get(section: str, index: int, name: str, key: str, spec: str) -> Any:
        try:
            fn = resolve_function(spec, base)
            _check_signature(fn, key, spec)
        except ValueError as err:
            line = scenario.lines.get((section, index))
            at = f" (line {line})" if line else ""
            raise ScenarioError(
                f"{scenario.path}: [[{section}]] #{index + 1} {name!r}{at}: {err}"
            ) from None
        return fn

    def maybe(c: Any, key: str, ref: str | None) -> Any:
        return get("callout", c.index, c.callout.name, key, ref) if ref else None

    callouts = {
        c.callout.key: (
            maybe(c, "classify", c.classify),
            maybe(c, "notify", c.notify),
            maybe(c, "flow_delete", c.flow_delete),
        )
        for c in scenario.callouts
    }
    drivers = tuple(get("driver", d.index, d.name, "load", d.load) for d in scenario.drivers)
    return Code(callouts, drivers)
