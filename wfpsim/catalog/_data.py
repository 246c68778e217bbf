"""The catalog's package data, read once."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def raw() -> dict[str, Any]:
    """``data/catalog.json`` as loaded (see ``tools/build_catalog.py`` for its keys)."""
    text = resources.files("wfpsim.catalog").joinpath("data/catalog.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data
