import { bytes, count } from '../rules/helpers.js'
import type { AuditReport, PatternReport, Severity } from '../types.js'
import { barChart, donutChart, type Segment, stackedChart } from './charts.js'
import { escapeHtml, scriptJson } from './escape.js'
import { scanLine, serverLine, severityCounts, ttlLabel, typeLabel } from './summary.js'

const CHART_ROWS = 12

const TYPE_COLORS: Readonly<Record<string, string>> = {
  string: '#2563eb',
  hash: '#7c3aed',
  list: '#0891b2',
  set: '#059669',
  zset: '#d97706',
  stream: '#db2777',
}

const SEVERITY_COLORS: Readonly<Record<Severity, string>> = {
  high: '#b91c1c',
  medium: '#c2410c',
  low: '#1d4ed8',
  info: '#475569',
}

const CSS = `
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#0f172a;background:#f1f5f9}
header{background:#0f172a;color:#f8fafc;padding:20px 32px}
header h1{margin:0 0 4px;font-size:22px}
header p{margin:2px 0;color:#cbd5e1;font-size:13px}
main{padding:20px 32px 40px;max-width:1400px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;margin-bottom:20px}
.card{background:#fff;border-radius:10px;padding:12px 16px;box-shadow:0 1px 2px rgba(15,23,42,.08)}
.card b{display:block;font-size:22px}
.card span{color:#64748b;font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:16px;margin-bottom:20px}
section{background:#fff;border-radius:10px;padding:16px 20px;box-shadow:0 1px 2px rgba(15,23,42,.08);margin-bottom:20px}
.grid section{margin-bottom:0}
h2{font-size:16px;margin:0 0 12px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:7px 8px;border-bottom:1px solid #e2e8f0;vertical-align:top}
th{color:#475569;font-weight:600;background:#f8fafc}
th[data-sort]{cursor:pointer}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
code{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f1f5f9;padding:1px 4px;border-radius:4px;word-break:break-all}
.sev{display:inline-block;min-width:58px;text-align:center;color:#fff;border-radius:999px;padding:1px 8px;font-size:11px;font-weight:700;text-transform:uppercase}
.fix{color:#334155}
#findings td:nth-child(3){min-width:190px;max-width:260px}
#findings td:nth-child(3) code{word-break:normal;overflow-wrap:anywhere}
.filters{margin-bottom:10px}
.filters button{border:1px solid #cbd5e1;background:#fff;border-radius:999px;padding:3px 12px;margin-right:6px;cursor:pointer;font:inherit;font-size:12px}
.filters button.off{opacity:.4;text-decoration:line-through}
.legend{font-size:12px;color:#475569;margin-top:6px}
.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 4px 0 10px}
footer{color:#64748b;font-size:12px;padding:0 32px 24px}
`

/** Sorting and filtering only: everything else is static HTML and SVG. */
const SCRIPT = `
(function () {
  var buttons = document.querySelectorAll('[data-filter]');
  buttons.forEach(function (button) {
    button.addEventListener('click', function () {
      button.classList.toggle('off');
      var hidden = {};
      document.querySelectorAll('[data-filter].off').forEach(function (b) { hidden[b.getAttribute('data-filter')] = true; });
      document.querySelectorAll('#findings tbody tr').forEach(function (row) {
        row.hidden = !!hidden[row.getAttribute('data-severity')];
      });
    });
  });
  document.querySelectorAll('th[data-sort]').forEach(function (th) {
    th.addEventListener('click', function () {
      var table = th.closest('table');
      var body = table.tBodies[0];
      var column = th.cellIndex;
      var descending = th.getAttribute('data-dir') !== 'desc';
      th.setAttribute('data-dir', descending ? 'desc' : 'asc');
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[column].getAttribute('data-value');
        var y = b.cells[column].getAttribute('data-value');
        var nx = Number(x), ny = Number(y);
        var order = isNaN(nx) || isNaN(ny) ? String(x).localeCompare(String(y)) : nx - ny;
        return descending ? -order : order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
})();
`

function memoryChart(patterns: readonly PatternReport[]): string {
  const top = patterns.slice(0, CHART_ROWS)
  const rest = patterns.slice(CHART_ROWS)
  const bars = top.map((p) => ({
    label: p.pattern,
    value: p.memory.estimatedTotal,
    text: bytes(p.memory.estimatedTotal),
  }))
  if (rest.length > 0) {
    const value = rest.reduce((sum, p) => sum + p.memory.estimatedTotal, 0)
    bars.push({ label: `${rest.length} other patterns`, value, text: bytes(value) })
  }
  return barChart('chart-memory', bars, '#4f46e5')
}

function ttlChart(patterns: readonly PatternReport[]): string {
  const top = [...patterns].sort((a, b) => b.estimatedKeys - a.estimatedKeys).slice(0, CHART_ROWS)
  return stackedChart(
    'chart-ttl',
    top.map((p) => ({
      label: p.pattern,
      text: ttlLabel(p),
      segments: [
        { name: 'with TTL', value: p.ttl.withTtl, color: '#0d9488' },
        { name: 'without TTL', value: p.ttl.withoutTtl, color: '#f59e0b' },
      ],
    })),
  )
}

function typeChart(patterns: readonly PatternReport[]): string {
  const memory = new Map<string, number>()
  const keys = new Map<string, number>()
  for (const p of patterns) {
    const total = p.keys || 1
    for (const [type, n] of Object.entries(p.types)) {
      keys.set(type, (keys.get(type) ?? 0) + n * (p.estimatedKeys / total))
      memory.set(type, (memory.get(type) ?? 0) + p.memory.estimatedTotal * (n / total))
    }
  }
  const segments: Segment[] = [...memory]
    .sort((a, b) => b[1] - a[1])
    .map(([type, value]) => ({ name: type, value, color: TYPE_COLORS[type] ?? '#64748b' }))
  return donutChart(
    'chart-types',
    segments,
    (s) => `${s.name}: ${bytes(s.value)} · ${count(keys.get(s.name) ?? 0)} keys`,
  )
}

/** The largest keys over every pattern: where memory concentrates. */
function largestKeys(report: AuditReport): string {
  const keys = report.patterns
    .flatMap((p) => p.largest)
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 8)
  if (keys.length === 0) return '<p>No keys.</p>'
  const rows = keys.map(
    (k) =>
      `<tr><td><code>${escapeHtml(k.key)}</code></td><td>${escapeHtml(k.type)}</td><td class="num">${k.size === null ? '' : count(k.size)}</td><td>${escapeHtml(k.encoding ?? '')}</td><td class="num">${bytes(k.bytes)}</td></tr>`,
  )
  return `<table id="largest"><thead><tr><th>key</th><th>type</th><th class="num">elements / bytes</th><th>encoding</th><th class="num">memory</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
}

function findingsTable(report: AuditReport): string {
  if (report.findings.length === 0) return '<p>No findings.</p>'
  const rows = report.findings.map((f) => {
    const where = [
      f.pattern ? `<code>${escapeHtml(f.pattern)}</code>` : '',
      f.key && f.key !== f.pattern ? `<div>key <code>${escapeHtml(f.key)}</code></div>` : '',
      f.nodes ? `<div>${escapeHtml(f.nodes.join(' '))}</div>` : '',
    ].join('')
    return `<tr data-severity="${f.severity}"><td><span class="sev" style="background:${SEVERITY_COLORS[f.severity]}">${f.severity}</span></td><td>${escapeHtml(f.rule)}</td><td>${where}</td><td>${escapeHtml(f.message)}<div class="fix"><b>Fix:</b> ${escapeHtml(f.fix)}</div></td></tr>`
  })
  const counts = severityCounts(report)
  const filters = (Object.keys(counts) as Severity[])
    .filter((s) => counts[s] > 0)
    .map((s) => `<button type="button" data-filter="${s}">${s} (${counts[s]})</button>`)
    .join('')
  return `<div class="filters">${filters}</div><table id="findings"><thead><tr><th>severity</th><th>rule</th><th>where</th><th>finding and fix</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
}

function patternsTable(report: AuditReport): string {
  const cell = (text: string, value: string | number, num = true) =>
    `<td${num ? ' class="num"' : ''} data-value="${escapeHtml(String(value))}">${text}</td>`
  const rows = report.patterns.map(
    (p) =>
      `<tr>${cell(`<code>${escapeHtml(p.pattern)}</code>`, p.pattern, false)}${cell(count(p.estimatedKeys), p.estimatedKeys)}${cell(escapeHtml(typeLabel(p)), typeLabel(p), false)}${cell(bytes(p.memory.estimatedTotal), p.memory.estimatedTotal)}${cell(bytes(p.memory.avg), p.memory.avg)}${cell(bytes(p.memory.p99), p.memory.p99)}${cell(ttlLabel(p), p.ttl.coverage)}${cell(escapeHtml(Object.keys(p.encodings).join(', ')), Object.keys(p.encodings).join(','), false)}${cell(p.largest[0] ? `<code>${escapeHtml(p.largest[0].key)}</code>` : '', p.largest[0]?.bytes ?? 0, false)}</tr>`,
  )
  const th = (label: string, num = true) => `<th data-sort${num ? ' class="num"' : ''}>${label}</th>`
  return `<table id="patterns"><thead><tr>${th('pattern', false)}${th('keys')}${th('type', false)}${th('memory')}${th('avg')}${th('p99')}${th('TTL')}${th('encodings', false)}${th('largest key', false)}</tr></thead><tbody>${rows.join('')}</tbody></table>`
}

/** One self-contained page: inline CSS, SVG and a few lines of script; nothing is fetched. */
export function renderHtml(report: AuditReport): string {
  const counts = severityCounts(report)
  const s = report.scanned
  const cards = [
    [count(s.keys), 'keys inspected'],
    [bytes(report.server.usedMemory), 'used memory'],
    [count(report.patterns.length), 'patterns'],
    [String(counts.high), 'high'],
    [String(counts.medium), 'medium'],
    [String(counts.low), 'low'],
  ]
    .map(
      ([value, label]) =>
        `<div class="card"><b>${escapeHtml(value as string)}</b><span>${label}</span></div>`,
    )
    .join('')
  const typeLegend = `<div class="legend">Share of memory by type; hover a slice for its keys.</div>`
  const ttlLegend = `<div class="legend"><i style="background:#0d9488"></i>with TTL<i style="background:#f59e0b"></i>without TTL — the ${CHART_ROWS} patterns with the most keys</div>`
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Redis audit — ${escapeHtml(report.server.masters.map((m) => m.address).join(', '))}</title>
<style>${CSS}</style></head>
<body>
<header><h1>Redis audit</h1><p>${escapeHtml(serverLine(report))}</p><p>${escapeHtml(scanLine(report))}</p></header>
<main>
<div class="cards">${cards}</div>
<div class="grid">
<section><h2>Memory by pattern</h2>${memoryChart(report.patterns)}</section>
<section><h2>TTL coverage</h2>${ttlChart(report.patterns)}${ttlLegend}</section>
<section><h2>Type mix</h2>${typeChart(report.patterns)}${typeLegend}</section>
<section><h2>Largest keys</h2>${largestKeys(report)}</section>
</div>
<section><h2>Findings</h2>${findingsTable(report)}</section>
<section><h2>Patterns</h2>${patternsTable(report)}</section>
</main>
<footer>Generated by redis-expert audit on ${escapeHtml(s.startedAt)}. The report's JSON is embedded in this page (script#audit-data).</footer>
<script type="application/json" id="audit-data">${scriptJson(report)}</script>
<script>${SCRIPT}</script>
</body></html>
`
}
