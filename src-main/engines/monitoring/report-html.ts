/**
 * A drift report as one HTML file: summary, a table of columns with method, score, threshold and verdict,
 * and per column an inline SVG of reference vs current shares. No scripts, fonts or images from the
 * network, so the file can be mailed or archived and opens the same anywhere.
 */
import type { ColumnDrift, Distribution } from './drift.js';
import type { DriftReport } from './reports.js';

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function fmt(v: number | null): string {
  if (v === null || Number.isNaN(v)) return '—';
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a < 1e-3 || a >= 1e6 ? v.toExponential(3) : v.toPrecision(4);
}

const REF = '#4e79a7';
const CUR = '#e15759';

function chart(d: Distribution): string {
  const labels = d.kind === 'histogram' ? d.edges.slice(0, -1).map((e) => fmt(e)) : [...d.categories, ...(d.other ? ['(other)'] : [])];
  const refCounts = d.kind === 'histogram' ? d.reference : [...d.reference, ...(d.other ? [d.other.reference] : [])];
  const curCounts = d.kind === 'histogram' ? d.current : [...d.current, ...(d.other ? [d.other.current] : [])];
  const rs = refCounts.reduce((a, b) => a + b, 0) || 1;
  const cs = curCounts.reduce((a, b) => a + b, 0) || 1;
  const ref = refCounts.map((c) => c / rs);
  const cur = curCounts.map((c) => c / cs);
  const n = labels.length;
  const W = 640;
  const H = 180;
  const pad = { l: 40, r: 10, t: 10, b: 40 };
  const max = Math.max(...ref, ...cur, 1e-9);
  const bw = (W - pad.l - pad.r) / Math.max(n, 1);
  const y = (v: number): number => pad.t + (H - pad.t - pad.b) * (1 - v / max);
  const bars: string[] = [];
  for (let i = 0; i < n; i++) {
    const x = pad.l + i * bw;
    const w = Math.max(bw / 2 - 1, 0.5);
    bars.push(`<rect x="${x.toFixed(1)}" y="${y(ref[i]!).toFixed(1)}" width="${w.toFixed(1)}" height="${(H - pad.b - y(ref[i]!)).toFixed(1)}" fill="${REF}"><title>reference ${esc(labels[i]!)}: ${(ref[i]! * 100).toFixed(2)}%</title></rect>`);
    bars.push(`<rect x="${(x + w).toFixed(1)}" y="${y(cur[i]!).toFixed(1)}" width="${w.toFixed(1)}" height="${(H - pad.b - y(cur[i]!)).toFixed(1)}" fill="${CUR}"><title>current ${esc(labels[i]!)}: ${(cur[i]! * 100).toFixed(2)}%</title></rect>`);
    if (n <= 30 || i % Math.ceil(n / 30) === 0) {
      bars.push(`<text x="${(x + bw / 2).toFixed(1)}" y="${H - pad.b + 12}" font-size="9" text-anchor="end" transform="rotate(-40 ${(x + bw / 2).toFixed(1)} ${H - pad.b + 12})">${esc(labels[i]!.slice(0, 14))}</text>`);
    }
  }
  const axis = `<line x1="${pad.l}" y1="${H - pad.b}" x2="${W - pad.r}" y2="${H - pad.b}" stroke="#999"/><text x="4" y="${pad.t + 8}" font-size="9">${(max * 100).toFixed(1)}%</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="100%" role="img">${axis}${bars.join('')}</svg>`;
}

function columnSection(c: ColumnDrift): string {
  const verdict = c.skipped ? `<span class="skip">not tested: ${esc(c.skipped)}</span>` : c.drifted ? '<span class="bad">drift detected</span>' : '<span class="ok">no drift</span>';
  const stats = (s: ColumnDrift['reference']): string =>
    `${s.count.toLocaleString('en-US')} values, ${s.missing.toLocaleString('en-US')} missing, ${s.unique.toLocaleString('en-US')} distinct${s.mean !== null ? `, mean ${fmt(s.mean)}, std ${fmt(s.std)}` : ''}`;
  return `<section id="col-${esc(c.column)}"><h3>${esc(c.column)} <small>${c.type}</small> — ${verdict}</h3>
<p>${c.method_title ? `${esc(c.method_title)}: <b>${fmt(c.score)}</b> (threshold ${fmt(c.threshold)})` : ''}</p>
<p class="legend"><span style="color:${REF}">■</span> reference: ${stats(c.reference)}<br><span style="color:${CUR}">■</span> current: ${stats(c.current)}</p>
${c.distribution ? chart(c.distribution) : ''}</section>`;
}

export function renderDriftHtml(r: DriftReport): string {
  const rows = r.columns
    .map(
      (c) =>
        `<tr class="${c.drifted ? 'drift' : ''}"><td><a href="#col-${esc(c.column)}">${esc(c.column)}</a></td><td>${c.type}</td><td>${esc(c.method ?? '—')}</td><td>${fmt(c.score)}</td><td>${fmt(c.threshold)}</td><td>${c.skipped ? 'not tested' : c.drifted ? 'DRIFT' : 'ok'}</td></tr>`,
    )
    .join('\n');
  const d = r.dataset;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Drift report ${esc(r.id)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:980px;color:#222;padding:0 16px}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;font-size:14px}
tr.drift td{background:#fdecea}.bad{color:#c0392b}.ok{color:#1e8449}.skip{color:#888}small{color:#777;font-weight:normal}
.summary{padding:12px 16px;border-radius:6px;background:${d.drift ? '#fdecea' : '#eafaf1'};margin:12px 0}
section{margin:24px 0;border-top:1px solid #eee;padding-top:8px}.legend{font-size:13px;color:#444}
</style></head><body>
<h1>Data drift report</h1>
<p><b>${esc(r.id)}</b> · ${esc(r.created_at)}</p>
<p>Reference: ${esc(r.reference.label)} (${r.reference_rows.toLocaleString('en-US')} rows)<br>Current: ${esc(r.current.label)} (${r.current_rows.toLocaleString('en-US')} rows)</p>
<div class="summary"><b>${d.drift ? 'Dataset drift detected' : 'No dataset drift'}</b>: ${d.drifted_columns} of ${d.columns} columns drifted (share ${d.share.toFixed(3)}; dataset drift at ≥ ${d.drift_share}).</div>
<table><thead><tr><th>column</th><th>type</th><th>test</th><th>score</th><th>threshold</th><th>verdict</th></tr></thead><tbody>
${rows}
</tbody></table>
${r.columns.map(columnSection).join('\n')}
<p><small>Tests and defaults follow Evidently's data drift preset; computed in ${r.duration_ms} ms.</small></p>
</body></html>
`;
}
