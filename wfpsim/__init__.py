"""wfpsim — a faithful, teachable simulation of the Windows Filtering Platform.

The engine is standard-library Python. Pictures and players live in :mod:`wfpsim.viz`
(imported separately); the real Windows identifiers live in :mod:`wfpsim.ids`.

>>> import wfpsim
>>> engine = wfpsim.Engine()
>>> f = engine.add_filter(wfpsim.Filter("block telnet", "ALE_AUTH_CONNECT_V4", "BLOCK",
...                                     [wfpsim.Condition("IP_REMOTE_PORT", "EQUAL", 23)]))
>>> f.filter_id, f.layer.short_name, f.action.fwp_name
(1, 'ALE_AUTH_CONNECT_V4', 'FWP_ACTION_BLOCK')
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wfpsim.callouts import BuiltinCallout
    from wfpsim.catalog import Direction, Field, Layer, LayerKind, layer, layers
    from wfpsim.conditions import Condition, MatchType, filter_matches, matches
    from wfpsim.engine import Engine
    from wfpsim.errors import WfpError
    from wfpsim.objects import (
        Action,
        Callout,
        Filter,
        FilterFlag,
        Provider,
        Sublayer,
        Weight,
    )
    from wfpsim.registry import CalloutRegisterFlag, NotifyType
    from wfpsim.session import Session
    from wfpsim.stack import Stack
    from wfpsim.trace import Classification
    from wfpsim.values import DataType, Value
    from wfpsim.weight import effective_weight

#: Where each public name lives: imported on first use (PEP 562), so ``wfpsim layers`` or
#: ``import wfpsim.catalog`` does not load the engine.
_HOMES = {
    "wfpsim.callouts": ("BuiltinCallout",),
    "wfpsim.catalog": ("Direction", "Field", "Layer", "LayerKind", "layer", "layers"),
    "wfpsim.conditions": ("Condition", "MatchType", "filter_matches", "matches"),
    "wfpsim.engine": ("Engine",),
    "wfpsim.errors": ("WfpError",),
    "wfpsim.objects": (
        "Action",
        "Callout",
        "Filter",
        "FilterFlag",
        "Provider",
        "Sublayer",
        "Weight",
    ),
    "wfpsim.registry": ("CalloutRegisterFlag", "NotifyType"),
    "wfpsim.session": ("Session",),
    "wfpsim.stack": ("Stack",),
    "wfpsim.trace": ("Classification",),
    "wfpsim.values": ("DataType", "Value"),
    "wfpsim.weight": ("effective_weight",),
}
_HOME = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> object:
    """Import a public name's module when the name is first used (or a subpackage, such as
    ``wfpsim.ids`` after a bare ``import wfpsim``, as when the engine was imported eagerly)."""
    import importlib

    module = _HOME.get(name)
    if module is None:
        try:
            return importlib.import_module(f"wfpsim.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"wfpsim.{name}":
                raise
        raise AttributeError(f"module 'wfpsim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOME))


__version__ = "0.1.0"

__all__ = [
    "Action",
    "BuiltinCallout",
    "Callout",
    "CalloutRegisterFlag",
    "Classification",
    "Condition",
    "DataType",
    "Direction",
    "Engine",
    "Field",
    "Filter",
    "FilterFlag",
    "Layer",
    "LayerKind",
    "MatchType",
    "NotifyType",
    "Provider",
    "Session",
    "Stack",
    "Sublayer",
    "Value",
    "Weight",
    "WfpError",
    "effective_weight",
    "filter_matches",
    "layer",
    "layers",
    "matches",
]
