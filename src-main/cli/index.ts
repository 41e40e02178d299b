#!/usr/bin/env node
/**
 * taxi-mlops — the headless front end. Every command goes through the same contract as the console
 * (dispatch), so the CLI, IPC and HTTP accept and refuse exactly the same inputs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Input, Job } from '../api/contract.js';
import { DriftNameSchema } from '../api/contract.js';
import { AppError, errorShape } from '../platform/errors.js';
import { openServices, type Services } from '../platform/services.js';
import { defaultWorkspaceDir, initWorkspace } from '../platform/workspace.js';
import { APP_VERSION } from '../platform/version.js';
import { isTerminal } from '../platform/jobs/manager.js';
import { call, followJob } from './follow.js';
import { runDemo } from './demo.js';

const out = (s: string): void => void process.stdout.write(`${s}\n`);

function intArg(name: string, min = 0) {
  return (v: string): number => {
    const n = Number(v.replace(/_/g, ''));
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}, got "${v}"`);
    return n;
  };
}

interface GlobalOpts {
  workspace?: string;
  json?: boolean;
}

export function workspaceOf(cmd: Command): string {
  const o = cmd.optsWithGlobals<GlobalOpts>();
  return path.resolve(o.workspace ?? defaultWorkspaceDir());
}

async function withServices<T>(cmd: Command, fn: (s: Services) => Promise<T>): Promise<T> {
  const s = await openServices({ workspace: workspaceOf(cmd), mode: 'cli' });
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

function failJob(job: Job): never {
  const e = job.error ?? { code: 'INTERNAL', message: 'job failed' };
  throw new AppError(e.code as never, `${job.title}: ${e.message}`, e.details);
}

async function runJobCommand<M extends 'data.import' | 'data.generate'>(cmd: Command, method: M, input: Input<M>): Promise<unknown> {
  const json = cmd.optsWithGlobals<GlobalOpts>().json ?? false;
  return withServices(cmd, async (s) => {
    const job = await call(s, method, input);
    const done = await followJob(s, job, json);
    if (done.status !== 'succeeded') failJob(done);
    if (json) out(JSON.stringify(done.result, null, 2));
    return done.result;
  });
}

function printImport(r: Record<string, unknown>): void {
  const reasons = Object.entries((r.rejected_by_reason as Record<string, number>) ?? {})
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  out(`imported ${r.file} (${r.layout} layout)`);
  out(`  rows read ${r.rows_read}, accepted ${r.rows_accepted}, rejected ${r.rows_rejected}${reasons ? ` (${reasons})` : ''}`);
  out(`  written ${r.rows_written}, already present ${r.rows_duplicate}, months ${(r.months as string[]).length}`);
  if (r.rejects_file) out(`  rejects: ${r.rejects_file}`);
}

export function buildProgram(): Command {
  const program = new Command('taxi-mlops')
    .description('Chicago Taxi MLOps Console — headless commands')
    .version(APP_VERSION)
    .option('-w, --workspace <dir>', 'workspace folder (default: $TAXI_WORKSPACE or ~/.taxi-mlops)')
    .option('--json', 'print machine-readable JSON results')
    .showHelpAfterError('(run with --help for usage)');

  program
    .command('init')
    .description('create a workspace with a default config.yaml (an existing config is kept)')
    .action(async (_o, cmd: Command) => {
      const { workspace, created } = initWorkspace(workspaceOf(cmd));
      out(`${created ? 'created' : 'already initialised'} workspace ${workspace.paths.root} (profile ${workspace.profile.name})`);
    });

  program
    .command('import')
    .description('import trips from a CSV file (TFX sample or City of Chicago portal layout)')
    .argument('<file>', 'CSV file')
    .addOption(new Option('--layout <layout>', 'CSV layout').choices(['auto', 'tfx', 'portal']).default('auto'))
    .option('--source <name>', 'name recorded as the source of these trips')
    .action(async (file: string, o: { layout: 'auto' | 'tfx' | 'portal'; source?: string }, cmd: Command) => {
      const input = { path: path.resolve(file), layout: o.layout, ...(o.source ? { source: o.source } : {}) };
      const r = (await runJobCommand(cmd, 'data.import', input)) as Record<string, unknown>;
      if (!cmd.optsWithGlobals<GlobalOpts>().json) printImport(r);
    });

  program
    .command('generate')
    .description('generate synthetic trips calibrated on the real sample')
    .requiredOption('--rows <n>', 'number of trips', intArg('--rows', 1))
    .option('--seed <s>', 'random seed (same seed, same trips)', intArg('--seed'), 42)
    .option('--start <date>', 'first pickup date (ISO)')
    .option('--end <date>', 'last pickup date (ISO)')
    .addOption(new Option('--drift <name>', 'inject a named drift').choices(DriftNameSchema.options).default('none'))
    .option('--output <file>', 'write to a .csv or .parquet file instead of the trip store')
    .action(async (o: { rows: number; seed: number; start?: string; end?: string; drift: Input<'data.generate'>['drift']; output?: string }, cmd: Command) => {
      const input: Input<'data.generate'> = {
        rows: o.rows,
        seed: o.seed,
        drift: o.drift,
        ...(o.start ? { start: o.start } : {}),
        ...(o.end ? { end: o.end } : {}),
        ...(o.output ? { output: path.resolve(o.output) } : {}),
      };
      const r = (await runJobCommand(cmd, 'data.generate', input)) as Record<string, unknown>;
      if (!cmd.optsWithGlobals<GlobalOpts>().json) out(`generated ${r.rows} trips (seed ${r.seed}, drift ${r.drift}) → ${r.output}`);
    });

  program
    .command('summary')
    .description('what the trip store holds')
    .action(async (_o, cmd: Command) => {
      const r = await withServices(cmd, (s) => call(s, 'data.summary', {}));
      out(JSON.stringify(r, null, 2));
    });

  const jobs = program.command('jobs').description('list, show and cancel jobs');
  jobs
    .command('list', { isDefault: true })
    .description('recent jobs, newest first')
    .option('--limit <n>', 'how many', intArg('--limit', 1), 20)
    .action(async (o: { limit: number }, cmd: Command) => {
      const list = await withServices(cmd, (s) => call(s, 'jobs.list', { limit: o.limit }));
      if (cmd.optsWithGlobals<GlobalOpts>().json) return out(JSON.stringify(list, null, 2));
      if (list.length === 0) return out('no jobs yet');
      for (const j of list) {
        const pct = j.progress.percent === null ? '' : ` ${j.progress.percent}%`;
        out(`${j.id}  ${j.status.padEnd(9)}${pct.padEnd(7)} ${j.created_at}  ${j.title}${j.error ? `  — ${j.error.code}: ${j.error.message}` : ''}`);
      }
    });
  jobs
    .command('show')
    .argument('<id>')
    .description('one job with its result or error and its log')
    .action(async (id: string, _o, cmd: Command) => {
      await withServices(cmd, async (s) => {
        const job = await call(s, 'jobs.get', { id });
        out(JSON.stringify({ ...job, log: s.jobs.logs(id) }, null, 2));
      });
    });
  jobs
    .command('cancel')
    .argument('<id>')
    .description('cancel a queued or running job')
    .action(async (id: string, _o, cmd: Command) => {
      const job = await withServices(cmd, (s) => call(s, 'jobs.cancel', { id }));
      out(`${job.id} ${isTerminal(job.status) ? job.status : 'cancel requested'}`);
    });

  program
    .command('serve')
    .description('serve the API over HTTP/WebSocket and the browser console')
    .option('--host <host>', 'address to bind (non-loopback needs --token)', '127.0.0.1')
    .option('--port <port>', 'port (0 picks a free one)', intArg('--port'), 8000)
    .option('--token <token>', 'bearer token required on /api (or TAXI_API_TOKEN)')
    .option('--open', 'open the console in the default browser')
    .action(async (o: { host: string; port: number; token?: string; open?: boolean }, cmd: Command) => {
      const { startHttpServer } = await import('../api/http.js');
      const s = await openServices({ workspace: workspaceOf(cmd), mode: 'server' });
      const server = await startHttpServer({ services: s, host: o.host, port: o.port, ...(o.token ? { token: o.token } : {}) });
      out(`taxi-mlops serving ${s.workspace.paths.root} (profile ${s.workspace.profile.name}) on ${server.url}`);
      if (o.open) openBrowser(server.url);
      const stop = async (): Promise<void> => {
        await server.close();
        await s.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop());
      process.once('SIGTERM', () => void stop());
    });

  program
    .command('demo')
    .description('the main job: init a workspace, import the bundled sample, generate synthetic trips, summarize')
    .option('--rows <n>', 'synthetic trips to generate', intArg('--rows', 1), 200_000)
    .option('--seed <s>', 'random seed', intArg('--seed'), 42)
    .action(async (o: { rows: number; seed: number }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOpts>();
      const ws = path.resolve(g.workspace ?? process.env.TAXI_WORKSPACE ?? '.workspace-demo');
      await runDemo({ workspace: ws, rows: o.rows, seed: o.seed, print: out });
    });

  return program;
}

function openBrowser(url: string): void {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'cmd' : 'xdg-open';
  const args = process.platform === 'win32' ? ['/c', 'start', '', url] : [url];
  try {
    spawn(cmd, args, { detached: true, stdio: 'ignore' }).on('error', () => undefined).unref();
  } catch {
    // No browser launcher: the URL is printed anyway.
  }
}

export async function main(argv = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    const err = errorShape(e);
    process.stderr.write(`taxi-mlops: ${err.code}: ${err.message}\n`);
    process.exitCode = err.code === 'INVALID_INPUT' || err.code === 'INVALID_CONFIG' ? 2 : 1;
  }
}

const invokedDirectly = (() => {
  const entry = process.argv[1] ? fs.realpathSync(process.argv[1]) : '';
  return /cli[\\/]index\.ts$|cli\.js$|taxi-mlops(\.js)?$/.test(entry);
})();
if (invokedDirectly) void main();
