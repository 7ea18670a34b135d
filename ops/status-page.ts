/**
 * The status page: one self-contained HTML document (no CDN, no external script) that
 * polls /status and draws read throughput, zero-copy against copied, on a canvas.
 * `window.spliced` exposes the samples it plotted, for the headless-browser test.
 */
export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>spliced status</title>
<style>
  :root { --zc: #1b9e77; --cp: #d95f02; --wr: #7570b3; --fg: #222; --muted: #777; }
  body { font: 14px/1.4 system-ui, sans-serif; color: var(--fg); margin: 1.5em auto; max-width: 980px; padding: 0 1em; }
  h1 { font-size: 1.4em; margin: 0 0 .2em; } h2 { font-size: 1.05em; margin: 1.4em 0 .4em; }
  .muted { color: var(--muted); }
  .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: .6em; margin: 1em 0; }
  .card { border: 1px solid #ddd; border-radius: 6px; padding: .5em .7em; }
  .card b { display: block; font-size: 1.3em; font-variant-numeric: tabular-nums; }
  canvas { width: 100%; height: 260px; border: 1px solid #ddd; border-radius: 6px; }
  .legend span { margin-right: 1.2em; } .legend i { display: inline-block; width: 12px; height: 3px; vertical-align: middle; margin-right: .3em; }
  table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .25em .6em; border-bottom: 1px solid #eee; }
  td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
  #error { color: #b00; }
</style>
</head>
<body>
<h1>spliced</h1>
<div class="muted">live status, refreshed every <span id="interval"></span> ms &middot; <a href="/metrics">/metrics</a> &middot; <a href="/status">/status</a></div>
<div id="error"></div>
<div class="cards">
  <div class="card">read zero-copy<b id="rate-zerocopy">-</b></div>
  <div class="card">read copied<b id="rate-copy">-</b></div>
  <div class="card">write<b id="rate-write">-</b></div>
  <div class="card">connections<b id="connections">-</b></div>
  <div class="card">sessions<b id="sessions">-</b></div>
  <div class="card">open files<b id="open-files">-</b></div>
</div>
<canvas id="plot" width="940" height="260" aria-label="read throughput, zero-copy and copied"></canvas>
<div class="legend"><span><i style="background:var(--zc)"></i>zero-copy read</span><span><i style="background:var(--cp)"></i>copied read</span><span><i style="background:var(--wr)"></i>write</span></div>
<h2>Totals</h2>
<table><tbody id="totals"></tbody></table>
<h2>SMB Direct</h2>
<div id="smbd-state" class="muted">-</div>
<table><tbody id="smbdirect"></tbody></table>
<h2>Cache</h2>
<table><tbody id="cache"></tbody></table>
<h2>Shares</h2>
<table><thead><tr><th>name</th><th>path</th><th>access</th></tr></thead><tbody id="shares"></tbody></table>
<h2>Connections</h2>
<table><thead><tr><th class="n">id</th><th>transport</th><th>dialect</th><th class="n">sessions</th><th class="n">open files</th></tr></thead><tbody id="conns"></tbody></table>
<script>
(function () {
  'use strict';
  var params = new URLSearchParams(location.search);
  var intervalMs = Math.max(100, Number(params.get('interval')) || 1000);
  var windowSamples = 120;
  var state = { samples: [], polls: 0, draws: 0, last: null };
  window.spliced = state;
  document.getElementById('interval').textContent = intervalMs;

  function bytes(n) {
    var units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'], i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i === 0 ? n.toFixed(0) : n.toFixed(n < 10 ? 2 : 1)) + ' ' + units[i];
  }
  function rate(n) { return bytes(n) + '/s'; }

  // The y axis: ticks at 1, 2, 2.5 or 5 times a power of ten of one binary unit, so every label is
  // distinct and round; an idle plot spans 0 to 1 KiB/s.
  var AXIS_FLOOR = 1024, RATE_UNITS = ['B/s', 'KiB/s', 'MiB/s', 'GiB/s', 'TiB/s'];
  function axis(max) {
    var i = 0, scaled = Math.max(max, AXIS_FLOOR);
    while (scaled >= 1024 && i < RATE_UNITS.length - 1) { scaled /= 1024; i++; }
    var raw = scaled / 4, pow = Math.pow(10, Math.floor(Math.log10(raw)));
    var step = [1, 2, 2.5, 5, 10].map(function (m) { return m * pow; }).filter(function (s) { return s >= raw; })[0];
    if (i === 0) step = Math.max(1, Math.round(step));
    var decimals = (String(Number(step.toFixed(6))).split('.')[1] || '').length, ticks = [];
    for (var k = 0, n = Math.ceil(scaled / step - 1e-9); k <= n; k++) {
      var v = Number((k * step).toFixed(decimals));
      ticks.push({ value: v * Math.pow(1024, i), label: k === 0 ? '0' : v.toFixed(decimals) + ' ' + RATE_UNITS[i] });
    }
    return { max: ticks[ticks.length - 1].value, ticks: ticks };
  }
  state.axisFor = axis;
  function cell(text, numeric) {
    var td = document.createElement('td'); td.textContent = text; if (numeric) td.className = 'n'; return td;
  }
  function fillRows(id, rows) {
    var body = document.getElementById(id); body.textContent = '';
    rows.forEach(function (r) {
      var tr = document.createElement('tr');
      r.forEach(function (c) { tr.appendChild(cell(c[0], c[1])); });
      body.appendChild(tr);
    });
  }

  function addSample(s) {
    var t = s.throughput, now = s.time;
    if (state.last) {
      var dt = (now - state.last.time) / 1000, p = state.last.throughput;
      if (dt > 0) {
        state.samples.push({
          time: now,
          zeroCopy: Math.max(0, t.readZeroCopyBytes - p.readZeroCopyBytes) / dt,
          copy: Math.max(0, t.readCopyBytes - p.readCopyBytes) / dt,
          write: Math.max(0, t.writeBytes - p.writeBytes) / dt
        });
        if (state.samples.length > windowSamples) state.samples.shift();
      }
    }
    state.last = s;
  }

  function draw() {
    var c = document.getElementById('plot'), g = c.getContext('2d');
    var w = c.width, h = c.height, left = 70, bottom = 20, top = 10;
    g.clearRect(0, 0, w, h);
    var peak = 0;
    state.samples.forEach(function (p) { peak = Math.max(peak, p.zeroCopy + p.copy, p.write); });
    var scale = axis(peak), max = scale.max;
    state.axisLabels = scale.ticks.map(function (t) { return t.label; });
    g.strokeStyle = '#eee'; g.fillStyle = '#777'; g.font = '11px sans-serif'; g.lineWidth = 1;
    scale.ticks.forEach(function (t) {
      var y = top + (h - top - bottom) * (1 - t.value / max);
      g.beginPath(); g.moveTo(left, y); g.lineTo(w, y); g.stroke();
      g.fillText(t.label, 2, y + 4);
    });
    var step = (w - left) / (windowSamples - 1);
    var x0 = w - step * (state.samples.length - 1);
    function yOf(v) { return top + (h - top - bottom) * (1 - v / max); }
    function area(pick, base, color) {
      if (state.samples.length < 2) return;
      g.beginPath();
      state.samples.forEach(function (p, i) { var x = x0 + i * step; i ? g.lineTo(x, yOf(pick(p))) : g.moveTo(x, yOf(pick(p))); });
      for (var i = state.samples.length - 1; i >= 0; i--) g.lineTo(x0 + i * step, yOf(base(state.samples[i])));
      g.closePath(); g.fillStyle = color; g.globalAlpha = 0.75; g.fill(); g.globalAlpha = 1;
    }
    var css = getComputedStyle(document.documentElement);
    area(function (p) { return p.zeroCopy; }, function () { return 0; }, css.getPropertyValue('--zc'));
    area(function (p) { return p.zeroCopy + p.copy; }, function (p) { return p.zeroCopy; }, css.getPropertyValue('--cp'));
    if (state.samples.length > 1) {
      g.beginPath(); g.strokeStyle = css.getPropertyValue('--wr'); g.lineWidth = 2;
      state.samples.forEach(function (p, i) { var x = x0 + i * step; i ? g.lineTo(x, yOf(p.write)) : g.moveTo(x, yOf(p.write)); });
      g.stroke();
    }
    state.draws++;
  }

  function smbDirectState(d) {
    if (!d) return 'not started yet';
    if (d.state === 'off') return 'off (rdma port = 0)';
    if (d.state === 'unavailable') return 'not running: ' + (d.reason || 'unavailable') + ' (serving TCP only)';
    var devices = d.devices.map(function (x) { return x.name + (x.netdevs.length ? ' (' + x.netdevs.join(', ') + ')' : ''); }).join(', ');
    return 'listening on rdma_cm port ' + d.port + ' on ' + (devices || 'no device') + '; zero copy ' + (d.zeroCopy ? 'on' : 'off (rdma zero copy = no)');
  }
  function renderSmbDirect(s) {
    var t = s.throughput;
    document.getElementById('smbd-state').textContent = smbDirectState(s.smbDirect);
    fillRows('smbdirect', [
      [['RDMA connections'], [String(s.connectionsByTransport.rdma), 1]],
      [['RDMA WRITE (READ data to clients)'], [bytes(t.rdmaWriteBytes) + ' in ' + t.rdmaWriteOps + ' ops', 1]],
      [['RDMA READ (WRITE data from clients)'], [bytes(t.rdmaReadBytes) + ' in ' + t.rdmaReadOps + ' ops', 1]],
      [['READ data zero-copy / copied'], [bytes(t.rdmaZeroCopyBytes) + ' / ' + bytes(t.rdmaCopyBytes), 1]],
      [['credit stalls'], [String(t.creditStalls), 1]],
      [['SMB Direct protocol errors'], [String(t.smbdirectErrors), 1]]
    ]);
  }

  function render(s) {
    var latest = state.samples[state.samples.length - 1] || { zeroCopy: 0, copy: 0, write: 0 };
    document.getElementById('rate-zerocopy').textContent = rate(latest.zeroCopy);
    document.getElementById('rate-copy').textContent = rate(latest.copy);
    document.getElementById('rate-write').textContent = rate(latest.write);
    document.getElementById('connections').textContent = s.connections.length;
    document.getElementById('sessions').textContent = s.sessions;
    document.getElementById('open-files').textContent = s.openFiles;
    var t = s.throughput;
    fillRows('totals', [
      [['read zero-copy'], [bytes(t.readZeroCopyBytes), 1]], [['read copied'], [bytes(t.readCopyBytes), 1]],
      [['written'], [bytes(t.writeBytes), 1]], [['RDMA WRITE'], [bytes(t.rdmaWriteBytes), 1]],
      [['RDMA READ'], [bytes(t.rdmaReadBytes), 1]], [['RDMA WRITE / READ operations'], [t.rdmaWriteOps + ' / ' + t.rdmaReadOps, 1]],
      [['SMB2 requests (failed)'], [t.requests + ' (' + t.failedRequests + ')', 1]],
      [['SMB Direct credit stalls'], [String(t.creditStalls), 1]], [['protocol errors'], [String(t.protocolErrors), 1]]
    ]);
    renderSmbDirect(s);
    var c = s.cache;
    var cacheRows = c ? Object.keys(c.pages).map(function (k) { return [['pages ' + k], [String(c.pages[k]), 1]]; })
      .concat(Object.keys(c.copiedBytesByReason).map(function (k) { return [['copied (' + k + ')'], [bytes(c.copiedBytesByReason[k]), 1]]; }))
      .concat([[['COW replacements'], [String(c.cowReplacements), 1]], [['evictions'], [String(c.evictions), 1]],
               [['hits / misses'], [c.hits + ' / ' + c.misses, 1]]]) : [[['page cache counters unavailable']]];
    fillRows('cache', cacheRows);
    fillRows('shares', s.shares.map(function (x) { return [[x.name], [x.path], [x.readOnly ? 'read only' : 'read/write']]; }));
    fillRows('conns', s.connections.map(function (x) {
      return [[String(x.id), 1], [x.transport], [x.dialect], [String(x.sessions), 1], [String(x.openFiles), 1]];
    }));
  }

  function poll() {
    fetch('/status', { cache: 'no-store' }).then(function (r) { return r.json(); }).then(function (s) {
      state.polls++;
      document.getElementById('error').textContent = '';
      addSample(s); render(s); draw();
    }).catch(function (e) {
      document.getElementById('error').textContent = 'cannot reach spliced: ' + e.message;
    }).then(function () { setTimeout(poll, intervalMs); });
  }
  poll();
})();
</script>
</body>
</html>
`;
