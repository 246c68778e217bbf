"""Pictures of the simulated BFE, for notebooks and the terminal.

The engine never imports this package; it imports the engine and only reads it. Importing it
loads no drawing library: pictures are DOT text rendered by Graphviz's ``dot`` program on first
display (see :mod:`wfpsim.viz.svg`).

- :func:`weight_graph` — a layer's sublayers by weight and their filters by effective weight.
- :func:`arbitration_picture` — how one classification was arbitrated, filter by filter.
- :func:`display_hooks` — show engines and classifications as pictures in Jupyter.

>>> import wfpsim.viz
>>> sorted(wfpsim.viz.__all__)[:2]
['GraphvizError', 'Picture']
"""

from wfpsim.viz.arbitration import arbitration_picture
from wfpsim.viz.hooks import classification_svg, display_hooks, engine_svg
from wfpsim.viz.svg import GraphvizError, Picture
from wfpsim.viz.weights import weight_graph

__all__ = [
    "GraphvizError",
    "Picture",
    "arbitration_picture",
    "classification_svg",
    "display_hooks",
    "engine_svg",
    "weight_graph",
]
