/**
 * The long-running tasks the job system knows. Each kind parses its own input (inputs cross a thread
 * boundary as plain JSON), names itself for the Jobs list, and runs with a JobContext inside a worker.
 */
import { z } from 'zod';
import { GenerateInputSchema, ImportInputSchema } from '../../api/contract.js';
import { TransformInputSchema } from '../../api/methods/features.js';
import { ReplayInputSchema } from '../../api/methods/streams.js';
import { DriftInputSchema, ImportanceInputSchema } from '../../api/methods/monitoring.js';
import { TrainInputSchema } from '../../api/methods/models.js';
import { ProcessorInputSchema } from '../../api/methods/processor.js';
import { SelftestInputSchema } from '../../api/methods/selftest.js';
import { MaterializeIncrementalInputSchema, MaterializeInputSchema } from '../../engines/features/online-schemas.js';
import type { JobContext } from './context.js';

export interface JobKind<I> {
  input: z.ZodType<I>;
  title: (input: I) => string;
  /** The unit progress is counted in before the task reports its own. */
  unit: string;
  run: (input: I, ctx: JobContext) => Promise<unknown>;
  /**
   * True for a run that lasts until it is stopped (a stream processor following its topic). Such a
   * service does not take one of the job slots, so imports and materializations still run beside it.
   */
  service?: (input: I) => boolean;
}

const kind = <I>(k: JobKind<I>): JobKind<I> => k;

// Engines are imported lazily so that the main thread never loads DuckDB for a job it only schedules.
export const JOB_KINDS = {
  'data.import': kind({
    input: ImportInputSchema,
    title: (i) => `Import ${i.path.split(/[\\/]/).pop() ?? i.path}`,
    unit: 'rows',
    run: async (i, ctx) => (await import('../../engines/data/import.js')).importTrips(i, ctx),
  }),
  'data.generate': kind({
    input: GenerateInputSchema,
    title: (i) => `Generate ${i.rows.toLocaleString('en-US')} trips (seed ${i.seed}${i.drift !== 'none' ? `, drift ${i.drift}` : ''})`,
    unit: 'rows',
    run: async (i, ctx) => (await import('../../engines/data/generator/index.js')).runGenerate(i, ctx),
  }),
  'streams.replay': kind({
    input: ReplayInputSchema,
    title: (i) => `Replay ${i.source} to ${i.topic ?? 'the raw topic'}${i.rate > 0 ? ` at ${i.rate}/s` : ''}`,
    unit: 'trips',
    run: async (i, ctx) => (await import('../../engines/streams/replayer.js')).replay(i, ctx),
  }),
  'streams.process': kind({
    input: ProcessorInputSchema,
    title: (i) => `Stream processor (group ${i.group}${i.limit ? `, ${i.limit.toLocaleString('en-US')} messages` : ''})`,
    unit: 'messages',
    run: async (i, ctx) => (await import('../../engines/streams/processor/processor.js')).runProcessor(i, ctx),
    service: (i) => i.limit === undefined && i.idle_exit_ms === undefined,
  }),
  'features.transform': kind({
    input: TransformInputSchema,
    title: (i) => `Transform ${i.views?.join(', ') ?? 'all views'}${i.start || i.end ? ` ${i.start ?? '…'} → ${i.end ?? '…'}` : ''}`,
    unit: 'rows',
    run: async (i, ctx) => (await import('../../engines/features/transform.js')).transformFeatures(i, ctx),
  }),
  'features.materialize': kind({
    input: MaterializeInputSchema,
    title: (i) => `Materialize ${i.views?.join(', ') ?? 'all views'} ${new Date(i.start).toISOString().slice(0, 16)} → ${new Date(i.end).toISOString().slice(0, 16)}`,
    unit: 'rows',
    run: async (i, ctx) => (await import('../../engines/features/materialize.js')).materialize(i, ctx),
  }),
  'features.materialize_incremental': kind({
    input: MaterializeIncrementalInputSchema,
    title: (i) => `Materialize ${i.views?.join(', ') ?? 'all views'} incrementally to ${i.end === undefined ? 'now' : new Date(i.end).toISOString().slice(0, 16)}`,
    unit: 'rows',
    run: async (i, ctx) => (await import('../../engines/features/materialize.js')).materializeIncremental(i, ctx),
  }),
  'models.train': kind({
    input: TrainInputSchema,
    title: (i) => `Train ${i.algorithm} ${i.task} model${i.alias ? ` → ${i.alias}` : ''}`,
    unit: 'steps',
    run: async (i, ctx) => (await import('../../engines/models/train.js')).trainModel(i, ctx),
  }),
  'monitoring.drift': kind({
    input: DriftInputSchema,
    title: (i) => `Drift check${i.columns ? ` of ${i.columns.length} columns` : ''}`,
    unit: 'columns',
    run: async (i, ctx) => (await import('../../engines/monitoring/run-drift.js')).runDrift(ctx.workspace, i, ctx),
  }),
  'monitoring.importance': kind({
    input: ImportanceInputSchema,
    title: (i) => `Permutation importance of ${i.model}${i.version !== undefined ? ` v${i.version}` : i.alias ? `@${i.alias}` : ''}`,
    unit: 'features',
    run: async (i, ctx) => (await import('../../engines/monitoring/importance.js')).runImportance(ctx.workspace, i, ctx),
  }),
  'monitoring.alerts.evaluate': kind({
    input: z.object({}).strict().default({}),
    title: () => 'Evaluate alert rules',
    unit: 'rules',
    run: async (_i, ctx) => (await import('../../engines/monitoring/service.js')).runAlertEvaluation(ctx.workspace, ctx),
  }),
  'system.selftest': kind({
    input: SelftestInputSchema,
    title: (i) => `Self-test${i.profile ? ` (profile ${i.profile})` : ''}${i.until ? ` to ${i.until}` : ''}`,
    unit: 'steps',
    run: async (i, ctx) => (await import('../../engines/selftest/run.js')).runSelftest(i, ctx),
  }),
  /** A task for testing the job system itself: counts to `steps`, `ms` apart; fails at `fail_at`. */
  'system.sleep': kind({
    input: z
      .object({
        steps: z.number().int().min(1).max(10_000),
        ms: z.number().int().min(0).max(10_000),
        fail_at: z.number().int().optional(),
        // A throw outside the task (from a timer) at that step, as a bug in a task would make one.
        escape_at: z.number().int().optional(),
      })
      .strict(),
    title: (i) => `Sleep ${i.steps} × ${i.ms} ms`,
    unit: 'steps',
    run: async (i, ctx) => {
      for (let s = 1; s <= i.steps; s++) {
        await new Promise((r) => setTimeout(r, i.ms));
        if (ctx.signal.aborted) throw Object.assign(new Error('sleep was cancelled'), { code: 'CANCELLED' });
        if (i.fail_at === s) throw Object.assign(new Error(`failed at step ${s} as asked`), { code: 'INTERNAL', details: { step: s } });
        if (i.escape_at === s) {
          setTimeout(() => {
            throw Object.assign(new Error(`escaped the task at step ${s} as asked`), { code: 'INTERNAL' });
          }, 0);
        }
        ctx.progress({ done: s, total: i.steps, unit: 'steps' });
      }
      return { steps: i.steps };
    },
  }),
};

export type JobKindName = keyof typeof JOB_KINDS;
export const isJobKind = (k: string): k is JobKindName => Object.hasOwn(JOB_KINDS, k);
export const jobKind = (k: JobKindName): JobKind<unknown> => JOB_KINDS[k] as unknown as JobKind<unknown>;
