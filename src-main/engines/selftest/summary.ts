/** The readable form of a self-test report: one line per step with its figures, then the outcome. */
import type { SelftestReport } from '../../api/methods/selftest.js';

const MARK: Record<string, string> = { passed: 'PASS', failed: 'FAIL', skipped: 'SKIP', running: '....', pending: '    ' };

const figureText = (f: Record<string, unknown>): string =>
  Object.entries(f)
    .filter(([, v]) => v !== null && v !== undefined && typeof v !== 'object')
    .map(([k, v]) => `${k}=${typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: 3 }) : String(v)}`)
    .join(' ');

export function summaryText(r: SelftestReport): string {
  const lines = [`self-test on profile ${r.profile.name} (${r.profile.kind}: ${r.profile.online_store}, ${r.profile.bus}, ${r.profile.registry})`];
  for (const s of r.steps) {
    const head = `${MARK[s.status] ?? s.status} ${s.name.padEnd(12)} ${s.status === 'pending' || s.status === 'skipped' ? '' : `${(s.duration_ms / 1000).toFixed(1).padStart(6)} s`}`;
    const list = Array.isArray(s.figures.drifted) ? ` drifted: ${(s.figures.drifted as string[]).join(', ')}` : '';
    const tail = s.error ? `${s.error.code}: ${s.error.message}` : `${figureText(s.figures)}${list}`;
    lines.push(`  ${head.padEnd(30)} ${tail}`.trimEnd());
  }
  const n = (st: string): number => r.steps.filter((s) => s.status === st).length;
  lines.push(`${r.status.toUpperCase()}: ${n('passed')} passed, ${n('failed')} failed, ${n('skipped')} skipped in ${(r.duration_ms / 1000).toFixed(1)} s — report ${r.report_file}`);
  return lines.join('\n');
}
