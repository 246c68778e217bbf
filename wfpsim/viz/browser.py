"""Pictures without ``dot``: the DOT goes to the page and Graphviz compiled to WebAssembly draws it.

In JupyterLab, :class:`~wfpsim.viz.svg.Picture` runs Graphviz's ``dot`` program. In the browser
(JupyterLite, Python on Pyodide) there is no ``dot`` to run, so a picture is shown as a small
widget (:class:`~wfpsim.viz.widgets.Drawing`) that sends its DOT to the page, where
``@viz-js/viz`` (Graphviz as WebAssembly, from the npm registry) lays it out. The player does
the same with its stack map: laid out once in the page, then restyled per step as usual.

The page loads the WebAssembly Graphviz from the site itself, at :data:`VIZ_PATH` under the
site's base URL (``scripts/site`` puts it there). An anywidget module runs from a ``blob:`` URL,
so a relative import would not resolve: :data:`GRAPHVIZ_JS` derives an absolute URL from the
page (the ``baseUrl`` in JupyterLite's ``#jupyter-config-data`` against ``document.baseURI``).

>>> VIZ_PATH
'static/wfpsim/viz.js'
>>> "wfpGraphviz" in GRAPHVIZ_JS and "export default" in DRAWING_ESM
True
"""

from __future__ import annotations

#: Where the site serves ``@viz-js/viz``'s ES module, relative to the site's base URL.
VIZ_PATH = "static/wfpsim/viz.js"

#: ``wfpGraphviz(dot)`` → a promise of the SVG text (Graphviz loaded once per page).
GRAPHVIZ_JS = (
    r"""
function wfpVizUrl() {
  const page = new URL(document.baseURI);
  let base = "./";
  const cfg = document.getElementById("jupyter-config-data");
  if (cfg) {
    try {
      base = JSON.parse(cfg.textContent).baseUrl || base;
    } catch (e) {}
  }
  return new URL("""
    + repr(VIZ_PATH).replace("'", '"')
    + r""", new URL(base, page)).href;
}
function wfpGraphviz(dot) {
  const g = globalThis;
  if (!g.wfpVizPromise) {
    g.wfpVizPromise = import(wfpVizUrl()).then((m) => m.instance());
    g.wfpVizPromise.catch(() => (g.wfpVizPromise = null));
  }
  return g.wfpVizPromise.then((viz) => {
    const svg = viz.renderString(dot, { format: "svg", engine: "dot" });
    return svg.slice(svg.indexOf("<svg"));
  });
}
function wfpGraphvizFailed(el, err) {
  el.innerHTML = "";
  const p = document.createElement("pre");
  p.className = "wfp-graphviz-error";
  p.style.color = "#8e0000";
  p.textContent =
    "wfpsim: this picture needs Graphviz: neither the dot program (JupyterLab) nor the " +
    "WebAssembly Graphviz at " + wfpVizUrl() + " (the classroom site) could draw it: " + err;
  el.appendChild(p);
}
"""
)

#: The :class:`~wfpsim.viz.widgets.Drawing` widget's module: draws its ``dot`` trait as SVG.
DRAWING_ESM = (
    GRAPHVIZ_JS
    + r"""
function render({ model, el }) {
  const box = document.createElement("div");
  box.className = "wfp-drawing";
  box.textContent = "drawing…";
  el.appendChild(box);
  const t0 = performance.now();
  wfpGraphviz(model.get("dot"))
    .then((svg) => {
      box.innerHTML = svg;
      box.dataset.ms = String(Math.round(performance.now() - t0));
    })
    .catch((err) => wfpGraphvizFailed(box, err));
}
export default { render };
"""
)

#: Its style: as wide as the output area, never wider.
DRAWING_CSS = ".wfp-drawing svg { max-width: 100%; height: auto; }"
