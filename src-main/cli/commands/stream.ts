/** taxi-mlops stream run | status — the stream processor from the terminal. */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { Input } from '../../api/contract.js';
import { DEFAULT_PROCESSOR_GROUP, type ProcessorSummary } from '../../api/methods/processor.js';
import { call, followJob } from '../follow.js';
import { failJob, intArg, out, withServices, type GlobalOpts } from '../common.js';

const DEFAULT_IDLE_EXIT_MS = 5000;

function fromArg(v: string): 'earliest' | 'latest' {
  if (v === 'earliest' || v === 'latest') return v;
  throw new InvalidArgumentError(`--from must be earliest or latest, got "${v}"`);
}

const ms = (v: number | null): string => (v === null ? '–' : `${v.toFixed(v < 10 ? 1 : 0)} ms`);

export function registerStreamCommands(program: Command): void {
  const stream = program.command('stream').description('the stream processor: raw trips → features → predictions');
  stream
    .command('run')
    .description('consume the raw topic: dead-letter bad messages, compute and push features, predict, publish errors')
    .option('--group <group>', 'consumer group', DEFAULT_PROCESSOR_GROUP)
    .option('--from <where>', 'earliest | latest: where to start on partitions the group never committed', fromArg, 'earliest')
    .option('--limit <n>', 'stop after this many messages', intArg('--limit', 1))
    .option('--follow', 'keep running until Ctrl-C (default: stop once caught up)')
    .option('--idle-exit <ms>', `without --follow, stop after this long without a message (default ${DEFAULT_IDLE_EXIT_MS})`, intArg('--idle-exit', 100))
    .option('--max-batch <n>', 'most messages per batch', intArg('--max-batch', 1))
    .action(async (o: { group: string; from: 'earliest' | 'latest'; limit?: number; follow?: boolean; idleExit?: number; maxBatch?: number }, cmd: Command) => {
      const json = cmd.optsWithGlobals<GlobalOpts>().json ?? false;
      const input: Input<'streams.processor.start'> = {
        group: o.group,
        from: o.from,
        ...(o.limit !== undefined ? { limit: o.limit } : {}),
        ...(o.follow ? {} : { idle_exit_ms: o.idleExit ?? DEFAULT_IDLE_EXIT_MS }),
        ...(o.maxBatch !== undefined ? { max_batch: o.maxBatch } : {}),
      };
      await withServices(cmd, async (s) => {
        const done = await followJob(s, await call(s, 'streams.processor.start', input), json);
        if (done.status !== 'succeeded') failJob(done);
        const r = done.result as ProcessorSummary;
        if (json) return out(JSON.stringify(r, null, 2));
        const busyRate = r.busy_ms > 0 ? Math.round((r.processed / r.busy_ms) * 1000) : 0;
        out(`processed ${r.processed} messages in ${(r.duration_ms / 1000).toFixed(1)} s (${busyRate}/s while busy, stopped: ${r.stopped})`);
        out(`  trips ${r.trips}, predictions ${r.predicted}, dead letters ${r.dead_lettered}, duplicates ${r.duplicates}${r.late ? `, late ${r.late}` : ''}`);
        if (r.prediction_skipped) out(`  not predicted ${r.prediction_skipped}: ${r.skip_reason ?? 'no model'}`);
        out(`  publish → prediction latency p50 ${ms(r.p50_ms)}, p99 ${ms(r.p99_ms)}`);
      });
    });
  stream
    .command('status')
    .description("the processor's counts, rate, lag, latency and last error")
    .option('--group <group>', 'consumer group', DEFAULT_PROCESSOR_GROUP)
    .action(async (o: { group: string }, cmd: Command) => {
      const r = await withServices(cmd, (s) => call(s, 'streams.processor.status', { group: o.group }));
      if (cmd.optsWithGlobals<GlobalOpts>().json) return out(JSON.stringify(r, null, 2));
      out(`${r.group}: ${r.state}${r.job_id ? ` (job ${r.job_id})` : ''}`);
      out(`  processed ${r.processed}, predicted ${r.predicted}, dead letters ${r.dead_lettered}, duplicates ${r.duplicates}, rate ${r.rate_per_s}/s, lag ${r.lag ?? '–'}`);
      out(`  latency p50 ${ms(r.p50_ms)}, p99 ${ms(r.p99_ms)}${r.last_error ? `; last error: ${r.last_error}` : ''}`);
    });
}
