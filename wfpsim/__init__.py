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
from wfpsim.registry import NotifyType
from wfpsim.session import Session
from wfpsim.values import DataType, Value
from wfpsim.weight import effective_weight

__version__ = "0.1.0"

__all__ = [
    "Action",
    "Callout",
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
