"""Drill down from a whole machine to one layer, in a notebook: the overview, its layers as a
clickable list, and the chosen layer's weight graph.

:func:`wfpsim.viz.overview.machine_explorer` builds a :class:`MachineExplorer`; this module imports
``ipywidgets`` at the top, and :mod:`wfpsim.viz.overview` imports it only when an explorer is
first asked for, so ``import wfpsim.viz`` stays free of widget libraries. Pictures are SVG drawn
by ``dot``, or — where no ``dot`` program exists (the browser classroom) — drawn by the page's
WebAssembly Graphviz (:class:`~wfpsim.viz.widgets.Drawing`).
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from wfpsim.catalog import layer as find_layer
from wfpsim.engine import Engine
from wfpsim.errors import InvalidParameterError
from wfpsim.viz.overview import counts, machine_overview
from wfpsim.viz.svg import Picture, dot_available
from wfpsim.viz.weights import weight_graph

#: The sublayer choice that draws every sublayer of the layer.
ALL = ("(every sublayer)", None)


def view(picture: Picture) -> Any:
    """A widget showing a picture: its SVG, or a page-drawn :class:`Drawing` without ``dot``."""
    if dot_available():
        return w.HTML(picture.svg)
    return picture.drawing()


class MachineExplorer(w.VBox):  # type: ignore[misc]
    """The overview on top; below it the layers (click one) and the chosen layer's weight graph.

    Drive it from Python too: :meth:`select` picks a layer (and a sublayer); :attr:`picture` is
    the weight graph shown.
    """

    def __init__(self, engine: Engine, layer: str | None = None, max_filters: int = 40) -> None:
        self.engine = engine
        self.max_filters = max_filters
        self.picture: Picture | None = None
        _subs, rows = counts(engine)
        self.names = [row.layer.name for row in rows]
        options = [
            (f"{row.layer.name.removeprefix('FWPM_LAYER_')} ({row.total})", row.layer.name)
            for row in rows
        ]
        self.layers = w.Select(
            options=options,
            rows=min(12, max(len(options), 1)),
            description="layer",
            layout=w.Layout(width="420px"),
        )
        self.sublayers = w.Dropdown(options=[ALL], value=None, description="sublayer")
        self.detail = w.VBox()
        head = w.HTML(
            "<b>The whole machine</b> — pick a layer below (filters in brackets) to draw its "
            "sublayers and filters by weight."
        )
        parts: list[Any] = [head, view(machine_overview(engine))]
        if not options:
            parts.append(w.HTML("<p>No filter on this machine: no layer to drill into.</p>"))
        super().__init__([*parts, w.HBox([self.layers, self.sublayers]), self.detail])
        self.layers.observe(self._layer_changed, names="value")
        self.sublayers.observe(self._draw, names="value")
        if options:
            busiest = max(rows, key=lambda r: r.total).layer.name
            self.select(layer if layer is not None else busiest)

    def select(self, layer: str, sublayer: str | None = None) -> Picture:
        """Show one layer's weight graph (one of its sublayers, if given); returns the picture.

        Raises:
            InvalidParameterError: a layer without filters, or a sublayer not holding any there.
            LayerNotFoundError: a name that is no layer.
        """
        name = find_layer(layer).name
        if name not in self.names:
            shown = ", ".join(n.removeprefix("FWPM_LAYER_") for n in self.names) or "none"
            raise InvalidParameterError(
                f"layer {layer!r} holds no filter on this machine; layers with filters: {shown}"
            )
        if self.layers.value != name:
            self.layers.value = name  # the observer fills the sublayers and draws
        else:
            self._layer_changed(None)
        if sublayer is not None:
            keys = [k for label, k in self.sublayers.options if sublayer in (label, str(k))]
            if not keys or keys[0] is None:
                valid = ", ".join(label for label, k in self.sublayers.options if k is not None)
                raise InvalidParameterError(
                    f"sublayer {sublayer!r} holds no filter at {name}; valid: {valid}"
                )
            self.sublayers.value = keys[0]
        assert self.picture is not None
        return self.picture

    def _layer_changed(self, _change: Any) -> None:
        order = self.engine.evaluation_order(self.layers.value)
        options = [ALL, *((sub.name, sub.key) for sub, members in order if members)]
        if list(self.sublayers.options) != options:
            self.sublayers.unobserve(self._draw, names="value")
            self.sublayers.options = options
            self.sublayers.value = None
            self.sublayers.observe(self._draw, names="value")
        self._draw(None)

    def _draw(self, _change: Any) -> None:
        self.picture = weight_graph(
            self.engine,
            self.layers.value,
            sublayer=self.sublayers.value,
            max_filters=self.max_filters,
        )
        self.detail.children = [view(self.picture)]
