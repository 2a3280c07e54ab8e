/**
 * The report page's own style and script (browser JavaScript, ES2020, no modules), inlined
 * by page.ts after uPlot. Kept as plain text here so the built CLI needs no bundler; the
 * browser test (test/report/browser.test.ts) runs it in Chromium. The script must not use
 * template literals (this file holds it in one).
 */

export const CLIENT_STYLE = String.raw`
:root { --fg: #1d2330; --muted: #667085; --line: #d9dee7; --bg: #fff; --panel: #f7f8fb; --bad: #c4262e; --ok: #18794e; --accent: #2e5aac; }
* { box-sizing: border-box; }
body { margin: 0; font: 13px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg); background: var(--bg); }
#app { max-width: 1240px; margin: 0 auto; padding: 12px 18px 40px; }
h1 { font-size: 18px; margin: 6px 0 2px; }
h2 { font-size: 15px; margin: 0 0 8px; }
h3 { font-size: 13px; margin: 10px 0 4px; }
section { border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px; margin: 12px 0; background: var(--bg); }
.sub { color: var(--muted); }
.mono, code, td.num, .cellv { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 12px; }
table { border-collapse: collapse; }
td, th { padding: 2px 8px; border-bottom: 1px solid #eef0f4; text-align: left; vertical-align: top; }
th { font-weight: 600; color: var(--muted); }
td.num { text-align: right; }
.cols { display: flex; gap: 18px; flex-wrap: wrap; align-items: flex-start; }
.cols > * { min-width: 0; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-weight: 600; font-size: 12px; }
.badge.ok { background: #dcf5e7; color: var(--ok); }
.badge.bad { background: #fde2e2; color: var(--bad); }
.badge.none { background: #eceff3; color: var(--muted); }
.bar { height: 10px; background: #e9edf3; border-radius: 2px; width: 160px; position: relative; }
.bar > div { position: absolute; left: 0; top: 0; bottom: 0; background: var(--accent); border-radius: 2px; }
tr.click { cursor: pointer; }
tr.click:hover { background: #f1f5fd; }
tr.current { background: #e6eefc; }
.toolbar { display: flex; gap: 6px; align-items: center; flex-wrap: wrap; margin: 4px 0 8px; }
button { font: inherit; padding: 2px 9px; border: 1px solid #c8cfdb; border-radius: 4px; background: #fff; cursor: pointer; }
button:hover { background: #f1f5fd; }
input[type=number] { width: 110px; font: inherit; padding: 2px 4px; }
.chart { margin: 0 0 2px; }
.u-legend { font-size: 12px; }
.heat-wrap { position: relative; }
canvas.heat { display: block; cursor: crosshair; image-rendering: pixelated; }
.tip { min-height: 18px; color: var(--muted); }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(84px, 1fr)); gap: 3px; }
.slot { border: 1px solid var(--line); border-radius: 4px; padding: 1px 5px; background: var(--panel); }
.slot .n { font-size: 10px; color: var(--muted); display: block; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.slot.nz { background: #eef3fd; border-color: #bfd0f2; }
.slot.bad, td.bad, span.bad { background: #fde2e2; border-color: #f1a7a7; color: var(--bad); }
.bits { display: flex; gap: 2px; flex-wrap: wrap; }
.bit { width: 40px; text-align: center; border: 1px solid var(--line); border-radius: 3px; font-size: 11px; }
.bit .n { display: block; font-size: 9px; color: var(--muted); }
.bit.on { background: #2e5aac; color: #fff; }
.bit.on .n { color: #dbe5f8; }
.failbox { border: 1px solid #f1a7a7; background: #fff5f5; border-radius: 5px; padding: 6px 10px; margin: 6px 0; }
.notice { border: 1px solid var(--line); background: var(--panel); border-radius: 5px; padding: 6px 10px; margin: 6px 0; }
.weights { display: flex; gap: 16px; flex-wrap: wrap; align-items: flex-start; }
.weights figure { margin: 0; }
.weights figcaption { font-size: 11px; color: var(--muted); }
canvas.w { display: block; border: 1px solid var(--line); image-rendering: pixelated; }
.legend-scale { display: inline-block; width: 160px; height: 10px; vertical-align: middle; border: 1px solid var(--line); }
pre.prog { margin: 0; max-height: 320px; overflow: auto; background: var(--panel); padding: 6px 8px; border-radius: 4px; }
.kbd { border: 1px solid #c8cfdb; border-bottom-width: 2px; border-radius: 3px; padding: 0 4px; font-size: 11px; }
`;

export const CLIENT_SCRIPT = String.raw`
(function () {
  'use strict';
  var META = JSON.parse(document.getElementById('tvm-meta').textContent);
  var TYPES = { i8: Int8Array, u8: Uint8Array, i16: Int16Array, i32: Int32Array, f64: Float64Array };
  var A = {};
  var app = document.getElementById('app');
  var rows = META.rows;
  var charts = [];
  var state = { row: null, min: 0, max: Math.max(1, rows - 1), syncing: false };
  var failures = META.check ? META.check.failures : [];
  var failRows = [];
  var failByRow = new Map();
  failures.forEach(function (f) {
    if (f.row === null || f.row < 0 || f.row >= rows) return;
    if (!failByRow.has(f.row)) { failByRow.set(f.row, []); failRows.push(f.row); }
    failByRow.get(f.row).push(f);
  });
  failRows.sort(function (a, b) { return a - b; });

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined) return;
      if (k === 'text') node.textContent = String(v);
      else if (k === 'class') node.className = v;
      else if (k.slice(0, 2) === 'on') node.addEventListener(k.slice(2), v);
      else if (k === 'style') node.setAttribute('style', v);
      else node.setAttribute(k, v);
    });
    (children || []).forEach(function (c) { if (c !== null && c !== undefined) node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return node;
  }
  function fmt(n) { return typeof n === 'number' ? n.toLocaleString('en-US') : String(n); }
  function compact(v) {
    var a = Math.abs(v);
    if (a >= 1e6) return String(+(v / 1e6).toFixed(2)) + 'M';
    if (a >= 1e4) return String(+(v / 1e3).toFixed(1)) + 'K';
    return fmt(v);
  }
  function kv(rowsList) {
    return el('table', null, rowsList.map(function (r) {
      return el('tr', null, [el('th', { text: r[0] }), el('td', { class: 'mono', 'data-k': r[2] || null, text: r[1] })]);
    }));
  }
  function bytesFromBase64(text) {
    if (typeof Uint8Array.fromBase64 === 'function') return Uint8Array.fromBase64(text);
    var bin = atob(text);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  async function unpack() {
    var packed = bytesFromBase64(document.getElementById('tvm-data').textContent.trim());
    var stream = new Blob([packed]).stream().pipeThrough(new DecompressionStream('gzip'));
    var buffer = await new Response(stream).arrayBuffer();
    Object.keys(META.arrays).forEach(function (name) {
      var spec = META.arrays[name];
      A[name] = new TYPES[spec[0]](buffer, spec[1], spec[2]);
    });
  }

  // ---- value colours (0 white, positive red, negative blue; log scale up to 32768) ----
  function valueColour(v, scale) {
    if (v === 0) return [246, 247, 250];
    var t = Math.min(1, Math.log(1 + Math.abs(v)) / Math.log(1 + scale));
    t = 0.18 + 0.82 * t;
    if (v > 0) return [Math.round(255 - 40 * t), Math.round(240 - 190 * t), Math.round(235 - 200 * t)];
    return [Math.round(235 - 200 * t), Math.round(242 - 150 * t), Math.round(255 - 60 * t)];
  }
  function css(c) { return 'rgb(' + c[0] + ',' + c[1] + ',' + c[2] + ')'; }

  // ---- kept rows ----
  var DETAIL = META.detail;
  var COL = {};
  DETAIL.columns.forEach(function (c) { COL[c.name] = c; });
  function keptIndex(row) {
    var list = A.detailRows, lo = 0, hi = list.length - 1;
    while (lo <= hi) { var mid = (lo + hi) >> 1; if (list[mid] === row) return mid; if (list[mid] < row) lo = mid + 1; else hi = mid - 1; }
    return -1;
  }
  function neighbour(row, dir) {
    var list = A.detailRows;
    if (dir > 0) { for (var i = 0; i < list.length; i++) if (list[i] > row) return list[i]; return null; }
    for (var j = list.length - 1; j >= 0; j--) if (list[j] < row) return list[j];
    return null;
  }
  function rowCells(index) {
    var w = DETAIL.width;
    var cells = A.detailCells.subarray(index * w, (index + 1) * w);
    return function (name, i) { var c = COL[name]; return cells[c.offset + (i || 0)]; };
  }
  function instructionText(pc, opcode, arg) {
    if (pc >= 0 && pc < META.instructions.length) return META.instructions[pc].text;
    var m = META.mnemonics[opcode];
    return m ? m + ' ' + arg + ' (pc outside the program)' : '? (opcode ' + opcode + ')';
  }

  // ---- 1. summary ----
  function summary() {
    var c = META.claim;
    var verdict = META.check === null ? el('span', { class: 'badge none', text: 'not checked' })
      : META.check.ok ? el('span', { class: 'badge ok', 'data-k': 'verdict', text: 'check: ok' })
      : el('span', { class: 'badge bad', 'data-k': 'verdict', text: 'check: FAILED, ' + fmt(META.check.failureCount) + ' failure' + (META.check.failureCount === 1 ? '' : 's') });
    var facts = kv([
      ['rows', fmt(rows), 'rows'],
      ['file', fmt(META.fileBytes) + ' bytes' + (rows > 0 ? ' (' + (META.fileBytes / rows).toFixed(1) + ' bytes/row)' : '')],
      ['schema', META.schema + ' (AIR ' + META.air + ', written by ' + META.generator + ')'],
      ['ff_dim', String(META.ffDim), 'ff_dim'],
      ['fields', (META.fields.length ? META.fields.join(', ') : 'none') + ' (largest |value| ' + META.maxAbsValue + ')', 'fields'],
      ['weights_sha256', META.weightsSha256, 'weights_sha256'],
      ['max_steps', fmt(META.maxSteps), 'max_steps'],
      ['memory', META.memorySize + ' cells'],
    ]);
    var claim = kv([
      ['steps', String(c.steps), 'claim.steps'],
      ['halted', String(c.halted), 'claim.halted'],
      ['pc', String(c.pc), 'claim.pc'],
      ['acc', String(c.acc), 'claim.acc'],
      ['sp', String(c.sp), 'claim.sp'],
      ['zero_flag', String(c.zero_flag), 'claim.zero_flag'],
      ['carry_flag', String(c.carry_flag), 'claim.carry_flag'],
      ['memory', '[' + c.memory.join(', ') + ']', 'claim.memory'],
      ['fault', c.fault ? c.fault.message : 'none', 'claim.fault'],
    ]);
    var total = Math.max(1, rows);
    var progRows = [el('tr', null, [el('th', { text: 'pc' }), el('th', { text: 'instruction' }), el('th', { text: 'steps' }), el('th', { text: 'share' }), el('th', { text: '' })])];
    if (META.instructions.length === 0) progRows.push(el('tr', null, [el('td', { colspan: 5, class: 'bad', text: 'the embedded program does not assemble: ' + META.programError })]));
    META.instructions.forEach(function (ins) {
      var n = META.pcCounts[ins.pc] || 0;
      var share = n / total;
      var label = (ins.labels.length ? ins.labels.join(', ') + ': ' : '') + ins.text;
      progRows.push(el('tr', { 'data-pc': ins.pc }, [
        el('td', { class: 'num', text: String(ins.pc) }),
        el('td', { class: 'mono', text: label }),
        el('td', { class: 'num', 'data-k': 'count.' + ins.pc, text: fmt(n) }),
        el('td', null, [el('div', { class: 'bar' }, [el('div', { style: 'width:' + (100 * share).toFixed(2) + '%' })])]),
        el('td', { class: 'num', text: (100 * share).toFixed(1) + '%' }),
      ]));
    });
    if (META.pcOther > 0) progRows.push(el('tr', null, [el('td', { text: '–' }), el('td', { text: 'pc outside the program' }), el('td', { class: 'num bad', text: fmt(META.pcOther) }), el('td'), el('td')]));
    return el('section', { id: 'summary' }, [
      el('h2', null, ['Summary ', verdict]),
      el('div', { class: 'cols' }, [
        el('div', null, [el('h3', { text: 'Trace' }), facts, el('h3', { text: 'Claim (final state)' }), claim]),
        el('div', null, [el('h3', { text: 'Program: ' + META.instructionCount + ' instructions, execution count per pc' }), el('table', { id: 'program' }, progRows)]),
      ]),
    ]);
  }

  // ---- 2. timelines ----
  function setRange(min, max, source) {
    var lo = 0, hi = Math.max(1, rows - 1);
    var span = Math.max(4, max - min);
    if (span > hi - lo) { min = lo; max = hi; } else {
      if (min < lo) { max += lo - min; min = lo; }
      if (max > hi) { min -= max - hi; max = hi; }
    }
    state.min = min; state.max = max;
    state.syncing = true;
    charts.forEach(function (u) { if (u !== source) u.setScale('x', { min: min, max: max }); });
    state.syncing = false;
    drawHeat();
  }
  function timelineData(which) {
    var t = META.timeline, n = t.count, xs = new Array(n), lo = new Array(n), hi = new Array(n);
    for (var i = 0; i < n; i++) {
      xs[i] = i * t.bucket;
      if (which === 'zero' || which === 'carry') {
        var bit = which === 'zero' ? 1 : 2, off = which === 'zero' ? 0 : 1.5;
        lo[i] = ((A.flagsAnd[i] & bit) ? 1 : 0) + off; hi[i] = ((A.flagsOr[i] & bit) ? 1 : 0) + off;
      } else { lo[i] = A[which + 'Min'][i]; hi[i] = A[which + 'Max'][i]; }
    }
    return [xs, lo, hi];
  }
  function markerHook(u) {
    var ctx = u.ctx, top = u.bbox.top, h = u.bbox.height, dpr = devicePixelRatio || 1;
    var min = u.scales.x.min, max = u.scales.x.max;
    ctx.save();
    ctx.lineWidth = Math.max(1, dpr);
    ctx.strokeStyle = 'rgba(196,38,46,0.85)';
    var drawn = 0;
    for (var i = 0; i < failRows.length && drawn < 2000; i++) {
      var r = failRows[i];
      if (r < min || r > max) continue;
      var x = Math.round(u.valToPos(r, 'x', true)) + 0.5;
      ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + h); ctx.stroke(); drawn++;
      if (u === charts[0] && drawn <= 6) {
        ctx.fillStyle = 'rgba(196,38,46,1)'; ctx.font = (11 * dpr) + 'px system-ui, sans-serif';
        ctx.fillText(failByRow.get(r)[0].constraint, x + 3 * dpr, top + 12 * dpr * drawn);
      }
    }
    if (state.row !== null && state.row >= min && state.row <= max) {
      var cx = Math.round(u.valToPos(state.row, 'x', true)) + 0.5;
      ctx.strokeStyle = 'rgba(46,90,172,0.9)'; ctx.setLineDash([4 * dpr, 3 * dpr]);
      ctx.beginPath(); ctx.moveTo(cx, top); ctx.lineTo(cx, top + h); ctx.stroke();
    }
    ctx.restore();
  }
  function makeChart(target, title, seriesDefs, yValues) {
    var bucketed = META.timeline.bucket > 1;
    var stepped = uPlot.paths.stepped({ align: 1 });
    var data = [null];
    var series = [{ label: 'row', value: function (u, v) { return v === null || v === undefined ? '–' : fmt(Math.round(v)); } }];
    var bands = [];
    seriesDefs.forEach(function (d) {
      var td = timelineData(d.key);
      data[0] = td[0];
      var at = data.length;
      data.push(td[1]);
      series.push({ label: bucketed ? d.label + ' min' : d.label, stroke: d.color, width: 1.25, paths: stepped, points: { show: false }, value: d.value });
      if (bucketed) {
        data.push(td[2]);
        series.push({ label: d.label + ' max', stroke: d.color, width: 1, paths: stepped, points: { show: false }, value: d.value });
        bands.push({ series: [at + 1, at], fill: d.fill });
      }
    });
    var width = Math.max(480, target.clientWidth || 1100);
    var opts = {
      title: title,
      width: width,
      height: title === 'flags' ? 110 : 140,
      scales: { x: { time: false, min: 0, max: Math.max(1, rows - 1) } },
      series: series,
      bands: bands,
      legend: { live: true },
      cursor: { sync: { key: 'tvm-timeline', setSeries: false }, drag: { x: true, y: false, setScale: true }, points: { show: false } },
      axes: [{ size: 28, space: 60, values: function (u, vals) { return vals.map(function (v) { return compact(v); }); } }, { size: 56, values: yValues || null }],
      hooks: {
        draw: [markerHook],
        setScale: [function (u, key) {
          if (key !== 'x' || state.syncing) return;
          setRange(u.scales.x.min, u.scales.x.max, u);
        }],
      },
    };
    if (yValues) opts.axes[1].splits = function () { return [0, 1, 1.5, 2.5]; };
    if (yValues) opts.scales.y = { range: [-0.3, 2.8] };
    var u = new uPlot(opts, data, target);
    // Click (no drag) opens that row; wheel zooms around the cursor, shift+wheel pans.
    var down = null;
    u.over.addEventListener('mousedown', function (e) { down = [e.clientX, e.clientY]; });
    u.over.addEventListener('mouseup', function (e) {
      if (!down) return;
      var moved = Math.abs(e.clientX - down[0]) + Math.abs(e.clientY - down[1]);
      down = null;
      if (moved < 4) openRow(Math.max(0, Math.min(rows - 1, Math.round(u.posToVal(e.offsetX, 'x')))), true);
    });
    u.over.addEventListener('wheel', function (e) {
      e.preventDefault();
      var min = u.scales.x.min, max = u.scales.x.max, span = max - min;
      if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
        var d = (e.deltaX || e.deltaY) > 0 ? 0.15 : -0.15;
        setRange(min + d * span, max + d * span, null);
      } else {
        var at = u.posToVal(e.offsetX, 'x'), f = e.deltaY < 0 ? 0.75 : 1 / 0.75;
        setRange(at - (at - min) * f, at + (max - at) * f, null);
      }
    }, { passive: false });
    charts.push(u);
    return u;
  }
  function timelines() {
    var box = el('div', { id: 'charts' });
    var bucketNote = META.timeline.bucket > 1
      ? 'Each point is a bucket of ' + fmt(META.timeline.bucket) + ' rows (' + fmt(META.timeline.count) + ' buckets): the band runs from its minimum to its maximum.'
      : 'Every row is plotted.';
    var tools = el('div', { class: 'toolbar' }, [
      el('button', { text: 'zoom in', onclick: function () { var m = (state.min + state.max) / 2, s = (state.max - state.min) / 4; setRange(m - s, m + s, null); } }),
      el('button', { text: 'zoom out', onclick: function () { var m = (state.min + state.max) / 2, s = state.max - state.min; setRange(m - s, m + s, null); } }),
      el('button', { text: '◀ pan', onclick: function () { var s = (state.max - state.min) / 3; setRange(state.min - s, state.max - s, null); } }),
      el('button', { text: 'pan ▶', onclick: function () { var s = (state.max - state.min) / 3; setRange(state.min + s, state.max + s, null); } }),
      el('button', { text: 'whole run', onclick: function () { setRange(0, rows - 1, null); } }),
      el('span', { class: 'sub', text: 'Drag to zoom, wheel to zoom, shift+wheel to pan, double-click for the whole run; click a step to open it below.' }),
    ]);
    var section = el('section', { id: 'timelines' }, [el('h2', { text: 'Timelines over steps' }), el('div', { class: 'sub', text: bucketNote + (failRows.length ? ' Red lines: failing rows.' : '') }), tools, box]);
    app.appendChild(section);
    var defs = [
      ['pc', [{ key: 'pc', label: 'pc', color: '#2e5aac', fill: 'rgba(46,90,172,0.18)' }]],
      ['acc', [{ key: 'acc', label: 'acc', color: '#b4541a', fill: 'rgba(180,84,26,0.18)' }]],
      ['sp', [{ key: 'sp', label: 'sp', color: '#18794e', fill: 'rgba(24,121,78,0.18)' }]],
      ['flags', [
        { key: 'zero', label: 'zero', color: '#7a3eb1', fill: 'rgba(122,62,177,0.2)', value: function (u, v) { return v === null || v === undefined ? '–' : String(Math.round(v)); } },
        { key: 'carry', label: 'carry', color: '#a8326b', fill: 'rgba(168,50,107,0.2)', value: function (u, v) { return v === null || v === undefined ? '–' : String(Math.round(v - 1.5)); } },
      ]],
    ];
    defs.forEach(function (d) {
      var target = el('div', { class: 'chart', id: 'chart-' + d[0] });
      box.appendChild(target);
      makeChart(target, d[0], d[1], d[0] === 'flags' ? function () { return ['Z 0', 'Z 1', 'C 0', 'C 1']; } : null);
    });
  }

  // ---- 3. memory ----
  var heat = null;
  function memory() {
    var m = META.memory;
    var section = el('section', { id: 'memory' }, [el('h2', { text: 'Memory: cells over time' })]);
    app.appendChild(section);
    if (m.cells === 0 || m.count === 0) { section.appendChild(el('p', { class: 'sub', text: 'The program has no memory cells (or the trace no rows).' })); return; }
    var scale = 1;
    for (var i = 0; i < A.memValues.length; i++) { var a = Math.abs(A.memValues[i]); if (a > scale) scale = a; }
    META.initialMemory.forEach(function (v) { if (Math.abs(v) > scale) scale = Math.abs(v); });
    // Offscreen image: one column per time bucket, three pixel rows per cell (write mark, value, read mark).
    var off = document.createElement('canvas');
    off.width = m.count; off.height = m.cells * 3;
    var octx = off.getContext('2d');
    var img = octx.createImageData(off.width, off.height);
    for (var t = 0; t < m.count; t++) for (var c = 0; c < m.cells; c++) {
      var k = t * m.cells + c, col = valueColour(A.memValues[k], scale), mark = A.memMarks[k];
      for (var s = 0; s < 3; s++) {
        var px = col;
        if (s === 0 && (mark & 2)) px = [20, 24, 35];
        if (s === 2 && (mark & 1)) px = [24, 160, 90];
        var at = ((c * 3 + s) * off.width + t) * 4;
        img.data[at] = px[0]; img.data[at + 1] = px[1]; img.data[at + 2] = px[2]; img.data[at + 3] = 255;
      }
    }
    octx.putImageData(img, 0, 0);
    var gutter = 46;
    var cellH = Math.max(3, Math.min(18, Math.floor(320 / m.cells)));
    var canvas = el('canvas', { class: 'heat', id: 'heat' });
    var width = Math.max(480, section.clientWidth - 30);
    var dpr = devicePixelRatio || 1;
    canvas.width = Math.round(width * dpr); canvas.height = Math.round((m.cells * cellH + 22) * dpr);
    canvas.style.width = width + 'px'; canvas.style.height = (m.cells * cellH + 22) + 'px';
    var tip = el('div', { class: 'tip mono', id: 'heat-tip', text: 'Hover a cell; click to open the step.' });
    var grad = el('canvas', { class: 'legend-scale', width: 160, height: 10 });
    var gctx = grad.getContext('2d');
    for (var x = 0; x < 160; x++) { var v = Math.round(((x - 80) / 80) * scale); gctx.fillStyle = css(valueColour(v, scale)); gctx.fillRect(x, 0, 1, 10); }
    var legend = el('div', { class: 'sub' }, [
      'value: ', el('span', { class: 'mono', text: '-' + fmt(scale) + ' ' }), grad, el('span', { class: 'mono', text: ' ' + fmt(scale) }),
      ' (log scale) · dark stripe above a cell: written · green stripe below: read · ' + (m.bucket > 1 ? 'each column is ' + fmt(m.bucket) + ' rows, coloured by the value at its end' : 'one column per row, the value after the step'),
    ]);
    section.appendChild(legend);
    section.appendChild(el('div', { class: 'heat-wrap' }, [canvas]));
    section.appendChild(tip);
    heat = { canvas: canvas, off: off, gutter: gutter, cellH: cellH, width: width, dpr: dpr, scale: scale };
    function locate(e) {
      var r = canvas.getBoundingClientRect(), x = e.clientX - r.left - gutter, y = e.clientY - r.top;
      if (x < 0 || y < 0 || y >= m.cells * cellH) return null;
      var rowAt = state.min + (x / (width - gutter)) * (state.max + 1 - state.min);
      var t = Math.max(0, Math.min(m.count - 1, Math.floor(rowAt / m.bucket)));
      return { t: t, cell: Math.floor(y / cellH), row: Math.min(rows - 1, Math.floor(rowAt)) };
    }
    canvas.addEventListener('mousemove', function (e) {
      var p = locate(e);
      if (!p) { tip.textContent = 'Hover a cell; click to open the step.'; return; }
      var k = p.t * m.cells + p.cell, mark = A.memMarks[k];
      var first = p.t * m.bucket, last = Math.min(rows, first + m.bucket) - 1;
      tip.textContent = 'cell ' + p.cell + ' · ' + (first === last ? 'row ' + first : 'rows ' + fmt(first) + '–' + fmt(last)) + ' · value ' + A.memValues[k] + (mark & 2 ? ' · written' : '') + (mark & 1 ? ' · read' : '');
    });
    canvas.addEventListener('click', function (e) { var p = locate(e); if (p) openRow(m.bucket > 1 ? p.t * m.bucket : p.row, true); });
    drawHeat();
    // Initial, claimed final and the trace's own last memory.
    var last = A.memValues.subarray((m.count - 1) * m.cells, m.count * m.cells);
    var head = el('tr', null, [el('th', { text: 'cell' }), el('th', { text: 'initial' }), el('th', { text: 'claimed final' }), el('th', { text: 'after the last row' })]);
    var body = [head];
    for (var a = 0; a < m.cells; a++) {
      var claimed = META.claim.memory[a];
      body.push(el('tr', null, [el('td', { class: 'num', text: String(a) }), el('td', { class: 'num', text: String(META.initialMemory[a]) }),
        el('td', { class: 'num' + (claimed !== last[a] ? ' bad' : ''), 'data-k': 'final.' + a, text: String(claimed) }), el('td', { class: 'num' + (claimed !== last[a] ? ' bad' : ''), text: String(last[a]) })]));
    }
    section.appendChild(el('h3', { text: 'Initial and final memory' }));
    section.appendChild(el('div', { style: 'max-height:260px;overflow:auto;display:inline-block' }, [el('table', { id: 'memory-table' }, body)]));
  }
  function drawHeat() {
    if (!heat) return;
    var m = META.memory, h = heat, ctx = h.canvas.getContext('2d'), dpr = h.dpr;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, h.width, m.cells * h.cellH + 22);
    ctx.imageSmoothingEnabled = false;
    var sx = state.min / m.bucket, sw = Math.max(1e-6, (state.max + 1 - state.min) / m.bucket);
    ctx.drawImage(h.off, sx, 0, Math.min(sw, m.count - sx), h.off.height, h.gutter, 0, (h.width - h.gutter) * Math.min(1, (m.count - sx) / sw), m.cells * h.cellH);
    ctx.fillStyle = '#667085'; ctx.font = '10px system-ui, sans-serif'; ctx.textBaseline = 'middle';
    var every = Math.ceil(12 / h.cellH);
    for (var c = 0; c < m.cells; c += every) ctx.fillText('cell ' + c, 2, c * h.cellH + h.cellH / 2);
    ctx.textBaseline = 'top';
    for (var i = 0; i <= 4; i++) {
      var v = Math.round(state.min + (i / 4) * (state.max - state.min));
      var x = h.gutter + (i / 4) * (h.width - h.gutter - 40);
      ctx.fillText('row ' + fmt(v), x, m.cells * h.cellH + 6);
    }
    var mark = function (r, colour) {
      if (r < state.min || r > state.max + 1) return;
      var x = h.gutter + ((r - state.min) / (state.max + 1 - state.min)) * (h.width - h.gutter);
      ctx.fillStyle = colour; ctx.fillRect(Math.round(x), 0, 1, m.cells * h.cellH);
    };
    failRows.forEach(function (r) { mark(r, 'rgba(196,38,46,0.8)'); });
    if (state.row !== null) mark(state.row, 'rgba(46,90,172,0.9)');
  }

  // ---- 4. one step ----
  var stepBox, stepHead;
  function step() {
    stepHead = el('div', { class: 'toolbar' });
    stepBox = el('div', { id: 'step-body' });
    var input = el('input', { type: 'number', min: 0, max: Math.max(0, rows - 1), id: 'row-input' });
    input.addEventListener('keydown', function (e) { if (e.key === 'Enter') openRow(Number(input.value), false); e.stopPropagation(); });
    var w = DETAIL.window;
    var keptNote = 'This page keeps rows ' + fmt(w.from) + '–' + fmt(Math.max(w.from, w.to - 1)) + ' in full' + (A.detailRows.length > w.to - w.from ? ', and ' + fmt(A.detailRows.length - (w.to - w.from)) + ' more (around failures, and the last row)' : '') + (w.to - w.from < rows ? '; report --rows A:B keeps others.' : '.');
    app.appendChild(el('section', { id: 'step' }, [
      el('h2', { text: 'One step at the FFN level' }),
      el('div', { class: 'toolbar' }, [
        el('button', { id: 'prev', text: '◀ previous', onclick: function () { move(-1); } }),
        el('button', { id: 'next', text: 'next ▶', onclick: function () { move(1); } }),
        failRows.length ? el('button', { id: 'prev-failure', text: '◀ failure', onclick: function () { moveFailure(-1); } }) : null,
        failRows.length ? el('button', { id: 'next-failure', text: 'failure ▶', onclick: function () { moveFailure(1); } }) : null,
        el('span', { text: 'row ' }), input, el('button', { text: 'open', onclick: function () { openRow(Number(input.value), false); } }),
        el('span', { class: 'sub' }, [' ', el('span', { class: 'kbd', text: '←' }), ' ', el('span', { class: 'kbd', text: '→' }), ' step, ', el('span', { class: 'kbd', text: 'shift' }), '+arrows: failures. ' + keptNote]),
      ]),
      stepHead, stepBox,
    ]));
  }
  function move(dir) {
    if (state.row === null) return;
    var n = neighbour(state.row, dir);
    if (n !== null) openRow(n, false);
  }
  function moveFailure(dir) {
    if (!failRows.length) return;
    var cur = state.row === null ? -1 : state.row, target = null;
    if (dir > 0) { for (var i = 0; i < failRows.length; i++) if (failRows[i] > cur) { target = failRows[i]; break; } }
    else { for (var j = failRows.length - 1; j >= 0; j--) if (failRows[j] < cur) { target = failRows[j]; break; } }
    if (target !== null) openRow(target, false);
  }
  function slot(name, value, cls, key) { return el('div', { class: 'slot ' + (cls || ''), 'data-slot': key || name }, [el('span', { class: 'n', text: name }), el('span', { class: 'cellv', text: String(value) })]); }
  function openRow(row, fromPlot) {
    if (!Number.isFinite(row) || rows === 0) return;
    row = Math.max(0, Math.min(rows - 1, Math.round(row)));
    state.row = row;
    document.getElementById('row-input').value = String(row);
    charts.forEach(function (u) { u.redraw(false, false); });
    drawHeat();
    document.querySelectorAll('#failures tr.current').forEach(function (tr) { tr.classList.remove('current'); });
    document.querySelectorAll('#failures tr[data-row="' + row + '"]').forEach(function (tr) { tr.classList.add('current'); });
    stepHead.textContent = '';
    stepBox.textContent = '';
    var index = keptIndex(row);
    stepBox.setAttribute('data-row', String(row));
    if (index < 0) {
      var b = Math.floor(row / META.timeline.bucket);
      var before = neighbour(row, -1), after = neighbour(row, 1);
      stepBox.appendChild(el('div', { class: 'notice', id: 'not-kept' }, [
        'Row ' + fmt(row) + ' is not kept in full in this page. Its bucket (rows ' + fmt(b * META.timeline.bucket) + '–' + fmt(Math.min(rows, (b + 1) * META.timeline.bucket) - 1) + '): pc ' + A.pcMin[b] + '…' + A.pcMax[b] + ', acc ' + A.accMin[b] + '…' + A.accMax[b] + ', sp ' + A.spMin[b] + '…' + A.spMax[b] + '. ',
        before !== null ? el('button', { text: 'nearest kept before: ' + fmt(before), onclick: function () { openRow(before, false); } }) : null, ' ',
        after !== null ? el('button', { text: 'nearest kept after: ' + fmt(after), onclick: function () { openRow(after, false); } }) : null,
      ]));
      return;
    }
    var get = rowCells(index);
    var F = META.ffDim;
    var x = [];
    for (var i = 0; i < 9; i++) x.push(get('input', i));
    for (var j = 0; j < 32; j++) x.push(get('input_bits', j));
    var pc = get('pc'), opcode = get('opcode'), arg = get('arg');
    var info = pc >= 0 && pc < META.instructions.length ? META.instructions[pc] : null;
    var out = []; for (var o = 0; o < 6; o++) out.push(get('output', o));
    var fails = failByRow.get(row) || [];
    stepHead.appendChild(el('div', null, [
      el('strong', { id: 'step-title', text: 'row ' + fmt(row) + ' · step ' + fmt(get('step')) + ' · pc ' + pc + ': ' + instructionText(pc, opcode, arg) }),
      info ? el('span', { class: 'sub', text: '   read: ' + info.read + ' · ' + info.controls }) : null,
    ]));
    if (fails.length) stepBox.appendChild(el('div', { class: 'failbox', id: 'step-failures' }, [el('strong', { text: fails.length + ' failure' + (fails.length === 1 ? '' : 's') + ' on this row' })].concat(fails.map(function (f) {
      return el('div', { class: 'mono' }, [el('span', { class: 'bad', 'data-constraint': f.constraint, text: f.constraint }), ': expected ' + f.expected + ', actual ' + f.actual]);
    }))));
    // State before and after.
    var acc = x[3], zero = x[4], carry = x[5], halted = x[6], sp = x[7];
    var read = get('access_read'), write = get('access_write');
    var access = read ? 'read mem[' + get('access_addr') + '] = ' + get('access_value') : write ? 'write mem[' + get('access_addr') + '] = ' + get('access_value') : 'no memory access';
    var stateTable = el('table', { id: 'step-state' }, [
      el('tr', null, [el('th'), el('th', { text: 'pc' }), el('th', { text: 'acc' }), el('th', { text: 'sp' }), el('th', { text: 'zero' }), el('th', { text: 'carry' }), el('th', { text: 'halted' })]),
      el('tr', null, [el('th', { text: 'before' }), el('td', { class: 'num', 'data-k': 'pc', text: String(pc) }), el('td', { class: 'num', 'data-k': 'acc', text: String(acc) }), el('td', { class: 'num', 'data-k': 'sp', text: String(sp) }), el('td', { class: 'num', text: String(zero) }), el('td', { class: 'num', text: String(carry) }), el('td', { class: 'num', text: String(halted) })]),
      el('tr', null, [el('th', { text: 'after' }), el('td', { class: 'num', 'data-k': 'next_pc', text: String(out[0]) }), el('td', { class: 'num', 'data-k': 'next_acc', text: String(get('next_acc')) }), el('td', { class: 'num', text: String(out[2]) }), el('td', { class: 'num', text: String(get('next_zero')) }), el('td', { class: 'num', text: String(get('next_carry')) }), el('td', { class: 'num', text: String(get('next_halted')) })]),
    ]);
    stepBox.appendChild(el('div', { class: 'cols' }, [stateTable, el('div', { class: 'mono', id: 'step-access', text: access })]));
    // Input vector: nine words, then the bits of ACC and OPERAND.
    var words = el('div', { class: 'grid', id: 'input-words' });
    for (var s = 0; s < 9; s++) words.appendChild(slot(s + ' ' + META.inputNames[s], x[s], x[s] !== 0 ? 'nz' : '', META.inputNames[s]));
    function bits(from, label) {
      var box = el('div', { class: 'bits' });
      for (var b = 0; b < 16; b++) box.appendChild(el('div', { class: 'bit' + (x[from + b] ? ' on' : ''), title: 'slot ' + (from + b) + ' ' + META.inputNames[from + b] }, [el('span', { class: 'n', text: META.inputNames[from + b] }), String(x[from + b])]));
      return el('div', null, [el('div', { class: 'sub', text: label }), box]);
    }
    stepBox.appendChild(el('h3', { text: 'Input x (41 slots)' }));
    stepBox.appendChild(words);
    stepBox.appendChild(bits(9, 'slots 9–24: bits of ACC (bit i at 9+i)'));
    stepBox.appendChild(bits(25, 'slots 25–40: bits of OPERAND'));
    // Hidden units: each unit of the instruction as compile --print names it, with the row's gate, value and product.
    var unitRows = [el('tr', null, [el('th', { text: 'unit' }), el('th', { text: 'compiled (gate · value → output × coefficient)' }), el('th', { text: 'gate' }), el('th', { text: 'value' }), el('th', { text: 'hidden' })])];
    var silent = 0;
    var expectOut = info ? info.bias.slice() : null;
    for (var k = 0; k < F; k++) {
      var g = get('gate', k), v = get('value', k), hdn = get('hidden', k);
      var unit = info && k < info.weights.length ? info.weights[k] : null;
      if (!unit && g === 0 && v === 0 && hdn === 0) { silent++; continue; }
      var eg = unit ? (unit[0] < 0 ? 1 : x[unit[0]]) : 0, ev = unit ? x[unit[1]] : 0;
      if (unit && expectOut) expectOut[unit[2]] += unit[3] * hdn;
      unitRows.push(el('tr', { 'data-unit': k }, [
        el('td', { class: 'mono', text: 'h' + k }),
        el('td', { class: 'mono', text: unit ? info.units[k] : '(no unit of this instruction)' }),
        el('td', { class: 'num' + (g !== eg ? ' bad' : ''), title: g !== eg ? 'the weights give ' + eg : null, text: String(g) }),
        el('td', { class: 'num' + (v !== ev ? ' bad' : ''), title: v !== ev ? 'the weights give ' + ev : null, text: String(v) }),
        el('td', { class: 'num' + (hdn !== g * v ? ' bad' : ''), title: hdn !== g * v ? 'gate · value = ' + g * v : null, 'data-k': 'hidden.' + k, text: String(hdn) }),
      ]));
    }
    stepBox.appendChild(el('h3', { text: 'Hidden units (ff_dim ' + F + (info ? ', ' + info.weights.length + ' used by this instruction' : '') + ')' }));
    stepBox.appendChild(el('table', { id: 'units' }, unitRows));
    if (silent) stepBox.appendChild(el('div', { class: 'sub', text: silent + ' more unit' + (silent === 1 ? '' : 's') + ' unused by this instruction, all 0.' }));
    var outs = el('div', { class: 'grid', id: 'output' });
    for (var q = 0; q < 6; q++) {
      var mismatch = expectOut !== null && expectOut[q] !== out[q];
      var sl = slot(q + ' ' + META.outputNames[q], out[q], (mismatch ? 'bad' : out[q] !== 0 ? 'nz' : ''), META.outputNames[q]);
      if (mismatch) sl.title = 'W_out · hidden + b_out = ' + expectOut[q];
      outs.appendChild(sl);
    }
    stepBox.appendChild(el('h3', { text: 'Output (6 slots) = W_out · hidden + b_out' }));
    stepBox.appendChild(outs);
    if (info) stepBox.appendChild(weightMaps(info, F));
    // Every column of the row, as stored.
    var raw = DETAIL.columns.map(function (c) {
      var vals = []; for (var e = 0; e < c.width; e++) vals.push(get(c.name, e));
      var text = c.name === 'selector' ? (vals[1] === 1 ? 'one-hot at ' + vals[0] : vals[1] + ' set, first at ' + vals[0]) : vals.join(' ');
      return el('tr', null, [el('th', { class: 'mono', text: c.name }), el('td', { class: 'mono', style: 'word-break:break-all', text: text })]);
    });
    stepBox.appendChild(el('details', null, [el('summary', { text: 'Every column of this row' }), el('table', null, raw)]));
    if (!fromPlot) return;
  }
  function weightMaps(info, F) {
    var units = info.weights.length;
    var names = META.inputNames;
    function matrix(title, rowsN, colsN, value, rowName, colName, cell) {
      // Row names on the left; above, the names of the columns that hold a weight (rotated).
      var ctxM = document.createElement('canvas').getContext('2d');
      ctxM.font = '10px system-ui, sans-serif';
      var left = 4, top = 4, used = [];
      for (var r0 = 0; r0 < rowsN; r0++) left = Math.max(left, ctxM.measureText(rowName(r0)).width + 6);
      for (var k0 = 0; k0 < colsN; k0++) {
        var any = false;
        for (var r1 = 0; r1 < rowsN; r1++) if (value(r1, k0) !== 0) any = true;
        if (any) { used.push(k0); top = Math.max(top, ctxM.measureText(colName(k0)).width * 0.75 + 10); }
      }
      if (colsN === 1) top = 4;
      var c = el('canvas', { class: 'w' });
      var W = Math.ceil(left + colsN * cell + 2), H = Math.ceil(top + rowsN * cell + 2), dpr = devicePixelRatio || 1;
      c.width = W * dpr; c.height = H * dpr;
      c.style.width = W + 'px'; c.style.height = H + 'px';
      var ctx = c.getContext('2d');
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      var maxAbs = 1;
      for (var r = 0; r < rowsN; r++) for (var k = 0; k < colsN; k++) maxAbs = Math.max(maxAbs, Math.abs(value(r, k)));
      for (var r2 = 0; r2 < rowsN; r2++) for (var k2 = 0; k2 < colsN; k2++) {
        var v = value(r2, k2);
        ctx.fillStyle = v === 0 ? '#f1f3f7' : css(valueColour(v, maxAbs));
        ctx.fillRect(left + k2 * cell, top + r2 * cell, cell - 1, cell - 1);
      }
      ctx.fillStyle = '#667085'; ctx.font = '10px system-ui, sans-serif'; ctx.textBaseline = 'middle';
      if (cell >= 8 || rowsN <= 12) for (var r3 = 0; r3 < rowsN; r3++) ctx.fillText(rowName(r3), 2, top + r3 * cell + cell / 2);
      if (colsN > 1) used.forEach(function (k3) {
        ctx.save(); ctx.translate(left + k3 * cell + cell / 2 + 3, top - 3); ctx.rotate(-Math.PI / 3);
        ctx.textBaseline = 'middle'; ctx.fillText(colName(k3), 0, 0); ctx.restore();
      });
      var cap = el('figcaption', { text: title });
      c.addEventListener('mousemove', function (e) {
        var rr = Math.floor((e.offsetY - top) / cell), kk = Math.floor((e.offsetX - left) / cell);
        if (rr >= 0 && kk >= 0 && rr < rowsN && kk < colsN) cap.textContent = title + ': [' + rowName(rr) + ', ' + colName(kk) + '] = ' + value(rr, kk);
      });
      c.addEventListener('mouseleave', function () { cap.textContent = title; });
      return el('figure', null, [c, cap]);
    }
    var cell = units > 25 ? 7 : 10;
    var wrap = el('div', { class: 'weights', id: 'weights' });
    wrap.appendChild(matrix('W_gate (units × [1, x])', units, 42, function (r, k) { var u = info.weights[r]; return k === 0 ? (u[0] < 0 ? 1 : 0) : (u[0] === k - 1 ? 1 : 0); }, function (r) { return 'h' + r; }, function (k) { return k === 0 ? 'b_gate' : names[k - 1]; }, cell));
    wrap.appendChild(matrix('W_value (units × x)', units, 41, function (r, k) { return info.weights[r][1] === k ? 1 : 0; }, function (r) { return 'h' + r; }, function (k) { return names[k]; }, cell));
    wrap.appendChild(matrix('W_out (outputs × units)', 6, Math.max(1, units), function (o, r) { var u = info.weights[r]; return u && u[2] === o ? u[3] : 0; }, function (o) { return META.outputNames[o]; }, function (r) { return 'h' + r; }, 12));
    wrap.appendChild(matrix('b_out', 6, 1, function (o) { return info.bias[o]; }, function (o) { return META.outputNames[o]; }, function () { return 'bias'; }, 12));
    return el('div', null, [el('h3', { text: 'Weights of ' + info.text + ' (red positive, blue negative; hover for values)' }), wrap]);
  }

  // ---- 5. failures ----
  function failuresSection() {
    var section = el('section', { id: 'failures' }, [el('h2', { text: 'Failures' })]);
    app.appendChild(section);
    if (META.check === null) { section.appendChild(el('p', { class: 'sub', text: 'Not checked: tvm-trace report --check runs the checker and marks every failing row.' })); return; }
    if (META.check.ok) { section.appendChild(el('p', { 'data-k': 'check-ok', text: 'check: ok: ' + fmt(META.check.rows) + ' rows, ' + META.check.constraintsPerRow + ' constraints per row and the memory arguments hold (field ' + META.check.field + ').' })); return; }
    var head = el('tr', null, ['constraint', 'row', 'step', 'pc', 'instruction', 'expected', 'actual', 'message'].map(function (h) { return el('th', { text: h }); }));
    var list = [head].concat(failures.map(function (f) {
      var attrs = { class: f.row !== null ? 'click' : null, 'data-row': f.row === null ? null : String(f.row) };
      if (f.row !== null) attrs.onclick = function () { openRow(f.row, false); document.getElementById('step').scrollIntoView({ behavior: 'smooth' }); };
      return el('tr', attrs, [el('td', { class: 'mono bad', text: f.constraint }), el('td', { class: 'num', text: f.row === null ? '–' : fmt(f.row) }), el('td', { class: 'num', text: f.step === null ? '–' : fmt(f.step) }),
        el('td', { class: 'num', text: f.pc === null ? '–' : String(f.pc) }), el('td', { class: 'mono', text: f.instruction || '' }), el('td', { class: 'mono', text: f.expected === null ? '' : f.expected }), el('td', { class: 'mono', text: f.actual === null ? '' : f.actual }), el('td', { class: 'sub', text: f.message })]);
    }));
    section.appendChild(el('p', { text: fmt(META.check.failureCount) + ' failure' + (META.check.failureCount === 1 ? '' : 's') + ' (field ' + META.check.field + ')' + (META.check.failureCount > failures.length ? ', the first ' + failures.length + ' listed' : '') + '. Click a row to open it.' }));
    section.appendChild(el('div', { style: 'max-height:360px;overflow:auto' }, [el('table', { id: 'failure-table' }, list)]));
  }

  document.addEventListener('keydown', function (e) {
    var tag = (e.target && e.target.tagName) || '';
    if (tag === 'INPUT' || tag === 'TEXTAREA') return;
    if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
      e.preventDefault();
      var dir = e.key === 'ArrowRight' ? 1 : -1;
      if (e.shiftKey) moveFailure(dir); else move(dir);
    }
  });

  unpack().then(function () {
    document.getElementById('loading').remove();
    app.appendChild(el('h1', { text: 'tvm-trace report: ' + META.name }));
    app.appendChild(el('div', { class: 'sub', text: 'uPlot ' + META.uplot + ' · ' + fmt(rows) + ' rows · ' + (META.check === null ? 'not checked' : META.check.ok ? 'check ok' : 'check failed') }));
    app.appendChild(summary());
    timelines();
    memory();
    step();
    failuresSection();
    var first = failRows.length ? failRows[0] : A.detailRows.length ? A.detailRows[0] : null;
    if (first !== null) openRow(first, false);
    window.__report = { meta: META, arrays: A, charts: charts, openRow: openRow, state: state };
    requestAnimationFrame(function () {
      document.body.setAttribute('data-ready', String(Math.round(performance.now())));
    });
  }).catch(function (error) {
    app.textContent = 'The report could not be drawn: ' + (error && error.message ? error.message : String(error));
    console.error(error);
  });
})();
`;
