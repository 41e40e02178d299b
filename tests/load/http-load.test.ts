/**
 * A short load on `taxi-mlops serve` (child process, loopback): Feast's online read, an MLflow run
 * search and /predict under concurrent connections. No request may fail, time out or answer non-2xx, and
 * the server's memory must stay bounded across repeated rounds (no per-request leak).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempWorkspace } from '../helpers/workspace.js';
import { loadTargets, materializeVia, prepareLoadWorkspace, runLoad, startServeChild, type LoadResult, type LoadWorkspace, type ServeChild } from './harness.js';

let t: ReturnType<typeof tempWorkspace>;
let w: LoadWorkspace;
let srv: ServeChild;

beforeAll(async () => {
  t = tempWorkspace('taxi-load-');
  w = await prepareLoadWorkspace(t.workspace, 200);
  srv = await startServeChild(w.root);
  await materializeVia(srv.url);
}, 240_000);

afterAll(async () => {
  await srv?.stop();
  t?.cleanup();
});

describe('serve under concurrent load', () => {
  it('answers every request of three rounds on three routes, with memory bounded', { timeout: 240_000 }, async () => {
    const targets = loadTargets(w);
    const rounds: { results: LoadResult[]; rss: number }[] = [];
    for (let round = 0; round < 3; round++) {
      const results: LoadResult[] = [];
      for (const target of targets) results.push(await runLoad(srv.url, target, { connections: 8, durationS: 3 }));
      rounds.push({ results, rss: srv.rssMiB() });
    }
    console.log(JSON.stringify(rounds.map((r) => ({ rss_mib: Math.round(r.rss), routes: r.results.map((x) => ({ name: x.name, n: x.requests, rps: x.requests_per_s, p99: x.p99_ms })) }))));
    for (const { results } of rounds) {
      for (const x of results) {
        expect(x.requests, x.name).toBeGreaterThan(10);
        expect({ name: x.name, errors: x.errors, timeouts: x.timeouts, non2xx: x.non2xx }).toEqual({ name: x.name, errors: 0, timeouts: 0, non2xx: 0 });
      }
    }
    // The first round warms caches and loads the model; later rounds must not keep growing.
    expect(rounds[2]!.rss - rounds[0]!.rss).toBeLessThan(100);
    expect(rounds[2]!.rss).toBeLessThan(1024);
  });
});
