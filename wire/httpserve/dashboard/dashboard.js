// The streamsql dashboard: polls /api/overview every second and draws
// the relations, each view's dataflow (an SVG graph of its operators),
// the checkpoints and the sessions. Rates are the change of a total
// between two polls over the time between them. No library: the page
// must work with no network beyond the server itself.
"use strict";

const POLL_MS = 1000;
const SVG = "http://www.w3.org/2000/svg";
let prev = null; // the previous poll's totals, for rates

function el(tag, attrs, text) {
  const e = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function num(n) {
  if (n === null || n === undefined) return "";
  const a = Math.abs(n);
  if (a >= 1e9) return (n / 1e9).toFixed(2) + "G";
  if (a >= 1e6) return (n / 1e6).toFixed(2) + "M";
  if (a >= 1e4) return (n / 1e3).toFixed(1) + "K";
  return String(Math.round(n));
}

function bytes(n) {
  if (n >= 1 << 30) return (n / (1 << 30)).toFixed(1) + " GiB";
  if (n >= 1 << 20) return (n / (1 << 20)).toFixed(1) + " MiB";
  if (n >= 1 << 10) return (n / (1 << 10)).toFixed(1) + " KiB";
  return n + " B";
}

function lag(ms) {
  const s = ms / 1000;
  if (Math.abs(s) >= 86400) return (s / 86400).toFixed(1) + " d";
  if (Math.abs(s) >= 3600) return (s / 3600).toFixed(1) + " h";
  return s.toFixed(1) + " s";
}

function when(ms) { return new Date(ms).toISOString().replace("T", " ").replace("Z", ""); }

// rate is the per-second change of a total named key since the last poll.
function rate(key, total, now, cur) {
  cur[key] = total;
  if (!prev || !(key in prev.totals) || now <= prev.time) return null;
  return Math.max(0, (total - prev.totals[key]) * 1000 / (now - prev.time));
}

function fillTable(id, rows) {
  const tbody = document.querySelector("#" + id + " tbody");
  tbody.replaceChildren(...rows.map(cells => {
    const tr = el("tr");
    for (const c of cells) {
      const td = el("td", c.cls ? { class: c.cls } : {}, c.text === undefined ? String(c) : c.text);
      tr.append(td);
    }
    return tr;
  }));
}

function drawRelations(rels, now, totals) {
  fillTable("relations", rels.map(r => {
    const rs = rate("rel:" + r.name, r.kind === "materialized view" ? r.rows_in : r.rows, now, totals);
    return [r.name, r.kind, { text: r.status, cls: r.status.startsWith("failed") ? "failed" : "" },
      { text: num(r.rows), cls: "num" }, { text: rs === null ? "…" : num(rs), cls: "num rate" },
      r.watermark === undefined ? "" : when(r.watermark),
      { text: r.lag_ms === undefined ? "" : lag(r.lag_ms), cls: "num" },
      { text: r.state_bytes ? bytes(r.state_bytes) : "", cls: "num" }, { text: String(r.subscriptions), cls: "num" }];
  }));
}

const BOX_W = 200, BOX_H = 62, COL = 250, ROW = 80, PAD = 10;

// layout places a view's operators in columns by their distance from the
// view (the relations it reads at the left) and rows by their leaves.
function layout(ops) {
  const kids = ops.map(() => []);
  let root = 0;
  for (const o of ops) { if (o.parent < 0) root = o.id; else kids[o.parent].push(o.id); }
  const depth = [], y = [];
  let leaf = 0, maxDepth = 0;
  (function walk(i, d) {
    depth[i] = d; maxDepth = Math.max(maxDepth, d);
    if (kids[i].length === 0) { y[i] = leaf++; return; }
    for (const k of kids[i]) walk(k, d + 1);
    y[i] = kids[i].reduce((s, k) => s + y[k], 0) / kids[i].length;
  })(root, 0);
  return { root, depth, y, maxDepth, leaves: Math.max(leaf, 1) };
}

function box(g, x, y, lines, title) {
  g.append(el("svg:title", {}, title));
  g.append(el("svg:rect", { x, y, width: BOX_W, height: BOX_H }));
  lines.forEach(([cls, text], i) => {
    let t = text;
    if (t.length > 30) t = t.slice(0, 29) + "…";
    g.append(el("svg:text", { x: x + 8, y: y + 16 + i * 14, class: cls }, t));
  });
}

function drawView(v, now, totals) {
  const L = layout(v.ops);
  const cols = L.maxDepth + 2; // and the view's own rows at the right
  const w = cols * COL + PAD, h = L.leaves * ROW + PAD;
  const svg = el("svg:svg", { width: w, height: h, viewBox: `0 0 ${w} ${h}` });
  const defs = el("svg:defs");
  const marker = el("svg:marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 6, markerHeight: 6, orient: "auto" });
  marker.append(el("svg:path", { d: "M0,0 L10,5 L0,10 z", fill: "#8795a5" }));
  defs.append(marker);
  svg.append(defs);
  const pos = i => ({ x: PAD + (L.maxDepth - L.depth[i]) * COL, y: PAD + L.y[i] * ROW });
  const sinkPos = { x: PAD + (L.maxDepth + 1) * COL, y: PAD + L.y[L.root] * ROW };
  const edges = el("svg:g");
  svg.append(edges);
  const edge = (a, b) => edges.append(el("svg:path", { class: "edge",
    d: `M${a.x + BOX_W},${a.y + BOX_H / 2} C${a.x + BOX_W + 25},${a.y + BOX_H / 2} ${b.x - 25},${b.y + BOX_H / 2} ${b.x},${b.y + BOX_H / 2}` }));
  for (const o of v.ops) {
    const p = pos(o.id);
    edge(p, o.parent < 0 ? sinkPos : pos(o.parent));
    const r = rate(`op:${v.name}:${o.id}`, o.rows_in, now, totals);
    const g = el("svg:g", { class: "op" + (o.stateful ? " stateful" : ""), "data-kind": o.kind, "data-id": String(o.id) });
    const detail = o.label.slice(o.kind.length).trim();
    const lines = [["kind", o.kind + (o.replicas > 1 ? ` ×${o.replicas}` : "")], ["detail muted", detail || " "],
      ["rate", (r === null ? "…" : num(r)) + " rows/s in · " + num(o.rows_out) + " out"]];
    if (o.stateful) lines.push(["state", `${bytes(o.state_bytes)} · ${num(o.cached_groups)} cached`]);
    else if (o.kind !== "Scan") lines.push(["muted", `${o.time_ms.toFixed(1)} ms own time`]);
    box(g, p.x, p.y, lines, `${o.label}\nrows in ${o.rows_in}, out ${o.rows_out}, own time ${o.time_ms} ms`);
    svg.append(g);
  }
  const rel = (window.lastRels || []).find(r => r.name === v.name) || { rows: 0 };
  const sink = el("svg:g", { class: "op sink", "data-kind": "View" });
  box(sink, sinkPos.x, sinkPos.y, [["kind", v.name], ["muted", "materialized view"], ["", num(rel.rows) + " rows"]], v.name);
  svg.append(sink);
  const div = el("div", { class: "view", "data-view": v.name });
  div.append(el("h3", {}, v.name), svg);
  return div;
}

function drawCheckpoints(c) {
  c.recent = c.recent || [];
  document.getElementById("ckpt-summary").textContent =
    `${c.total} succeeded, ${c.failures} failed` + (c.recent.length ? `; last ended ${when(c.recent[c.recent.length - 1].end)}` : "");
  const chart = document.getElementById("ckpt-chart");
  const max = Math.max(1, ...c.recent.map(e => e.duration_ms));
  const bw = 420 / 30;
  chart.replaceChildren(...c.recent.map((e, i) => {
    const h = Math.max(2, 80 * e.duration_ms / max);
    const r = el("svg:rect", { x: i * bw, y: 85 - h, width: bw - 2, height: h, class: e.error ? "err" : "ok" });
    r.append(el("svg:title", {}, `${when(e.end)}: ${e.duration_ms} ms${e.error ? " — " + e.error : ""}`));
    return r;
  }));
  fillTable("checkpoints", c.recent.slice(-8).reverse().map(e =>
    [when(e.end), { text: e.duration_ms.toFixed(1) + " ms", cls: "num" }, { text: e.error || "ok", cls: e.error ? "failed" : "" }]));
}

function draw(o) {
  const status = document.getElementById("status");
  if (!o.engine) {
    status.textContent = o.ready ? "ready" : "recovering…";
    return;
  }
  const e = o.engine, now = e.time, totals = {};
  e.relations = e.relations || [];
  window.lastRels = e.relations;
  status.textContent = `updated ${when(now)} UTC`;
  drawRelations(e.relations, now, totals);
  document.getElementById("views").replaceChildren(...(e.views || []).map(v => drawView(v, now, totals)));
  drawCheckpoints(e.checkpoints);
  fillTable("sessions", (o.sessions || []).map(s =>
    [s.user, s.database, when(s.since), s.active ? "active" : "idle", s.last_command, { text: String(s.statements), cls: "num" }]));
  fillTable("subscriptions", e.relations.filter(r => r.subscriptions > 0).map(r => [r.name, { text: String(r.subscriptions), cls: "num" }]));
  prev = { time: now, totals };
  document.body.dataset.polls = String(Number(document.body.dataset.polls || 0) + 1);
}

async function poll() {
  try {
    const r = await fetch("api/overview", { cache: "no-store" });
    draw(await r.json());
  } catch (err) {
    document.getElementById("status").textContent = "no answer from the server: " + err;
  }
  setTimeout(poll, POLL_MS);
}
poll();
