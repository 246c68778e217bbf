"""Rich display in Jupyter: engines and classifications shown as pictures.

The engine classes know nothing of pictures (the engine never imports ``wfpsim.viz``). Call
:func:`display_hooks` once in a notebook and IPython shows a :class:`wfpsim.Engine` as its
weight graph and a :class:`wfpsim.trace.Classification` as its arbitration picture; outside
IPython it does nothing.
"""

from __future__ import annotations

import sys

from wfpsim.engine import Engine
from wfpsim.trace import Classification
from wfpsim.viz.arbitration import arbitration_picture
from wfpsim.viz.svg import dot_available
from wfpsim.viz.weights import weight_graph


def engine_svg(engine: Engine) -> str:
    """The weight graph of every layer holding filters, as SVG text."""
    return weight_graph(engine).svg


def classification_svg(classification: Classification) -> str:
    """The arbitration picture of one classification, as SVG text."""
    return arbitration_picture(classification).svg


def display_hooks() -> bool:
    """Show engines and classifications as SVG pictures in IPython/Jupyter from now on.

    Registers ``image/svg+xml`` formatters for :class:`wfpsim.Engine` and
    :class:`wfpsim.trace.Classification` with the running IPython shell (where no ``dot``
    program exists, widgets the page's Graphviz draws instead). Their text form
    (``repr``) stays available to ``print``.

    Returns:
        True if IPython is running and the formatters were registered, False otherwise
        (a plain ``python`` process: nothing to do).

    >>> display_hooks()  # not inside IPython here
    False
    """
    if "IPython" not in sys.modules:  # IPython is always loaded when it is running
        return False
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        return False
    if not dot_available():  # the browser classroom: the page's Graphviz draws them
        bundles = shell.display_formatter.mimebundle_formatter
        bundles.for_type(Engine, lambda e, **kw: weight_graph(e)._repr_mimebundle_(**kw))
        bundles.for_type(
            Classification, lambda c, **kw: arbitration_picture(c)._repr_mimebundle_(**kw)
        )
        return True
    formatter = shell.display_formatter.formatters["image/svg+xml"]
    formatter.for_type(Engine, engine_svg)
    formatter.for_type(Classification, classification_svg)
    return True
