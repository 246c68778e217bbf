"""The player's browser half, and journeys exported as standalone HTML pages.

:data:`PLAYER_JS` is the player's code (its style: :data:`wfpsim.viz.player.PLAYER_CSS`). The
notebook widget (:mod:`wfpsim.viz.player`) runs it as its anywidget module (:data:`ESM`), the
kernel holding the state; :func:`export_html` runs the very same code in one self-contained
HTML file where a small in-page model (``wfpStaticModel``) stands in for the kernel over
precomputed frames — no kernel, no network, no CDN: it animates in any browser.
:func:`animate_command` is ``wfpsim animate FILE --traffic N --out OUT.html``.
"""

from __future__ import annotations

import html
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from wfpsim.errors import InvalidParameterError, WfpError
from wfpsim.stack.journey import Journey
from wfpsim.viz import frames
from wfpsim.viz.browser import GRAPHVIZ_JS
from wfpsim.viz.player import PLAYER_CSS, TEXTS

#: The player's browser code: ``wfpRender({model, el})`` (the anywidget ``render``) and
#: ``wfpStaticModel(data)``, a stand-in for the widget's model over precomputed frames (the
#: HTML export). Shared by both, so the widget and the exported page behave the same.
PLAYER_JS = r"""
function wfpRender({ model, el }) {
  const PICKS = ["PERMIT", "BLOCK", "NONE", "DROP"];
  const ESC = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ESC[c]);
  const root = document.createElement("div");
  root.className = "wfp-player";
  root.innerHTML =
    '<div class="wfp-bar">' +
    '<button data-a="reset" title="Reset: back to the first step">▮◀</button>' +
    '<button data-a="back" title="Step back">◀</button>' +
    '<button data-a="play" class="wfp-play" title="Play / pause">▶</button>' +
    '<button data-a="step" title="Step forward">▶▶</button>' +
    '<label class="wfp-speed" title="Steps per second">speed ' +
    '<input type="range" min="0.25" max="8" step="0.25"> <output></output></label>' +
    '<span class="wfp-pos"></span><span class="wfp-grow"></span>' +
    '<label class="wfp-chk" title="Hide each verdict until you predict it">' +
    '<input type="checkbox"> challenge</label><span class="wfp-score"></span></div>' +
    '<div class="wfp-main"><div class="wfp-map"></div><div class="wfp-side">' +
    '<ol class="wfp-events"></ol><div class="wfp-quiz" hidden></div>' +
    '<div class="wfp-insp"></div></div></div>' +
    '<div class="wfp-legend"><i data-r="permit"></i>PERMIT <i data-r="block"></i>BLOCK ' +
    '<i data-r="none"></i>no decision (NONE) <i data-r="discard"></i>discard layer ' +
    '<i data-r="unknown"></i>your prediction? · glowing outline: the current step · ' +
    "orange arrow: the hop to it · grey arrows: the way so far</div>";
  el.appendChild(root);
  const q = (s) => root.querySelector(s);
  const map = q(".wfp-map"), list = q(".wfp-events"), insp = q(".wfp-insp");
  const quiz = q(".wfp-quiz"), play = q(".wfp-play");
  const speed = q(".wfp-speed input"), chk = q(".wfp-chk input");
  if (model.get("svg")) map.innerHTML = model.get("svg");
  else {
    map.textContent = "drawing the stack map…";
    wfpGraphviz(model.get("dot")).then((svg) => {
      map.innerHTML = svg;
      draw();
    }, (err) => wfpGraphvizFailed(map, err));
  }
  const evs = model.get("events"), items = [], heads = [];
  const depends = evs.some((e) => e.result === "depends");
  const picks = depends ? PICKS.concat(["DEPENDS"]) : PICKS;
  if (depends)
    q(".wfp-legend i[data-r='unknown']").insertAdjacentHTML(
      "beforebegin", '<i data-r="depends"></i>DEPENDS (an unknown callout decides) ');
  evs.forEach((e, i) => {
    if (!heads[e.journey]) {
      const h = document.createElement("li");
      h.className = "wfp-group";
      h.dataset.title = e.title;
      h.dataset.verdict = e.verdict;
      list.appendChild(h);
      heads[e.journey] = h;
    }
    const li = document.createElement("li");
    li.className = "wfp-ev";
    li.dataset.i = i;
    list.appendChild(li);
    items.push(li);
  });
  const save = (k, v) => {
    model.set(k, v);
    model.save_changes();
  };
  const go = (i) => save("position", Math.max(0, Math.min(evs.length - 1, i)));
  let marked = [];
  let timer = null;
  function draw() {
    const f = model.get("frame") || {}, ch = model.get("challenge");
    if (f.position === undefined) return;
    for (const n of marked) n.removeAttribute("data-w");
    marked = [];
    for (const [id, w] of Object.entries(f.marks || {})) {
      const n = map.querySelector('[id="' + id + '"]');
      if (n) {
        n.setAttribute("data-w", w);
        marked.push(n);
      }
    }
    const open = {};
    const boxes = () => insp.querySelectorAll("details[data-k]");
    boxes().forEach((d) => (open[d.dataset.k] = d.open));
    insp.innerHTML = f.inspector + f.decision;
    boxes().forEach((d) => {
      if (d.dataset.k in open) d.open = open[d.dataset.k];
    });
    items.forEach((li, i) => {
      const show = !ch || i < f.position || (i === f.position && !f.hidden);
      const text = show ? evs[i].label : evs[i].masked;
      if (li.textContent !== text) li.textContent = text;
      li.dataset.r = show ? evs[i].result : "unknown";
      li.classList.toggle("wfp-cur", i === f.position);
    });
    heads.forEach((h, j) => {
      const done = !ch || j < f.journey || (j === f.journey && f.last && !f.hidden);
      h.textContent = h.dataset.title + " · " + (done ? h.dataset.verdict : "?");
    });
    const cur = items[f.position], top = list.scrollTop, height = list.clientHeight;
    if (cur && (cur.offsetTop < top + 24 || cur.offsetTop > top + height - 24))
      list.scrollTop = cur.offsetTop - height / 3;
    q(".wfp-pos").textContent = "step " + (f.position + 1) + " of " + evs.length;
    chk.checked = ch;
    quiz.hidden = !ch;
    let h = "";
    if (ch && f.hidden)
      h = '<span class="wfp-ask">Your prediction:</span> ' +
        picks.map((p) => '<button data-p="' + p + '">' + p + "</button>").join(" ");
    if (ch && f.feedback)
      h += '<div class="wfp-fb wfp-' + (f.right ? "ok" : "no") + '">' + esc(f.feedback) + "</div>";
    if (ch && !h) h = '<span class="wfp-ask">Step on to the next prediction.</span>';
    quiz.innerHTML = h;
    drawScore();
  }
  function drawScore() {
    const s = model.get("score") || {};
    const text = "score " + (s.right || 0) + " / " + (s.asked || 0);
    q(".wfp-score").textContent = model.get("challenge") ? text : "";
  }
  function tick() {
    const f = model.get("frame") || {}, p = model.get("position");
    if (model.get("challenge") && f.hidden) return; // wait for the prediction
    if (p >= evs.length - 1) save("playing", false);
    else go(p + 1);
  }
  function syncTimer() {
    clearInterval(timer);
    timer = null;
    const v = Math.max(0.1, model.get("speed") || 1);
    speed.value = v;
    q(".wfp-speed output").textContent = v + "/s";
    if (model.get("playing")) timer = setInterval(tick, 1000 / v);
    play.textContent = model.get("playing") ? "❚❚" : "▶";
  }
  q(".wfp-bar").addEventListener("click", (ev) => {
    const b = ev.target.closest("button");
    const a = b && b.dataset.a, p = model.get("position");
    if (a === "step") go(p + 1);
    else if (a === "back") go(p - 1);
    else if (a === "reset") model.send({ cmd: "reset" });
    else if (a === "play") {
      if (!model.get("playing") && p >= evs.length - 1) go(0);
      save("playing", !model.get("playing"));
    }
  });
  list.addEventListener("click", (ev) => {
    const li = ev.target.closest("li.wfp-ev");
    if (li) go(+li.dataset.i);
  });
  quiz.addEventListener("click", (ev) => {
    const b = ev.target.closest("button");
    if (b && b.dataset.p) model.send({ cmd: "answer", prediction: b.dataset.p });
  });
  speed.addEventListener("input", () => save("speed", +speed.value));
  chk.addEventListener("change", () => save("challenge", chk.checked));
  const handlers = [["frame", draw], ["challenge", draw], ["score", drawScore]];
  handlers.push(["playing", syncTimer], ["speed", syncTimer]);
  for (const [k, cb] of handlers) model.on("change:" + k, cb);
  syncTimer();
  draw();
  return () => {
    clearInterval(timer);
    if (model.off) for (const [k, cb] of handlers) model.off("change:" + k, cb);
  };
}

function wfpStaticModel(data) {
  const st = { svg: data.svg, events: data.events, position: 0, playing: false, frame: {} };
  Object.assign(st, { speed: data.speed || 2, challenge: !!data.challenge, revealed: true });
  st.score = { asked: 0, right: 0 };
  const subs = {}, dirty = new Set();
  let answers = {};
  const emit = (k) => (subs["change:" + k] || []).forEach((cb) => cb());
  function refresh() {
    const f = data.frames[st.position], a = answers[st.position];
    if (st.challenge && !a) {
      const marks = Object.assign({}, f.marks, { [f.node]: "cur unknown" });
      const label = data.events[st.position].masked;
      const hide = { hidden: true, verdict: "?", result: "unknown", decision: data.ask };
      st.frame = Object.assign({}, f, hide, { marks: marks, label: label });
      delete st.frame.accept;
      delete st.frame.outcome;
    } else st.frame = a ? Object.assign({}, f, { feedback: a.text, right: a.right }) : f;
    st.revealed = !st.frame.hidden;
    emit("frame");
  }
  function set(k, v) {
    if (k === "position") v = Math.max(0, Math.min(data.frames.length - 1, v | 0));
    if (st[k] !== v) {
      st[k] = v;
      dirty.add(k);
    }
  }
  function save_changes() {
    const keys = [...dirty];
    dirty.clear();
    keys.forEach(emit);
    if (keys.includes("position") || keys.includes("challenge")) refresh();
  }
  function send(msg) {
    if (msg.cmd === "reset") {
      answers = {};
      st.score = { asked: 0, right: 0 };
      set("position", 0);
      set("playing", false);
      save_changes();
      emit("score");
      refresh();
    } else if (msg.cmd === "answer" && st.challenge && !answers[st.position]) {
      const f = data.frames[st.position], p = msg.prediction, right = f.accept.includes(p);
      const text = data.texts[right ? "right" : "wrong"];
      answers[st.position] = {
        right: right,
        text: text.replace("{prediction}", () => p).replace("{outcome}", () => f.outcome),
      };
      st.score = { asked: st.score.asked + 1, right: st.score.right + (right ? 1 : 0) };
      emit("score");
      refresh();
    }
  }
  refresh();
  const on = (ev, cb) => (subs[ev] = subs[ev] || []).push(cb);
  return { get: (k) => st[k], set: set, save_changes: save_changes, send: send, on: on };
}
"""
#: The anywidget module: the shared player code plus its ES-module export.
ESM = GRAPHVIZ_JS + PLAYER_JS + "\nexport default { render: wfpRender };\n"

#: The standalone page; ``$``-free placeholders are filled by :func:`export_html`.
PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="wfpsim">
<title>{title}</title>
<style>
body {{ margin: 16px 20px; background: #f4f6f8; color: #263238;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }}
h1 {{ font-size: 19px; margin: 0 0 2px; }}
.wfp-page-sub {{ margin: 0 0 10px; color: #607d8b; }}
{css}
</style>
</head>
<body>
<h1>{title}</h1>
<p class="wfp-page-sub">{subtitle}</p>
<div id="wfp-root"></div>
<script type="application/json" id="wfp-data">{data}</script>
<script>
{js}
(function () {{
  const data = JSON.parse(document.getElementById("wfp-data").textContent);
  const model = wfpStaticModel(data);
  wfpRender({{ model: model, el: document.getElementById("wfp-root") }});
  const keys = {{ ArrowRight: "step", ArrowLeft: "back", " ": "play", Home: "reset" }};
  document.addEventListener("keydown", (ev) => {{
    const a = keys[ev.key];
    if (!a || ev.target.closest("input, button")) return;
    ev.preventDefault();
    document.querySelector('.wfp-bar button[data-a="' + a + '"]').click();
  }});
}})();
</script>
</body>
</html>
"""


def page_data(
    journeys: Journey | Iterable[Journey], challenge: bool = False, speed: float = 2.0
) -> dict[str, Any]:
    """Everything the page's player needs: the SVG, the event list, every frame, the texts."""
    items = frames.as_list(journeys)
    data = {"svg": frames.base_svg(items), "events": frames.events(items), "texts": TEXTS}
    data |= {"frames": frames.frames(items), "ask": frames.ASK_HTML}
    return data | {"speed": speed, "challenge": challenge}


def export_html(
    journeys: Journey | Iterable[Journey],
    path: str | os.PathLike[str],
    title: str | None = None,
    *,
    challenge: bool = False,
) -> Path:
    """Write a standalone HTML player for one journey or several (one IP version).

    The file holds the stack map once, every frame as JSON and the player's code: it animates
    in any browser, with no kernel and no network (arrow keys step, space plays).

    Args:
        journeys: a :class:`~wfpsim.stack.journey.Journey` or a list of them.
        path: the file to write (``.html`` or ``.htm``; missing folders are created).
        title: the page's title (default: the journey, or how many there are).
        challenge: open in challenge mode (verdicts hidden until predicted).

    Returns:
        The path written.

    Raises:
        InvalidParameterError: another suffix, no journey, or IPv4 and IPv6 journeys mixed.
    """
    target = Path(path)
    if target.suffix.lower() not in (".html", ".htm"):
        raise InvalidParameterError(
            f"cannot export a player as {target.suffix or 'a file without a suffix'!r} "
            f"({os.fspath(path)}); valid suffixes: .html, .htm"
        )
    items = frames.as_list(journeys)
    data = page_data(items, challenge=challenge)
    heads = [e["title"] for e in data["events"] if e["step"] == 0]  # no verdicts: challenge
    if title is None:
        title = heads[0] if len(heads) == 1 else f"{len(heads)} journeys through WFP"
    subtitle = (
        f"{'; '.join(heads)} — {len(data['frames'])} steps. Step with ▶▶ / ◀ (or the arrow "
        "keys), play with ▶, click an event to jump there; tick “challenge” to predict each "
        "verdict before it is shown."
    )
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":")).replace("<", "\\u003c")
    page = PAGE.format(
        title=html.escape(title),
        subtitle=html.escape(subtitle),
        css=PLAYER_CSS,
        data=text,
        js=PLAYER_JS,
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page, encoding="utf-8")
    return target


def scenario_journey(scenario: str, traffic: int) -> tuple[str, Journey]:
    """A scenario's ``[[traffic]]`` entry number ``traffic`` (from 0): a title and its journey.

    Raises:
        InvalidParameterError: the scenario has no traffic, or ``traffic`` is out of range.
        ScenarioError: no such file or built-in scenario, or an invalid one.
    """
    from wfpsim.runner import builtin_scenarios, run
    from wfpsim.scenario import load

    result = run(scenario)
    entries = result.traffic
    if not entries:
        with_traffic = sorted(n for n, p in builtin_scenarios().items() if load(p).traffic)
        raise InvalidParameterError(
            f"{scenario}: the scenario has no [[traffic]] entries, so there is no journey to "
            f"animate; add one, or pick a built-in scenario with traffic: {', '.join(with_traffic)}"
        )
    if not isinstance(traffic, int) or not 0 <= traffic < len(entries):
        raise InvalidParameterError(
            f"--traffic {traffic}: {scenario} has {len(entries)} [[traffic]] "
            f"entr{'y' if len(entries) == 1 else 'ies'}; valid: 0..{len(entries) - 1} "
            "(counted from 0, in file order)"
        )
    name = f" ({entries[traffic].name})" if entries[traffic].name else ""
    return f"{result.scenario.title} — traffic #{traffic}{name}", entries[traffic].journey


def animate_command(scenario: str, traffic: int, out: str) -> int:
    """``wfpsim animate FILE --traffic N --out OUT.html``: export one traffic entry's journey.

    Args:
        scenario: a scenario file or a built-in scenario's name (``wfpsim examples``).
        traffic: which ``[[traffic]]`` entry, counted from 0.
        out: the HTML file to write.

    Returns:
        0 when the file was written (what was written is printed); 2 for a bad scenario, a
        traffic number out of range, a scenario without traffic, a bad suffix or no ``dot``
        (the reason is printed to standard error), like ``wfpsim draw``.
    """
    try:
        title, j = scenario_journey(scenario, traffic)
        path = export_html(j, out, title)
    except WfpError as err:
        print(f"wfpsim: {err}", file=sys.stderr)
        return 2
    size = path.stat().st_size / 1024
    print(
        f"wrote {path} ({size:.0f} KB): "
        f"{j.kind.upper()} {j.direction.value} {j.local} -> {j.remote}, "
        f"{len(j.steps)} steps, verdict {j.verdict}; open it in any browser (no kernel needed)"
    )
    return 0
