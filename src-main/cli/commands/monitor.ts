/** taxi-mlops monitor drift | reports | report | quality | correlation | importance | performance | ab | alerts | ack | evaluate */
import path from 'node:path';
import type { Command } from 'commander';
import type { Input } from '../../api/contract.js';
import { AppError } from '../../platform/errors.js';
import { call } from '../follow.js';
import { intArg, out, runJobCommand, withServices, type GlobalOpts } from '../common.js';

/** One data source from --<prefix>-model/--<prefix>-version, --<prefix>-start/end, --<prefix>-file or --<prefix>-stream. */
function sourceOf(o: Record<string, string | undefined>, prefix: string): Input<'monitoring.drift'>['reference'] {
  const get = (k: string): string | undefined => o[`${prefix}${k[0]!.toUpperCase()}${k.slice(1)}`];
  if (get('model')) {
    const version = get('version');
    if (!version) throw new AppError('INVALID_INPUT', `--${prefix}-model needs --${prefix}-version`, { option: `--${prefix}-version` });
    return { model: get('model')!, version, ...(get('set') ? { set: get('set') as 'train' | 'eval' } : {}) };
  }
  if (get('file')) return { file: path.resolve(get('file')!) };
  if (get('stream')) return { stream_window_minutes: Number(get('stream')) };
  return { ...(get('start') ? { start: get('start')! } : {}), ...(get('end') ? { end: get('end')! } : {}) };
}

function sourceOptions(cmd: Command, prefix: string, what: string): Command {
  return cmd
    .option(`--${prefix}-model <name>`, `${what}: a registered model's training set (with --${prefix}-version)`)
    .option(`--${prefix}-version <v>`, `${what}: model version`)
    .option(`--${prefix}-set <set>`, `${what}: train or eval set of the model version`)
    .option(`--${prefix}-start <time>`, `${what}: trip-store range start (ISO)`)
    .option(`--${prefix}-end <time>`, `${what}: trip-store range end (ISO)`)
    .option(`--${prefix}-file <file>`, `${what}: a trips file (.parquet/.csv, store layout)`)
    .option(`--${prefix}-stream <minutes>`, `${what}: the last N minutes of the features topic`);
}

const fmt = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(2) : v.toFixed(4));
const json = (cmd: Command): boolean => Boolean(cmd.optsWithGlobals<GlobalOpts>().json);

export function registerMonitorCommands(program: Command): void {
  const monitor = program.command('monitor').description('data drift, quality, model performance, A/B and alerts');

  const drift = monitor
    .command('drift')
    .description("data drift per feature with Evidently's default tests (or --method col=test); stores a JSON + HTML report")
    .option('--method <col=test...>', 'per-column test: ks, wasserstein, jensenshannon, psi, kl_div, chisquare, z')
    .option('--threshold <col=value...>', 'per-column threshold')
    .option('--columns <list>', 'comma-separated columns (default: every monitored column both sides have)')
    .option('--drift-share <x>', 'dataset drift when at least this share of columns drifted', parseFloat);
  sourceOptions(drift, 'ref', 'reference');
  sourceOptions(drift, 'cur', 'current');
  drift.action(async (o: Record<string, unknown>, cmd: Command) => {
    const pairs = (xs: unknown): Record<string, string> => Object.fromEntries(((xs as string[] | undefined) ?? []).map((p) => p.split('=') as [string, string]));
    const input: Input<'monitoring.drift'> = {
      reference: sourceOf(o as Record<string, string>, 'ref'),
      current: sourceOf(o as Record<string, string>, 'cur'),
      ...(o.method ? { methods: pairs(o.method) as never } : {}),
      ...(o.threshold ? { thresholds: Object.fromEntries(Object.entries(pairs(o.threshold)).map(([k, v]) => [k, Number(v)])) } : {}),
      ...(o.columns ? { columns: String(o.columns).split(',') } : {}),
      ...(o.driftShare !== undefined ? { drift_share: o.driftShare as number } : {}),
    };
    const r = (await runJobCommand(cmd, 'monitoring.drift', input)) as {
      id: string;
      reference: { label: string };
      current: { label: string };
      columns: { column: string; method: string | null; score: number | null; threshold: number | null; drifted: boolean; skipped: string | null }[];
      dataset: { columns: number; drifted_columns: number; share: number; drift: boolean };
    };
    if (json(cmd)) return;
    out(`reference: ${r.reference.label}\ncurrent:   ${r.current.label}`);
    for (const c of r.columns) out(`  ${c.drifted ? 'DRIFT' : c.skipped ? 'skip ' : 'ok   '} ${c.column.padEnd(40)} ${(c.method ?? '').padEnd(14)} ${fmt(c.score).padStart(10)}  (threshold ${fmt(c.threshold)})${c.skipped ? `  ${c.skipped}` : ''}`);
    out(`dataset drift: ${r.dataset.drift ? 'YES' : 'no'} — ${r.dataset.drifted_columns}/${r.dataset.columns} columns (share ${r.dataset.share.toFixed(3)})`);
    out(`report: ${r.id} (reports/${r.id}.html, reports/${r.id}.json)`);
  });

  monitor
    .command('reports')
    .description('stored drift reports, newest first')
    .option('--limit <n>', 'how many', intArg('--limit', 1), 20)
    .action(async (o: { limit: number }, cmd: Command) => {
      const r = await withServices(cmd, (s) => call(s, 'monitoring.reports', { limit: o.limit }));
      if (json(cmd)) return out(JSON.stringify(r, null, 2));
      for (const x of r.reports) out(`${x.id}  ${x.drift ? 'DRIFT' : 'ok   '} ${x.drifted_columns}/${x.columns}  ${x.current}  vs  ${x.reference}`);
    });

  monitor
    .command('report')
    .description('one stored drift report as JSON')
    .argument('<id>')
    .action(async (id: string, _o, cmd: Command) => out(JSON.stringify(await withServices(cmd, (s) => call(s, 'monitoring.report', { id })), null, 2)));

  for (const [name, method, what] of [
    ['quality', 'monitoring.quality', 'data quality (missing, duplicates, out-of-range, categories, constant columns, statistics)'],
    ['correlation', 'monitoring.correlation', 'Pearson and Spearman correlation of the numerical features and the fare'],
  ] as const) {
    const c = monitor.command(name).description(what);
    sourceOptions(c, 'src', 'data');
    sourceOptions(c, 'ref', 'reference (quality: new/missing categories)');
    c.action(async (o: Record<string, string | undefined>, cmd: Command) => {
      const hasRef = Object.keys(o).some((k) => k.startsWith('ref'));
      const input = { source: sourceOf(o, 'src'), ...(hasRef ? { reference: sourceOf(o, 'ref') } : {}) };
      const r = await withServices(cmd, (s) => call(s, method, input as never));
      out(JSON.stringify(r, null, 2));
    });
  }

  monitor
    .command('importance')
    .description('permutation importance of a model version on its evaluation set')
    .requiredOption('--model <name>', 'registered model')
    .option('--model-version <v>', 'version (default: the champion alias)')
    .option('--rows <n>', 'evaluation rows used', intArg('--rows', 10))
    .option('--repeats <n>', 'shuffles per feature', intArg('--repeats', 1))
    .action(async (o: { model: string; modelVersion?: string; rows?: number; repeats?: number }, cmd: Command) => {
      const r = (await runJobCommand(cmd, 'monitoring.importance', { model: o.model, ...(o.modelVersion ? { version: o.modelVersion } : { alias: 'champion' }), ...(o.rows ? { rows: o.rows } : {}), ...(o.repeats ? { repeats: o.repeats } : {}) })) as {
        baseline_rmse: number;
        features: { feature: string; importance: number; std: number }[];
      };
      if (json(cmd)) return;
      out(`baseline RMSE ${r.baseline_rmse.toFixed(3)}`);
      for (const f of r.features) out(`  ${f.feature.padEnd(44)} ${f.importance >= 0 ? '+' : ''}${f.importance.toFixed(4)} ± ${f.std.toFixed(4)}`);
    });

  monitor
    .command('performance')
    .description('RMSE / MAE / R² per window, baseline and the model-drift verdict')
    .option('--model <name>')
    .option('--model-version <v>', 'version (a program-level --version prints the app version)')
    .option('--offline', "use the version's evaluation set instead of the stream")
    .option('--window <minutes>', 'window length in minutes', parseFloat)
    .action(async (o: { model?: string; modelVersion?: string; offline?: boolean; window?: number }, cmd: Command) => {
      const r = await withServices(cmd, (s) =>
        call(s, 'monitoring.performance', { source: o.offline ? 'offline' : 'stream', ...(o.model ? { model: o.model } : {}), ...(o.modelVersion ? { version: o.modelVersion } : {}), ...(o.window ? { window_minutes: o.window } : {}) }),
      );
      if (json(cmd)) return out(JSON.stringify(r, null, 2));
      out(`${r.model} v${r.version ?? '?'} (${r.source}), baseline RMSE ${fmt(r.baseline_rmse)}`);
      for (const w of r.windows) out(`  ${w.start}  n=${String(w.count).padStart(6)}  rmse ${fmt(w.rmse)}  mae ${fmt(w.mae)}  r2 ${fmt(w.r2)}${w.degraded ? '  DEGRADED' : ''}`);
      out(r.model_drift.message);
    });

  monitor
    .command('ab')
    .description('champion vs challenger from the stream: metrics, Welch t-test, verdict')
    .option('--since <time>')
    .action(async (o: { since?: string }, cmd: Command) => {
      const r = await withServices(cmd, (s) => call(s, 'monitoring.ab', { ...(o.since ? { since: o.since } : {}) }));
      if (json(cmd)) return out(JSON.stringify(r, null, 2));
      for (const v of r.variants) out(`  ${v.variant.padEnd(12)} n=${v.count}  rmse ${fmt(v.rmse)}  mae ${fmt(v.mae)}  versions ${v.model_versions.join(',')}`);
      out(r.verdict);
    });

  monitor
    .command('alerts')
    .description('alerts (firing first) and rules')
    .option('--state <state>', 'firing or resolved')
    .action(async (o: { state?: 'firing' | 'resolved' }, cmd: Command) => {
      const r = await withServices(cmd, (s) => call(s, 'monitoring.alerts', { ...(o.state ? { state: o.state } : {}) }));
      if (json(cmd)) return out(JSON.stringify(r, null, 2));
      for (const a of r.alerts) out(`#${a.id} ${a.state.padEnd(8)} ${a.severity.padEnd(8)} ${a.fired_at}${a.acknowledged_at ? ' (ack)' : ''}  ${a.message}`);
      if (r.alerts.length === 0) out('no alerts');
      out(`rules: ${r.rules.map((x) => `${x.name} (${x.metric} ${x.comparison} ${x.threshold}, ${x.window})`).join('; ')}`);
    });

  monitor
    .command('ack')
    .description('acknowledge an alert')
    .argument('<id>', 'alert id', (v) => Number(v))
    .option('--by <name>', 'who', 'cli')
    .action(async (id: number, o: { by: string }, cmd: Command) => {
      const a = await withServices(cmd, (s) => call(s, 'monitoring.alerts.ack', { id, by: o.by }));
      out(`#${a.id} acknowledged by ${a.acknowledged_by} at ${a.acknowledged_at}`);
    });

  monitor
    .command('evaluate')
    .description('evaluate every alert rule now')
    .action(async (_o, cmd: Command) => {
      const r = (await runJobCommand(cmd, 'monitoring.alerts.evaluate', {})) as { evaluations: { rule: string; outcome: string; value: number | null; detail: string | null }[] };
      if (json(cmd)) return;
      for (const e of r.evaluations) out(`  ${e.rule.padEnd(24)} ${e.outcome.padEnd(13)} ${fmt(e.value)}  ${e.detail ?? ''}`);
    });
}
