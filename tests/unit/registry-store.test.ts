/**
 * One suite, two backends: the embedded SQLite store and a real MLflow tracking server
 * (scripts/services/mlflow.sh) through the REST store. The server keeps its state between runs, so every
 * experiment and model name carries a per-run suffix. Where MLflow is looser than we are on purpose
 * (it truncates long params; it allows IN only on run_id) the check runs on SQLite alone and says so.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowRestStore } from '../../src-main/engines/registry/mlflow-rest/store.js';
import { REGISTRY_MIGRATIONS } from '../../src-main/engines/registry/sqlite/schema.js';
import { SqliteRegistryStore } from '../../src-main/engines/registry/sqlite/store.js';
import { migrate, openDatabase, schemaVersion } from '../../src-main/platform/db/sqlite.js';
import type { Metric, RegistryStore, Run } from '../../src-main/engines/registry/types.js';
import { ensureService } from '../helpers/services.js';
import { tempWorkspace } from '../helpers/workspace.js';

const mlflow = await ensureService('mlflow');

interface Backend {
  name: 'sqlite' | 'mlflow';
  skip: boolean;
  open: () => { store: RegistryStore; cleanup: () => void };
}

const backends: Backend[] = [
  {
    name: 'sqlite',
    skip: false,
    open: () => {
      const t = tempWorkspace('taxi-registry-');
      return { store: new SqliteRegistryStore(t.workspace.paths), cleanup: t.cleanup };
    },
  },
  {
    name: 'mlflow',
    skip: !mlflow,
    open: () => ({ store: new MlflowRestStore({ trackingUri: mlflow!.url }), cleanup: () => undefined }),
  },
];

/** The AppError code a promise rejects with (fails the test when it resolves). */
async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as { code: string }).code;
  }
  throw new Error('expected the call to be refused, but it succeeded');
}

async function errorOf(p: Promise<unknown>): Promise<{ code: string; message: string; details?: Record<string, unknown> }> {
  try {
    await p;
  } catch (e) {
    return e as { code: string; message: string; details?: Record<string, unknown> };
  }
  throw new Error('expected the call to be refused, but it succeeded');
}

const metric = (key: string, value: number, step: number, timestamp = 1_700_000_000_000 + step): Metric => ({ key, value, step, timestamp });
const names = (runs: Run[]): string[] => runs.map((r) => r.info.run_name);

describe.each(backends)('registry store: $name', (backend) => {
  let store: RegistryStore;
  let cleanup: () => void;
  const u = `${Date.now().toString(36)}${randomUUID().slice(0, 6)}`;
  const isSqlite = backend.name === 'sqlite';

  beforeAll(() => {
    if (backend.skip) return;
    ({ store, cleanup } = backend.open());
  });
  afterAll(async () => {
    if (backend.skip) return;
    await store.close();
    cleanup();
  });

  describe.skipIf(backend.skip)('experiments', () => {
    it('creates, reads by id and by name, refuses a duplicate name', async () => {
      const id = await store.createExperiment({ name: `exp-${u}`, tags: [{ key: 'team', value: 'fares' }] });
      const e = await store.getExperiment(id);
      expect(e).toMatchObject({ experiment_id: id, name: `exp-${u}`, lifecycle_stage: 'active', tags: [{ key: 'team', value: 'fares' }] });
      expect(e.artifact_location).toMatch(/^mlflow-artifacts:/);
      expect((await store.getExperimentByName(`exp-${u}`)).experiment_id).toBe(id);
      expect(await codeOf(store.createExperiment({ name: `exp-${u}` }))).toBe('RESOURCE_ALREADY_EXISTS');
      expect(await codeOf(store.getExperimentByName(`missing-${u}`))).toBe('RESOURCE_DOES_NOT_EXIST');
      expect(await codeOf(store.getExperiment('987654321'))).toBe('RESOURCE_DOES_NOT_EXIST');
    });

    it('searches by name and tag, renames, deletes and restores', async () => {
      const a = await store.createExperiment({ name: `srch-a-${u}`, tags: [{ key: 'kind', value: 'fare' }] });
      await new Promise((r) => setTimeout(r, 5)); // distinct creation times, so "newest first" is decided
      const b = await store.createExperiment({ name: `srch-b-${u}` });
      const like = await store.searchExperiments({ filter: `name LIKE 'srch-%-${u}'` });
      expect(like.items.map((e) => e.experiment_id).sort()).toEqual([a, b].sort());
      // Newest first by default.
      expect(like.items[0]!.experiment_id).toBe(b);
      const tagged = await store.searchExperiments({ filter: `name LIKE '%${u}' and tags.kind = 'fare'` });
      expect(tagged.items.map((e) => e.experiment_id)).toEqual([a]);

      await store.renameExperiment(a, `srch-renamed-${u}`);
      expect((await store.getExperiment(a)).name).toBe(`srch-renamed-${u}`);
      expect(await codeOf(store.renameExperiment(a, `srch-b-${u}`))).toBe('RESOURCE_ALREADY_EXISTS');

      await store.setExperimentTag(b, 'owner', 'ops');
      expect((await store.getExperiment(b)).tags).toEqual([{ key: 'owner', value: 'ops' }]);
      await store.deleteExperimentTag(b, 'owner');
      expect((await store.getExperiment(b)).tags).toEqual([]);

      await store.deleteExperiment(b);
      expect((await store.getExperiment(b)).lifecycle_stage).toBe('deleted');
      const active = await store.searchExperiments({ filter: `name LIKE 'srch-%${u}'` });
      expect(active.items.map((e) => e.experiment_id)).toEqual([a]);
      const deleted = await store.searchExperiments({ filter: `name LIKE 'srch-%${u}'`, view_type: 'DELETED_ONLY' });
      expect(deleted.items.map((e) => e.experiment_id)).toEqual([b]);
      expect(await codeOf(store.deleteExperiment(b))).toBe('RESOURCE_DOES_NOT_EXIST');
      await store.restoreExperiment(b);
      expect((await store.getExperiment(b)).lifecycle_stage).toBe('active');
    });

    it('pages experiments with opaque tokens', async () => {
      for (let i = 0; i < 5; i++) await store.createExperiment({ name: `page-${i}-${u}` });
      const seen: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const p = await store.searchExperiments({ filter: `name LIKE 'page-%-${u}'`, max_results: 2, order_by: ['name ASC'], ...(token ? { page_token: token } : {}) });
        seen.push(...p.items.map((e) => e.name));
        token = p.next_page_token ?? undefined;
        pages++;
      } while (token);
      expect(pages).toBe(3);
      expect(seen).toEqual([0, 1, 2, 3, 4].map((i) => `page-${i}-${u}`));
    });
  });

  describe.skipIf(backend.skip)('runs, params, metrics, tags', () => {
    let exp: string;
    beforeAll(async () => {
      if (backend.skip) return;
      exp = await store.createExperiment({ name: `runs-${u}` });
    });

    it('creates, updates, gets, deletes and restores a run', async () => {
      const run = await store.createRun({ experiment_id: exp, run_name: 'first', start_time: 1_700_000_000_000, tags: [{ key: 'team', value: 'fares' }] });
      expect(run.info).toMatchObject({ experiment_id: exp, run_name: 'first', status: 'RUNNING', lifecycle_stage: 'active', end_time: null, start_time: 1_700_000_000_000 });
      expect(run.info.run_id).toMatch(/^[0-9a-f]{32}$/);
      expect(run.info.artifact_uri).toBe(`mlflow-artifacts:/${exp}/${run.info.run_id}/artifacts`);
      expect(run.data.tags).toEqual(expect.arrayContaining([{ key: 'team', value: 'fares' }, { key: 'mlflow.runName', value: 'first' }]));

      const info = await store.updateRun(run.info.run_id, { status: 'FINISHED', end_time: 1_700_000_060_000, run_name: 'renamed' });
      expect(info).toMatchObject({ status: 'FINISHED', end_time: 1_700_000_060_000, run_name: 'renamed' });
      const got = await store.getRun(run.info.run_id);
      expect(got.info.run_name).toBe('renamed');
      expect(got.data.tags).toContainEqual({ key: 'mlflow.runName', value: 'renamed' });

      await store.deleteRun(run.info.run_id);
      expect((await store.getRun(run.info.run_id)).info.lifecycle_stage).toBe('deleted');
      expect(await codeOf(store.logParam(run.info.run_id, 'x', '1'))).toBe('INVALID_PARAMETER_VALUE');
      const hidden = await store.searchRuns({ experiment_ids: [exp], filter: "attributes.run_name = 'renamed'" });
      expect(hidden.items).toEqual([]);
      const shown = await store.searchRuns({ experiment_ids: [exp], filter: "attributes.run_name = 'renamed'", run_view_type: 'DELETED_ONLY' });
      expect(names(shown.items)).toEqual(['renamed']);
      await store.restoreRun(run.info.run_id);
      expect((await store.getRun(run.info.run_id)).info.lifecycle_stage).toBe('active');
      expect(await codeOf(store.getRun('0123456789abcdef0123456789abcdef'))).toBe('RESOURCE_DOES_NOT_EXIST');
    });

    it('keeps full metric histories and reports the latest value by step', async () => {
      const run = await store.createRun({ experiment_id: exp, run_name: 'history' });
      const id = run.info.run_id;
      for (let step = 0; step < 5; step++) await store.logMetric(id, metric('loss', 1 / (step + 1), step));
      await store.logMetric(id, metric('nan_metric', NaN, 0));
      const all = await store.getMetricHistory(id, 'loss');
      expect(all.items.map((m) => [m.step, m.value])).toEqual([0, 1, 2, 3, 4].map((s) => [s, 1 / (s + 1)]));
      expect(all.next_page_token).toBeNull();

      const pages: number[][] = [];
      let token: string | undefined;
      do {
        const p = await store.getMetricHistory(id, 'loss', { max_results: 2, ...(token ? { page_token: token } : {}) });
        pages.push(p.items.map((m) => m.step));
        token = p.next_page_token ?? undefined;
      } while (token);
      expect(pages).toEqual([[0, 1], [2, 3], [4]]);

      const data = (await store.getRun(id)).data;
      expect(data.metrics.find((m) => m.key === 'loss')).toMatchObject({ value: 0.2, step: 4 });
      expect(Number.isNaN(data.metrics.find((m) => m.key === 'nan_metric')!.value)).toBe(true);
      expect((await store.getMetricHistory(id, 'never_logged')).items).toEqual([]);
    });

    it('keeps the latest value by step even when steps arrive out of order', async () => {
      const id = (await store.createRun({ experiment_id: exp, run_name: 'out-of-order' })).info.run_id;
      await store.logMetric(id, metric('acc', 0.9, 4));
      for (let step = 0; step < 4; step++) await store.logMetric(id, metric('acc', step / 10, step));
      await store.logBatch(id, { metrics: [metric('auc', 0.7, 10), metric('auc', 0.2, 2), metric('auc', 0.8, 10, 1_700_000_009_999)] });
      const latest = (await store.getRun(id)).data.metrics;
      expect(latest.find((m) => m.key === 'acc')).toMatchObject({ value: 0.9, step: 4 });
      expect(latest.find((m) => m.key === 'auc')).toMatchObject({ value: 0.8, step: 10 });
      expect((await store.getMetricHistory(id, 'acc')).items).toHaveLength(5);
      expect(await store.searchRuns({ experiment_ids: [exp], filter: 'metrics.acc > 0.5' }).then((p) => names(p.items))).toEqual(['out-of-order']);
    });

    it('keeps params immutable: the same value again is fine, a different one is refused', async () => {
      const run = await store.createRun({ experiment_id: exp, run_name: 'params' });
      const id = run.info.run_id;
      await store.logParam(id, 'model', 'mlp');
      await store.logParam(id, 'model', 'mlp');
      const e = await errorOf(store.logParam(id, 'model', 'linear'));
      expect(e.code).toBe('INVALID_PARAMETER_VALUE');
      expect(e.message).toMatch(/model/);
      expect((await store.getRun(id)).data.params).toEqual([{ key: 'model', value: 'mlp' }]);
      await store.logParam(id, 'long', 'x'.repeat(6000));
      expect((await store.getRun(id)).data.params.find((p) => p.key === 'long')!.value).toHaveLength(6000);
    });

    it.runIf(isSqlite)('refuses a param value over 6000 characters instead of truncating it (MLflow truncates)', async () => {
      const run = await store.createRun({ experiment_id: exp, run_name: 'too-long' });
      expect(await codeOf(store.logParam(run.info.run_id, 'big', 'x'.repeat(6001)))).toBe('INVALID_PARAMETER_VALUE');
      expect((await store.getRun(run.info.run_id)).data.params).toEqual([]);
    });

    it('sets, overwrites and deletes tags', async () => {
      const run = await store.createRun({ experiment_id: exp, run_name: 'tags' });
      const id = run.info.run_id;
      await store.setTag(id, 'stage', 'draft');
      await store.setTag(id, 'stage', 'final');
      expect((await store.getRun(id)).data.tags).toContainEqual({ key: 'stage', value: 'final' });
      await store.deleteTag(id, 'stage');
      expect((await store.getRun(id)).data.tags.find((t) => t.key === 'stage')).toBeUndefined();
      expect(await codeOf(store.deleteTag(id, 'stage'))).toBe('RESOURCE_DOES_NOT_EXIST');
    });

    it('logs a batch, all or nothing, within MLflow limits', async () => {
      const run = await store.createRun({ experiment_id: exp, run_name: 'batch' });
      const id = run.info.run_id;
      await store.logBatch(id, {
        metrics: Array.from({ length: 998 }, (_, i) => metric('curve', i, i)),
        params: [{ key: 'lr', value: '0.01' }],
        tags: [{ key: 'source', value: 'batch' }],
      });
      const h = await store.getMetricHistory(id, 'curve');
      expect(h.items).toHaveLength(998);
      const before = await store.getRun(id);

      expect(await codeOf(store.logBatch(id, { metrics: Array.from({ length: 1001 }, (_, i) => metric('over', i, i)) }))).toBe('INVALID_PARAMETER_VALUE');
      expect(await codeOf(store.logBatch(id, { params: Array.from({ length: 101 }, (_, i) => ({ key: `p${i}`, value: '1' })) }))).toBe('INVALID_PARAMETER_VALUE');
      expect(await codeOf(store.logBatch(id, { tags: Array.from({ length: 101 }, (_, i) => ({ key: `t${i}`, value: '1' })) }))).toBe('INVALID_PARAMETER_VALUE');
      // A conflicting param sinks the metrics and tags sent with it.
      expect(
        await codeOf(store.logBatch(id, { metrics: [metric('late', 1, 0)], params: [{ key: 'lr', value: '0.5' }], tags: [{ key: 'late', value: 'yes' }] })),
      ).toBe('INVALID_PARAMETER_VALUE');
      // A bad key in the middle does too.
      expect(await codeOf(store.logBatch(id, { metrics: [metric('fine', 1, 0), metric('../bad', 1, 0)] }))).toBe('INVALID_PARAMETER_VALUE');
      expect(await codeOf(store.logBatch(id, { params: [{ key: 'dup', value: '1' }, { key: 'dup', value: '1' }] }))).toBe('INVALID_PARAMETER_VALUE');
      expect(
        await codeOf(store.logBatch(id, { metrics: Array.from({ length: 999 }, (_, i) => metric('total', i, i)), params: [{ key: 'x', value: '1' }], tags: [{ key: 'y', value: '1' }] })),
      ).toBe('INVALID_PARAMETER_VALUE');

      const after = await store.getRun(id);
      expect(after.data).toEqual(before.data);
      expect((await store.getMetricHistory(id, 'over')).items).toEqual([]);
      expect((await store.getMetricHistory(id, 'fine')).items).toEqual([]);
    });
  });

  describe.skipIf(backend.skip)('search runs', () => {
    let exp: string;
    const ids: Record<string, string> = {};
    beforeAll(async () => {
      if (backend.skip) return;
      exp = await store.createExperiment({ name: `search-${u}` });
      const rows: [string, number | null, string, string, number | null][] = [
        // name, rmse, model, team, f1
        ['mlp-good', 3.5, 'mlp', 'fares', 0.9],
        ['mlp-bad', 7.25, 'mlp', 'fastlane', 0.4],
        ['linear-good', 4.75, 'linear', 'Fares', 0.7],
        ['linear-bad', 9, 'linear', 'ops', null],
        ['no-metric', null, 'mlp', 'ops', null],
      ];
      let t = 1_700_000_000_000;
      for (const [name, rmse, model, team, f1] of rows) {
        const run = await store.createRun({ experiment_id: exp, run_name: name, start_time: (t += 1000) });
        ids[name] = run.info.run_id;
        await store.logBatch(run.info.run_id, {
          metrics: [...(rmse === null ? [] : [metric('rmse', rmse, 0)]), ...(f1 === null ? [] : [metric('f1 score', f1, 0)])],
          params: [{ key: 'model', value: model }],
          tags: [{ key: 'team', value: team }],
        });
        if (name.endsWith('good')) await store.updateRun(run.info.run_id, { status: 'FINISHED', end_time: t + 500 });
      }
    });

    const search = async (filter: string, order_by?: string[]): Promise<string[]> =>
      names((await store.searchRuns({ experiment_ids: [exp], filter, ...(order_by ? { order_by } : {}) })).items);

    it('filters on metrics, params, tags and attributes', async () => {
      expect(await search("metrics.rmse < 5 and params.model = 'mlp'")).toEqual(['mlp-good']);
      expect((await search('metrics.rmse >= 4.75')).sort()).toEqual(['linear-bad', 'linear-good', 'mlp-bad']);
      expect((await search("params.model != 'mlp'")).sort()).toEqual(['linear-bad', 'linear-good']);
      expect((await search("tags.team LIKE 'fa%'")).sort()).toEqual(['mlp-bad', 'mlp-good']);
      expect((await search("tags.team ILIKE 'fa%'")).sort()).toEqual(['linear-good', 'mlp-bad', 'mlp-good']);
      expect((await search("attributes.status = 'FINISHED'")).sort()).toEqual(['linear-good', 'mlp-good']);
      expect((await search("attribute.run_name ILIKE '%GOOD%'")).sort()).toEqual(['linear-good', 'mlp-good']);
      expect(await search('metrics.`f1 score` > 0.8')).toEqual(['mlp-good']);
      expect((await search(`attributes.run_id IN ('${ids['mlp-bad']}', '${ids['no-metric']}')`)).sort()).toEqual(['mlp-bad', 'no-metric']);
      expect(await search(`attributes.start_time > ${1_700_000_004_000}`)).toEqual(['no-metric']);
    });

    it.runIf(isSqlite)('accepts IN on tags and on any string attribute (beyond MLflow, which allows it on run_id only)', async () => {
      expect((await search("tags.team IN ('ops', 'Fares')")).sort()).toEqual(['linear-bad', 'linear-good', 'no-metric']);
      expect((await search("attributes.status NOT IN ('RUNNING')")).sort()).toEqual(['linear-good', 'mlp-good']);
      expect((await search('params.model IS NULL'))).toEqual([]);
    });

    it('orders by metrics, params and attributes with missing values last', async () => {
      expect(await search('', ['metrics.rmse ASC'])).toEqual(['mlp-good', 'linear-good', 'mlp-bad', 'linear-bad', 'no-metric']);
      expect(await search('', ['metrics.rmse DESC'])).toEqual(['linear-bad', 'mlp-bad', 'linear-good', 'mlp-good', 'no-metric']);
      expect(await search('', ['attributes.start_time DESC'])).toEqual(['no-metric', 'linear-bad', 'linear-good', 'mlp-bad', 'mlp-good']);
      // Default order: newest first.
      expect(await search('')).toEqual(['no-metric', 'linear-bad', 'linear-good', 'mlp-bad', 'mlp-good']);
      // Equal params fall back to start_time DESC.
      expect(await search('', ['params.model'])).toEqual(['linear-bad', 'linear-good', 'no-metric', 'mlp-bad', 'mlp-good']);
      expect(await search("params.model = 'mlp'", ['metrics.rmse ASC'])).toEqual(['mlp-good', 'mlp-bad', 'no-metric']);
    });

    it('pages through results in order with tokens', async () => {
      const all: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const p = await store.searchRuns({ experiment_ids: [exp], order_by: ['metrics.rmse ASC'], max_results: 2, ...(token ? { page_token: token } : {}) });
        all.push(...names(p.items));
        token = p.next_page_token ?? undefined;
        pages++;
      } while (token);
      expect(pages).toBe(3);
      expect(all).toEqual(['mlp-good', 'linear-good', 'mlp-bad', 'linear-bad', 'no-metric']);
    });

    it('refuses bad filters and order_by clauses with INVALID_PARAMETER_VALUE', async () => {
      for (const bad of ['metrics.rmse foo 3', "metrics.rmse < 'five'", "params.model = mlp", 'nonsense.key = 1', "params.a = '1' or params.b = '2'", 'metrics.rmse <']) {
        expect(await codeOf(store.searchRuns({ experiment_ids: [exp], filter: bad })), bad).toBe('INVALID_PARAMETER_VALUE');
      }
      expect(await codeOf(store.searchRuns({ experiment_ids: [exp], order_by: ['metrics.rmse SIDEWAYS'] }))).toBe('INVALID_PARAMETER_VALUE');
    });

    it.runIf(isSqlite)('answers the same whichever way it searches: scope first, filter index first, or class by class', async () => {
      // Over 1,000 runs holding most of the registry, SQLite starts from the metric index; smaller scopes
      // walk the runs; ordering by a key nobody filters on reads runs with a value, then NaN, then none.
      const big = await store.createExperiment({ name: `plans-${u}` });
      const rows = Array.from({ length: 1200 }, (_, i) => ({
        name: `p${i}`,
        rmse: i % 50 === 7 ? null : i % 50 === 9 ? NaN : ((i * 7919) % 997) / 100,
        model: i % 3 === 0 ? 'mlp' : i % 3 === 1 ? 'gbm' : null,
        start: 1_700_000_000_000 + i,
      }));
      for (const r of rows) {
        const run = await store.createRun({ experiment_id: big, run_name: r.name, start_time: r.start });
        await store.logBatch(run.info.run_id, {
          metrics: r.rmse === null ? [] : [metric('rmse', r.rmse, 0)],
          params: r.model === null ? [] : [{ key: 'model', value: r.model }],
        });
      }
      const all = async (filter: string, order_by: string[], pageSize: number): Promise<string[]> => {
        const got: string[] = [];
        let token: string | undefined;
        do {
          const p = await store.searchRuns({ experiment_ids: [big], filter, order_by, max_results: pageSize, ...(token ? { page_token: token } : {}) });
          got.push(...names(p.items));
          token = p.next_page_token ?? undefined;
        } while (token);
        return got;
      };
      type R = (typeof rows)[number];
      const newest = (a: R, b: R): number => b.start - a.start;
      const cls = (r: R): number => (r.rmse === null ? 2 : Number.isNaN(r.rmse) ? 1 : 0);

      const filtered = rows.filter((r) => r.rmse !== null && r.rmse < 4 && r.model === 'mlp').sort((a, b) => a.rmse! - b.rmse! || newest(a, b));
      expect(await all("metrics.rmse < 4 and params.model = 'mlp'", ['metrics.rmse ASC'], 37)).toEqual(filtered.map((r) => r.name));

      const byMetricDesc = [...rows].sort((a, b) => cls(a) - cls(b) || (cls(a) === 0 ? b.rmse! - a.rmse! : 0) || newest(a, b));
      expect(await all('', ['metrics.rmse DESC'], 97)).toEqual(byMetricDesc.map((r) => r.name));
      // A page that starts beyond the runs with a value, and the one after it.
      const deep = await store.searchRuns({ experiment_ids: [big], order_by: ['metrics.rmse DESC'], max_results: 50, page_token: (await store.searchRuns({ experiment_ids: [big], order_by: ['metrics.rmse DESC'], max_results: 1160 })).next_page_token! });
      expect(names(deep.items)).toEqual(byMetricDesc.slice(1160).map((r) => r.name));

      const byModel = rows
        .filter((r) => r.rmse !== null && !Number.isNaN(r.rmse) && r.rmse > 8)
        .sort((a, b) => (a.model === null ? 1 : 0) - (b.model === null ? 1 : 0) || (a.model ?? '').localeCompare(b.model ?? '') || newest(a, b));
      expect(await all('metrics.rmse > 8', ['params.model ASC'], 13)).toEqual(byModel.map((r) => r.name));
      // The small experiment of the suite is now under 10% of the registry: the runs drive, same kind of answer.
      expect(await search('metrics.rmse < 5', ['metrics.rmse ASC'])).toEqual(['mlp-good', 'linear-good']);
      expect(await search('', ['metrics.`f1 score` DESC'])).toEqual(['mlp-good', 'linear-good', 'mlp-bad', 'no-metric', 'linear-bad']);
    });

    it.runIf(isSqlite)('points at the position of the problem in a bad filter', async () => {
      const e = await errorOf(store.searchRuns({ experiment_ids: [exp], filter: "metrics.rmse < 5 and params.model foo 'mlp'" }));
      expect(e.message).toBe("invalid filter at position 34: expected a comparison operator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, IS NULL), got 'foo'");
      expect(e.details?.caret).toBe(`metrics.rmse < 5 and params.model foo 'mlp'\n${' '.repeat(34)}^`);
      const t = await errorOf(store.searchRuns({ experiment_ids: [exp], page_token: 'bm90IGEgdG9rZW4' }));
      expect(t.code).toBe('INVALID_PARAMETER_VALUE');
    });
  });

  describe.skipIf(backend.skip)('artifacts', () => {
    let runId: string;
    beforeAll(async () => {
      if (backend.skip) return;
      const exp = await store.createExperiment({ name: `artifacts-${u}` });
      runId = (await store.createRun({ experiment_id: exp, run_name: 'art' })).info.run_id;
    });

    it('uploads bytes and streams, lists folders and downloads the same bytes', async () => {
      const weights = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));
      await store.uploadArtifact(runId, 'model/MLmodel', Buffer.from('flavors: {}\n'));
      await store.uploadArtifact(runId, 'model/weights.bin', Readable.from([weights.subarray(0, 30_000), weights.subarray(30_000)]));
      await store.uploadArtifact(runId, 'report.json', Buffer.from('{"rmse":3.5}'));
      expect(await store.listArtifacts(runId)).toEqual([
        { path: 'model', is_dir: true, file_size: null },
        { path: 'report.json', is_dir: false, file_size: 12 },
      ]);
      expect(await store.listArtifacts(runId, 'model')).toEqual([
        { path: 'model/MLmodel', is_dir: false, file_size: 12 },
        { path: 'model/weights.bin', is_dir: false, file_size: 70_000 },
      ]);
      expect((await store.downloadArtifact(runId, 'model/weights.bin')).equals(weights)).toBe(true);
      expect((await store.downloadArtifact(runId, 'report.json')).toString()).toBe('{"rmse":3.5}');
      expect(await store.listArtifacts(runId, 'nothing/here')).toEqual([]);
      expect(await codeOf(store.downloadArtifact(runId, 'model/missing.bin'))).toBe('RESOURCE_DOES_NOT_EXIST');
    });

    it('refuses path traversal and absolute paths', async () => {
      for (const p of ['../escape.txt', 'model/../../escape.txt', '/etc/passwd', 'C:/windows/x', 'a\\b']) {
        expect(await codeOf(store.uploadArtifact(runId, p, Buffer.from('x'))), p).toBe('INVALID_PARAMETER_VALUE');
        expect(await codeOf(store.downloadArtifact(runId, p)), p).toBe('INVALID_PARAMETER_VALUE');
      }
      expect(await codeOf(store.listArtifacts(runId, '../..'))).toBe('INVALID_PARAMETER_VALUE');
    });

    it('leaves nothing behind when an upload stream fails half way', async () => {
      const failing = new Readable({
        read() {
          this.push(Buffer.alloc(64 * 1024, 1));
          this.destroy(new Error('disk unplugged'));
        },
      });
      await expect(store.uploadArtifact(runId, 'broken/partial.bin', failing)).rejects.toThrow();
      expect(await store.listArtifacts(runId, 'broken')).toEqual([]);
      expect(await codeOf(store.downloadArtifact(runId, 'broken/partial.bin'))).toBe('RESOURCE_DOES_NOT_EXIST');
      // MLflow's server makes the folder before the body arrives; ours only renames a complete file into place.
      if (isSqlite) expect((await store.listArtifacts(runId)).map((f) => f.path)).not.toContain('broken');
    });
  });

  describe.skipIf(backend.skip)('registered models, versions, aliases, stages', () => {
    let runId: string;
    const model = `fare-model-${u}`;
    beforeAll(async () => {
      if (backend.skip) return;
      const exp = await store.createExperiment({ name: `models-${u}` });
      runId = (await store.createRun({ experiment_id: exp, run_name: 'trainer' })).info.run_id;
      await store.uploadArtifact(runId, 'model/MLmodel', Buffer.from('flavors: {}\n'));
    });

    it('creates a model, refuses a duplicate name, updates, tags and searches it', async () => {
      const m = await store.createRegisteredModel({ name: model, description: 'fare regressor', tags: [{ key: 'task', value: 'fare' }] });
      expect(m).toMatchObject({ name: model, description: 'fare regressor', tags: [{ key: 'task', value: 'fare' }], latest_versions: [], aliases: [] });
      const dup = await errorOf(store.createRegisteredModel({ name: model }));
      expect(dup.code).toBe('RESOURCE_ALREADY_EXISTS');
      expect(dup.message).toContain(model);
      expect((await store.updateRegisteredModel(model, 'better description')).description).toBe('better description');
      await store.setRegisteredModelTag(model, 'owner', 'ops');
      await store.deleteRegisteredModelTag(model, 'task');
      expect((await store.getRegisteredModel(model)).tags).toEqual([{ key: 'owner', value: 'ops' }]);
      expect((await store.searchRegisteredModels({ filter: `name = '${model}'` })).items.map((x) => x.name)).toEqual([model]);
      expect((await store.searchRegisteredModels({ filter: `name LIKE 'fare-model-${u}%'` })).items.map((x) => x.name)).toEqual([model]);
      expect((await store.searchRegisteredModels({ filter: `name LIKE 'fare-model-${u}%' and tags.owner = 'ops'` })).items).toHaveLength(1);
      expect(await codeOf(store.getRegisteredModel(`missing-${u}`))).toBe('RESOURCE_DOES_NOT_EXIST');
      expect(await codeOf(store.searchRegisteredModels({ filter: 'name ~~ 3' }))).toBe('INVALID_PARAMETER_VALUE');
    });

    it("creates versions from a run's artifact path, refuses a path the run does not have", async () => {
      const v1 = await store.createModelVersion({ name: model, source: `runs:/${runId}/model`, description: 'first' });
      expect(v1).toMatchObject({ name: model, version: '1', current_stage: 'None', run_id: runId, status: 'READY', description: 'first' });
      expect(v1.source).toMatch(new RegExp(`^mlflow-artifacts:/.*/${runId}/artifacts/model$`));
      const v2 = await store.createModelVersion({ name: model, source: `runs:/${runId}/model`, run_id: runId });
      const v3 = await store.createModelVersion({ name: model, source: `runs:/${runId}/model` });
      expect([v2.version, v3.version]).toEqual(['2', '3']);

      expect(await codeOf(store.createModelVersion({ name: model, source: `runs:/${runId}/no-such-folder` }))).toBe('INVALID_PARAMETER_VALUE');
      expect(await codeOf(store.createModelVersion({ name: `missing-${u}`, source: `runs:/${runId}/model` }))).toBe('RESOURCE_DOES_NOT_EXIST');
      const listed = await store.searchModelVersions({ filter: `name = '${model}'` });
      expect(listed.items.map((v) => v.version).sort()).toEqual(['1', '2', '3']);
      expect((await store.searchModelVersions({ filter: `run_id = '${runId}'` })).items).toHaveLength(3);

      expect((await store.updateModelVersion(model, '2', 'second')).description).toBe('second');
      await store.setModelVersionTag(model, '2', 'validated', 'yes');
      expect((await store.getModelVersion(model, '2')).tags).toEqual([{ key: 'validated', value: 'yes' }]);
      await store.deleteModelVersionTag(model, '2', 'validated');
      expect((await store.getModelVersion(model, '2')).tags).toEqual([]);
      expect(await store.getModelVersionDownloadUri(model, '1')).toBe(v1.source);

      await store.deleteModelVersion(model, '3');
      expect(await codeOf(store.getModelVersion(model, '3'))).toBe('RESOURCE_DOES_NOT_EXIST');
      // Numbers are never reused.
      expect((await store.createModelVersion({ name: model, source: `runs:/${runId}/model` })).version).toBe('4');
    });

    it('sets, moves, reads and deletes aliases', async () => {
      await store.setRegisteredModelAlias(model, 'champion', '1');
      expect((await store.getModelVersionByAlias(model, 'champion')).version).toBe('1');
      await store.setRegisteredModelAlias(model, 'champion', '2');
      await store.setRegisteredModelAlias(model, 'challenger', '4');
      expect((await store.getModelVersionByAlias(model, 'champion')).version).toBe('2');
      expect((await store.getModelVersion(model, '2')).aliases).toEqual(['champion']);
      expect((await store.getRegisteredModel(model)).aliases).toEqual([
        { alias: 'challenger', version: '4' },
        { alias: 'champion', version: '2' },
      ]);
      expect(await codeOf(store.setRegisteredModelAlias(model, 'champion', '99'))).toBe('RESOURCE_DOES_NOT_EXIST');
      expect(await codeOf(store.setRegisteredModelAlias(model, 'latest', '1'))).toBe('INVALID_PARAMETER_VALUE');
      expect((await store.getModelVersionByAlias(model, 'champion')).version).toBe('2');
      await store.deleteRegisteredModelAlias(model, 'challenger');
      expect(await codeOf(store.getModelVersionByAlias(model, 'challenger'))).toBe('INVALID_PARAMETER_VALUE');
    });

    it('moves versions through stages and archives the previous one when asked', async () => {
      expect((await store.transitionModelVersionStage({ name: model, version: '1', stage: 'Production' })).current_stage).toBe('Production');
      const v2 = await store.transitionModelVersionStage({ name: model, version: '2', stage: 'Production', archive_existing_versions: true });
      expect(v2.current_stage).toBe('Production');
      expect((await store.getModelVersion(model, '1')).current_stage).toBe('Archived');
      expect((await store.transitionModelVersionStage({ name: model, version: '4', stage: 'staging' as 'Staging' })).current_stage).toBe('Staging');
      expect((await store.getLatestVersions(model, ['Production'])).map((v) => v.version)).toEqual(['2']);
      expect((await store.getLatestVersions(model)).map((v) => [v.version, v.current_stage])).toEqual([
        ['4', 'Staging'],
        ['2', 'Production'],
        ['1', 'Archived'],
      ]);
      expect(await codeOf(store.transitionModelVersionStage({ name: model, version: '4', stage: 'Prod' as 'Production' }))).toBe('INVALID_PARAMETER_VALUE');
      await expect(store.transitionModelVersionStage({ name: model, version: '4', stage: 'None', archive_existing_versions: true })).rejects.toThrow();
      expect((await store.getModelVersion(model, '4')).current_stage).toBe('Staging');
    });

    it('renames a model with its versions and aliases, then deletes it', async () => {
      const renamed = `${model}-v2`;
      const r = await store.renameRegisteredModel(model, renamed);
      expect(r.name).toBe(renamed);
      expect((await store.getModelVersion(renamed, '2')).name).toBe(renamed);
      expect((await store.getModelVersionByAlias(renamed, 'champion')).version).toBe('2');
      expect(await codeOf(store.getRegisteredModel(model))).toBe('RESOURCE_DOES_NOT_EXIST');
      const other = await store.createRegisteredModel({ name: `other-${u}` });
      expect(await codeOf(store.renameRegisteredModel(renamed, other.name))).toBe('RESOURCE_ALREADY_EXISTS');
      await store.deleteRegisteredModel(renamed);
      expect(await codeOf(store.getRegisteredModel(renamed))).toBe('RESOURCE_DOES_NOT_EXIST');
      expect(await codeOf(store.getModelVersion(renamed, '2'))).toBe('RESOURCE_DOES_NOT_EXIST');
      expect((await store.searchModelVersions({ filter: `name = '${renamed}'` })).items).toEqual([]);
    });
  });
});

describe('registry.db upgrades', () => {
  it('carries runs and metrics of an older registry.db into the current schema', async () => {
    const t = tempWorkspace('taxi-registry-upgrade-');
    try {
      const old = openDatabase(t.workspace.paths.registryDb, 'registry.db', REGISTRY_MIGRATIONS.slice(0, 3));
      expect(schemaVersion(old)).toBe(3);
      old.prepare(`INSERT INTO experiments VALUES (5, 'old', 'mlflow-artifacts:/5', 'active', 1, 1)`).run();
      old.prepare(`INSERT INTO runs VALUES ('a'||hex(randomblob(15)), 5, 'old-run', '', 'FINISHED', 1, 2, 'active', 'mlflow-artifacts:/5/x/artifacts', NULL)`).run();
      old.prepare(`INSERT INTO latest_metrics (run_uuid, key, value, timestamp, step, is_nan) SELECT run_uuid, 'rmse', 2.5, 1, 0, 0 FROM runs`).run();
      old.close();

      const store = new SqliteRegistryStore(t.workspace.paths);
      try {
        expect(schemaVersion(store.database)).toBe(REGISTRY_MIGRATIONS.length);
        const found = await store.searchRuns({ experiment_ids: ['5'], filter: 'metrics.rmse < 3', order_by: ['metrics.rmse DESC'] });
        expect(names(found.items)).toEqual(['old-run']);
        expect(migrate(store.database, 'registry.db', REGISTRY_MIGRATIONS)).toEqual([]);
      } finally {
        await store.close();
      }
    } finally {
      t.cleanup();
    }
  });
});
