/**
 * Arbitrary JSON into every contract method, through dispatch (what IPC calls) and over HTTP. The answer
 * is either a result or a typed { code, message, details } error — never INTERNAL/500 from a bad input,
 * never a hang. Methods that start jobs or background loops have their input validation fuzzed only:
 * inputs their schema accepts are counted, not run (a random valid `data.generate` could be a billion rows).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import type { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { methodNames, methods, type MethodName } from '../../src-main/api/contract.js';
import { dispatch } from '../../src-main/api/dispatch.js';
import { startHttpServer, type HttpServer } from '../../src-main/api/http.js';
import { getRegistry } from '../../src-main/engines/registry/index.js';
import { openServices, type Services } from '../../src-main/platform/services.js';
import { initWorkspace } from '../../src-main/platform/workspace.js';
import { runs, Tally, within } from './tally.js';

/** Started work that outlives the call, or paths the input names: validation only. */
const VALIDATE_ONLY = new Set<string>([
  ...methodNames.filter((m) => methods[m].job),
  'features.scheduler.start',
  'features.scheduler.runNow',
  'streams.tail.start',
  // Reads and writes files at the paths it is given (entities csv/parquet, output).
  'features.getHistorical',
]);

// ---------- inputs shaped like the schema ----------

type AnyZod = z.ZodType & { def?: Record<string, unknown>; shape?: Record<string, z.ZodType> };

/** Keys of the object a method takes, looking through default/optional/pipe/union wrappers. */
function keysOf(schema: AnyZod, depth = 0): string[] {
  if (depth > 6 || !schema) return [];
  if (schema.shape && typeof schema.shape === 'object') return Object.keys(schema.shape);
  const def = schema.def ?? {};
  const inner = (def.innerType ?? def.in ?? def.schema) as AnyZod | undefined;
  if (inner) return keysOf(inner, depth + 1);
  if (Array.isArray(def.options)) return [...new Set((def.options as AnyZod[]).flatMap((o) => keysOf(o, depth + 1)))];
  return [];
}

const tricky = fc.oneof(
  fc.constantFrom<unknown>('', ' ', '../../etc/passwd', '%2e%2e/x', "'; DROP TABLE runs; --", '\u0000', 'a'.repeat(5000), -1, 0, 1e308, -1e308, 2 ** 53 + 1, 0.5, true, null, [], {}, ['a'], { a: 1 }),
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.double(),
);

function inputsFor(name: MethodName): fc.Arbitrary<unknown> {
  const keys = keysOf(methods[name].input as unknown as AnyZod);
  const known = keys.length > 0 ? fc.dictionary(fc.constantFrom(...keys), fc.oneof(tricky, fc.jsonValue({ maxDepth: 2 }))) : fc.constant({});
  return fc.oneof(
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 4, arbitrary: known },
    // The known keys plus one the schema does not have (strict schemas must refuse it by name).
    { weight: 1, arbitrary: fc.tuple(known, fc.string({ minLength: 1, maxLength: 8 }), fc.jsonValue({ maxDepth: 1 })).map(([o, k, v]) => (o && typeof o === 'object' ? { ...o, [`x_${k}`]: v } : o)) },
  );
}

// ---------- services ----------

let dir: string;
let s: Services;
let server: HttpServer;
const inProcess = new Tally('contract-dispatch');
const overHttp = new Tally('contract-http');
const internals: string[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taxi-fuzz-contract-'));
  const ws = path.join(dir, 'ws');
  initWorkspace(ws);
  s = await openServices({ workspace: ws, mode: 'server' });
  // Something to find, so searches and gets reach past "no such thing".
  const reg = await getRegistry(s);
  const exp = await reg.createExperiment({ name: 'fuzz' });
  for (let i = 0; i < 3; i++) {
    const run = await reg.createRun({ experiment_id: exp, run_name: `r${i}` });
    await reg.logBatch(run.info.run_id, { metrics: [{ key: 'rmse', value: i, timestamp: Date.now(), step: 0 }], params: [{ key: 'model', value: i ? 'mlp' : 'linear' }] });
  }
  await reg.createRegisteredModel({ name: 'fuzz_model' });
  server = await startHttpServer({ services: s, port: 0, staticDir: dir });
});

afterAll(async () => {
  inProcess.save();
  overHttp.save();
  await server?.close();
  await s?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

type ErrorShape = { code: string; message: string; details?: Record<string, unknown> };

function checkError(method: string, input: unknown, error: ErrorShape): void {
  expect(typeof error.code).toBe('string');
  expect(error.code).toMatch(/^[A-Z_]+$/);
  expect(typeof error.message).toBe('string');
  expect(error.message.length).toBeGreaterThan(0);
  if (error.details !== undefined) expect(typeof error.details).toBe('object');
  if (error.code === 'INTERNAL') internals.push(`${method} ${JSON.stringify(input)?.slice(0, 300)} → ${error.message}`);
}

describe('every contract method under arbitrary JSON (dispatch)', () => {
  for (const name of methodNames) {
    const validateOnly = VALIDATE_ONLY.has(name);
    it(`${name}${validateOnly ? ' (validation only)' : ''}`, async () => {
      await fc.assert(
        fc.asyncProperty(inputsFor(name), async (input) => {
          // dispatch reads null as "no input" (the method's defaults), so the check must too.
          if (validateOnly && methods[name].input.safeParse(input ?? undefined).success) {
            inProcess.add('valid-not-run');
            return;
          }
          const r = await within(15_000, `${name}(${JSON.stringify(input)?.slice(0, 200)})`, dispatch(s, name, input));
          if (r.ok) {
            inProcess.add('ok');
            expect(validateOnly).toBe(false);
            // What the handler returns must be what the contract promises.
            expect(methods[name].output.safeParse(r.result).success).toBe(true);
          } else {
            inProcess.add(r.error.code);
            checkError(name, input, r.error);
            if (validateOnly) expect(r.error.code).toBe('INVALID_INPUT');
            // Refused by the contract's schema: every bad field named, with the method. (A handler may
            // also answer INVALID_INPUT for a value the schema cannot judge; that one names its own field.)
            const fields = (r.error.details as { fields?: { path: string; message: string }[] } | undefined)?.fields;
            if (r.error.code === 'INVALID_INPUT' && fields !== undefined) {
              expect(fields.length).toBeGreaterThan(0);
              expect(r.error.message).toContain(name);
            }
          }
        }),
        { numRuns: runs(40) },
      );
      expect(internals.filter((x) => x.startsWith(`${name} `))).toEqual([]);
    });
  }

  it('registry.runs.search with grammar-shaped filters never fails inside the store', async () => {
    const search = new Tally('registry-search-filters');
    const numeric = fc.tuple(
      fc.constantFrom('metrics.rmse', 'metrics.`a b`', 'attributes.start_time'),
      fc.constantFrom(' = ', ' != ', ' < ', ' <= ', ' > ', ' >= '),
      fc.oneof(fc.constantFrom('1', '-2.5', '1e308', '0'), fc.double({ noNaN: true, noDefaultInfinity: true }).map(String)),
    );
    const textual = fc.tuple(
      fc.constantFrom('params.model', 'tags.x', 'attributes.status', 'attributes.run_name', 'tags.`mlflow.runName`'),
      fc.constantFrom(' = ', ' != ', ' LIKE ', ' ILIKE '),
      fc.oneof(fc.constantFrom("'mlp'", "'%l%'", "'it''s'", "'FINISHED'", "'_'", "'%'"), fc.string({ maxLength: 6 }).map((x) => `'${x.replace(/'/g, "''")}'`)),
    );
    const comparisons = fc
      .array(fc.oneof(numeric, textual), { minLength: 1, maxLength: 4 })
      .map((cs) => [cs.map((c) => c.join('')).join(' AND ')]);
    const parts = ['metrics.rmse', 'params.model', 'tags.x', 'attributes.status', 'attributes.run_name', '`a b`', ' = ', ' != ', ' < ', ' >= ', ' LIKE ', ' ILIKE ', ' IN ', ' AND ', "'mlp'", "'%'", "'it''s'", '1', '-2.5', '(', ')', ',', "('a','b')", ' IS NULL'];
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.array(fc.constantFrom(...parts), { minLength: 1, maxLength: 9 }), comparisons), fc.oneof(fc.constant([]), fc.constantFrom(['metrics.rmse DESC'], ['params.model', 'attributes.start_time ASC'], ['x y z'], ['metrics.rmse', 'metrics.rmse'])), async (p, order) => {
        const filter = p.join('');
        const r = await within(15_000, `runs.search ${filter}`, dispatch(s, 'registry.runs.search', { filter, order_by: order }));
        search.add(r.ok ? 'ok' : r.error.code);
        if (!r.ok) {
          checkError('registry.runs.search', { filter, order }, r.error);
          expect(r.error.code).not.toBe('INTERNAL');
        }
      }),
      { numRuns: runs(800) },
    );
    search.save();
    expect(search.outcomes.ok ?? 0).toBeGreaterThan(100);
  });
});

describe('contract methods over HTTP with arbitrary bodies', () => {
  const bodies = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }).map((v) => ({ body: JSON.stringify(v), type: 'application/json' })),
    fc.string({ maxLength: 100 }).map((t) => ({ body: t, type: 'application/json' })),
    fc.string({ maxLength: 100 }).map((t) => ({ body: t, type: 'text/plain' })),
    fc.constantFrom(
      { body: '{"__proto__":{"polluted":1}}', type: 'application/json' },
      { body: '{"constructor":{"prototype":{"polluted":1}}}', type: 'application/json' },
      { body: '', type: 'application/json' },
      { body: '[', type: 'application/json' },
      { body: '\u0000', type: 'application/octet-stream' },
    ),
  );
  it('every method answers with a JSON body in the typed shape, never a 500', { timeout: 300_000 }, async () => {
    const names = methodNames.filter((m) => !VALIDATE_ONLY.has(m));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...names), bodies, async (name, { body, type }) => {
        const res = await within(15_000, `POST /api/rpc/${name}`, fetch(`${server.url}/api/rpc/${name}`, { method: 'POST', headers: { 'content-type': type }, body }));
        const json = (await res.json()) as { ok: boolean; error?: ErrorShape };
        overHttp.add(String(res.status));
        expect(res.status).not.toBe(500);
        if (json.ok) expect(res.status).toBe(200);
        else checkError(name, body, json.error!);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: runs(1500) },
    );
  });

  it('MLflow, Feast and Kafka routes answer arbitrary bodies with their typed errors, never a 500', { timeout: 300_000 }, async () => {
    const routes: [string, string][] = [
      ['POST', '/api/2.0/mlflow/runs/search'],
      ['POST', '/api/2.0/mlflow/experiments/search'],
      ['POST', '/api/2.0/mlflow/experiments/create'],
      ['POST', '/api/2.0/mlflow/runs/log-batch'],
      ['POST', '/api/2.0/mlflow/registered-models/create'],
      ['POST', '/api/2.0/mlflow/model-versions/search'],
      ['GET', '/api/2.0/mlflow/runs/get'],
      ['GET', '/api/2.0/mlflow/registered-models/get'],
      ['POST', '/ajax-api/2.0/mlflow/runs/search'],
      ['POST', '/mlflow/models/metrics'],
      ['POST', '/get-online-features'],
      ['POST', '/push'],
      ['POST', '/kafka/messages'],
      ['POST', '/kafka/topics'],
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), bodies, fc.dictionary(fc.constantFrom('run_id', 'name', 'filter', 'max_results', 'experiment_id', 'page_token'), fc.string({ maxLength: 10 })), async ([verb, route], { body, type }, query) => {
        const url = `${server.url}${route}?${new URLSearchParams(query)}`;
        const res = await within(15_000, `${verb} ${route}`, fetch(url, verb === 'GET' ? {} : { method: verb, headers: { 'content-type': type }, body }));
        overHttp.add(`${route.split('/').slice(0, 3).join('/')}:${res.status}`);
        const text = await res.text();
        expect(res.status, `${verb} ${route} ${body.slice(0, 100)} → ${text.slice(0, 300)}`).toBeLessThan(500);
        expect(() => JSON.parse(text)).not.toThrow();
      }),
      { numRuns: runs(1200) },
    );
  });
});
