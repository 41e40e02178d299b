/**
 * Bad input into the pure parsers: the trip message parser, MLflow's filter and order_by grammar, and
 * config.yaml. Every input either parses or fails with the typed error the caller shows (field, position,
 * key path); nothing throws anything else and nothing loops.
 */
import fc from 'fast-check';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTripMessage, tripToMessage, TripMessageSchema } from '../../src-main/engines/data/message.js';
import { parseFilter, parseOrderByClause, type SearchKind } from '../../src-main/engines/registry/filter.js';
import { DEFAULT_CONFIG_YAML, parseConfig, ValidationSchema } from '../../src-main/platform/config.js';
import { AppError } from '../../src-main/platform/errors.js';
import { runs, Tally } from './tally.js';

const RULES = ValidationSchema.parse({});
const MESSAGE_FIELDS = Object.keys(TripMessageSchema.shape);
const tallies: Tally[] = [];
const tally = (name: string): Tally => {
  const t = new Tally(name);
  tallies.push(t);
  return t;
};
afterAll(() => {
  for (const t of tallies) t.save();
});

// ---------- trip messages ----------

const nearValid = {
  trip_id: fc.oneof(fc.string(), fc.constant('trip_001'), fc.constant('  ')),
  pickup_datetime: fc.oneof(
    fc.constant('2024-01-01T10:00:00Z'),
    fc.constant('01/31/2024 11:59:00 PM'),
    fc.constant('2024-02-30T00:00:00'),
    fc.double(),
    fc.string(),
    fc.integer({ min: -2e11, max: 2e11 }),
  ),
  dropoff_datetime: fc.oneof(fc.constant('2024-01-01T10:30:00Z'), fc.constant(null), fc.string(), fc.double()),
  pickup_latitude: fc.oneof(fc.double(), fc.string(), fc.constant('41.88'), fc.constant(null)),
  pickup_longitude: fc.oneof(fc.double(), fc.constant(-87.63), fc.string()),
  trip_distance: fc.oneof(fc.double(), fc.constant('1e400'), fc.constant('NaN'), fc.constant(' 3.5 ')),
  fare_amount: fc.oneof(fc.double(), fc.constant('$12.50'), fc.constant(-1), fc.constant(12.5)),
  passenger_count: fc.oneof(fc.integer(), fc.double(), fc.string()),
  payment_type: fc.oneof(fc.string(), fc.constant(null), fc.integer()),
};

const GUIDE_MESSAGE = {
  trip_id: 'trip_001',
  pickup_datetime: '2024-01-01T10:00:00Z',
  dropoff_datetime: '2024-01-01T10:30:00Z',
  pickup_latitude: 41.88,
  pickup_longitude: -87.63,
  dropoff_latitude: 41.89,
  dropoff_longitude: -87.62,
  passenger_count: 2,
  trip_distance: 3.5,
  fare_amount: 12.5,
};

const messages = fc.oneof(
  fc.anything(),
  fc.jsonValue(),
  fc.record(nearValid, { requiredKeys: [] }),
  // The guide's valid message with zero to two fields replaced: reaches both accepted and refused trips.
  fc.record(nearValid, { requiredKeys: [] }).chain((alt) =>
    // maxLength may not exceed the keys drawn (fast-check refuses it), and `alt` may have fewer than two.
    fc.subarray(Object.keys(alt), { maxLength: Math.min(2, Object.keys(alt).length) }).map((keys) => ({ ...GUIDE_MESSAGE, ...Object.fromEntries(keys.map((k) => [k, alt[k as keyof typeof alt]])) })),
  ),
  fc.dictionary(fc.constantFrom(...MESSAGE_FIELDS, '__proto__', 'constructor', 'extra'), fc.jsonValue()),
);

describe('trip message parser under random input', () => {
  it('returns a trip or field-named errors, and a parsed trip round-trips', () => {
    const t = tally('trip-message');
    fc.assert(
      fc.property(messages, (value) => {
        const r = parseTripMessage(value, RULES);
        if (r.ok) {
          t.add('trip');
          const again = parseTripMessage(tripToMessage(r.trip), RULES);
          expect(again).toEqual({ ok: true, trip: r.trip });
        } else {
          t.add('errors');
          expect(r.errors.length).toBeGreaterThan(0);
          for (const e of r.errors) {
            expect(typeof e.message).toBe('string');
            expect(e.message.length).toBeGreaterThan(0);
            expect(typeof e.field).toBe('string');
            expect(e.field.length).toBeGreaterThan(0);
          }
        }
      }),
      { numRuns: runs(4000) },
    );
    // The near-valid generator must reach both outcomes, or the property above proves little.
    expect(t.outcomes.trip ?? 0).toBeGreaterThan(0);
    expect(t.outcomes.errors ?? 0).toBeGreaterThan(0);
  });
});

// ---------- MLflow filters ----------

const FRAGMENTS = [
  'metrics.', 'params.', 'tags.', 'attributes.', 'attribute.', 'run.', 'rmse', 'model', 'status', 'start_time', 'name',
  'run_id', 'version_number', '`a b`', '"quoted key"', ' = ', ' != ', ' < ', ' <= ', ' > ', ' >= ', ' <> ', ' == ', ' LIKE ',
  ' ILIKE ', ' IN ', ' NOT IN ', ' IS NULL', ' IS NOT NULL', ' AND ', ' and ', ' OR ', '(', ')', ',', "'mlp'", "'a%'",
  "'it''s'", "'\\''", '"x"', '5', '-1.5e3', '.5', '1e999', "'", '"', '`', ' ', '\n', '.', '!', ';', 'DROP TABLE runs', '%', '_',
];
const filterText = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 14 }).map((a) => a.join('')),
  fc.array(fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string({ maxLength: 4 })), { maxLength: 10 }).map((a) => a.join('')),
);
const KINDS: SearchKind[] = ['runs', 'experiments', 'models', 'versions'];

function expectPositioned(e: unknown, src: string): void {
  expect(e).toBeInstanceOf(AppError);
  const err = e as AppError;
  expect(err.code).toBe('INVALID_PARAMETER_VALUE');
  const details = err.details as Record<string, unknown>;
  // Every grammar error points into the text it was given (the console draws a caret there).
  if ('position' in details) {
    expect(Number.isInteger(details.position)).toBe(true);
    expect(details.position as number).toBeGreaterThanOrEqual(0);
    expect(details.position as number).toBeLessThanOrEqual(src.length);
    expect(err.message).toMatch(/position \d+/);
  } else {
    expect(err.message.length).toBeGreaterThan(0);
  }
}

describe('MLflow filter parser under random input', () => {
  it('parses or fails at a position inside the text', () => {
    const t = tally('mlflow-filter');
    fc.assert(
      fc.property(filterText, fc.constantFrom(...KINDS), (src, kind) => {
        try {
          const out = parseFilter(src, kind);
          t.add('parsed');
          expect(Array.isArray(out)).toBe(true);
          for (const c of out) expect(c.position).toBeLessThanOrEqual(src.length);
        } catch (e) {
          t.add('error');
          expectPositioned(e, src);
          // Without a position the caller cannot point at the problem: every filter error has one.
          expect((e as AppError).details).toHaveProperty('position');
        }
      }),
      { numRuns: runs(6000) },
    );
    expect(t.outcomes.parsed ?? 0).toBeGreaterThan(50);
  });

  it('order_by clauses parse or fail at a position', () => {
    const t = tally('mlflow-order-by');
    fc.assert(
      fc.property(
        fc.oneof(filterText, fc.tuple(fc.constantFrom('metrics.rmse', 'attributes.start_time', 'params.x', 'name', 'tags.`a b`'), fc.constantFrom('', ' ASC', ' desc', ' DESC x', ' up')).map(([a, b]) => a + b)),
        fc.constantFrom(...KINDS),
        (src, kind) => {
          try {
            parseOrderByClause(src, kind);
            t.add('parsed');
          } catch (e) {
            t.add('error');
            expectPositioned(e, src);
          }
        },
      ),
      { numRuns: runs(3000) },
    );
  });
});

// ---------- config.yaml ----------

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const BASE = parseYaml(DEFAULT_CONFIG_YAML) as Record<string, Json>;

function keyPaths(v: Json, prefix: (string | number)[] = []): (string | number)[][] {
  if (v === null || typeof v !== 'object') return [prefix];
  const kids = Array.isArray(v) ? v.map((x, i) => keyPaths(x, [...prefix, i])) : Object.entries(v).map(([k, x]) => keyPaths(x, [...prefix, k]));
  return [prefix, ...kids.flat()];
}
const PATHS = keyPaths(BASE).filter((p) => p.length > 0);

type Mutation = { path: (string | number)[]; kind: 'set' | 'delete' | 'add'; value: Json };
function mutate(base: Record<string, Json>, muts: Mutation[]): Record<string, Json> {
  const doc = structuredClone(base);
  for (const m of muts) {
    let node: Json = doc;
    for (const k of m.path.slice(0, -1)) {
      if (node === null || typeof node !== 'object') break;
      node = (node as Record<string, Json>)[k as string] ?? null;
    }
    if (node === null || typeof node !== 'object') continue;
    const last = m.path.at(-1)!;
    const obj = node as Record<string | number, Json>;
    if (m.kind === 'delete') delete obj[last];
    else if (m.kind === 'add' && !Array.isArray(obj)) obj[`zz_${String(last)}`] = m.value;
    else obj[last] = m.value;
  }
  return doc;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  path: fc.constantFrom(...PATHS),
  kind: fc.constantFrom('set', 'set', 'delete', 'add'),
  value: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
});

const configText = fc.oneof(
  fc.array(mutation, { minLength: 1, maxLength: 3 }).map((ms) => ({ text: stringifyYaml(mutate(BASE, ms)), ms })),
  fc.string({ maxLength: 200 }).map((text) => ({ text, ms: [] as Mutation[] })),
  // Cut the default file at a random point: half-written YAML.
  fc.nat({ max: DEFAULT_CONFIG_YAML.length }).map((n) => ({ text: DEFAULT_CONFIG_YAML.slice(0, n), ms: [] as Mutation[] })),
  fc.tuple(fc.nat({ max: DEFAULT_CONFIG_YAML.length }), fc.constantFrom(':', '\t', '- ', '{', '"', '&a', '!!binary ', '\n  x')).map(([n, junk]) => ({
    text: DEFAULT_CONFIG_YAML.slice(0, n) + junk + DEFAULT_CONFIG_YAML.slice(n),
    ms: [] as Mutation[],
  })),
);

describe('config loading under random YAML', () => {
  it('loads, or fails with INVALID_CONFIG naming the file and the key path or line', () => {
    const t = tally('config-yaml');
    fc.assert(
      fc.property(configText, ({ text }) => {
        try {
          parseConfig(text, '/ws/config.yaml');
          t.add('loaded');
        } catch (e) {
          expect(e).toBeInstanceOf(AppError);
          const err = e as AppError;
          expect(err.code).toBe('INVALID_CONFIG');
          expect(err.message.startsWith('/ws/config.yaml')).toBe(true);
          const d = err.details as { problems?: { key: string; expected: string }[]; line?: number | null };
          if (d.problems) {
            t.add('schema-error');
            expect(d.problems.length).toBeGreaterThan(0);
            for (const p of d.problems) {
              expect(p.key.length).toBeGreaterThan(0);
              expect(p.expected.length).toBeGreaterThan(0);
            }
            // The message leads with the first problem's key path.
            expect(err.message).toContain(`${d.problems[0]!.key}: `);
          } else if ('line' in d) {
            t.add('syntax-error');
            expect(err.message).toMatch(/YAML syntax error/);
          } else {
            t.add('shape-error');
            expect(err.message).toMatch(/mapping of settings/);
          }
        }
      }),
      { numRuns: runs(300) },
    );
    expect(t.outcomes['schema-error'] ?? 0).toBeGreaterThan(0);
    expect(t.outcomes['syntax-error'] ?? 0).toBeGreaterThan(0);
  });

  // Found by this suite: yaml's toJS() throws a bare ReferenceError on an alias with no anchor.
  it('an alias without an anchor is INVALID_CONFIG naming the line', () => {
    const text = DEFAULT_CONFIG_YAML.replace('source: trips', 'source: *trips');
    let err: unknown;
    try {
      parseConfig(text, 'config.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('INVALID_CONFIG');
    const line = DEFAULT_CONFIG_YAML.split('\n').findIndex((l) => l.includes('source: trips')) + 1;
    expect((err as AppError).message).toContain(`config.yaml:${line}:`);
  });

  it('a wrong value at a key path is reported at that path (or inside it)', () => {
    const t = tally('config-key-path');
    const leafPaths = PATHS.filter((p) => {
      let v: Json = BASE;
      for (const k of p) v = (v as Record<string, Json>)[k as string]!;
      return v !== null && typeof v !== 'object';
    });
    fc.assert(
      fc.property(fc.constantFrom(...leafPaths), fc.constantFrom<Json>({ nested: true }, [1, 2], 'not-a-valid-value-§'), (p, value) => {
        const text = stringifyYaml(mutate(BASE, [{ path: p, kind: 'set', value }]));
        try {
          parseConfig(text, 'config.yaml');
          t.add('accepted');
        } catch (e) {
          t.add('rejected');
          const problems = ((e as AppError).details as { problems?: { key: string }[] }).problems ?? [];
          const named = p.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');
          // The problem sits at the changed key, or at its parent when the parent checks the whole value.
          expect(problems.some((q) => named.startsWith(q.key) || q.key.startsWith(named))).toBe(true);
        }
      }),
      { numRuns: runs(250) },
    );
  });
});
