/**
 * System metrics: the recorder's percentiles against NumPy's linear-interpolation values, its rolling
 * window, rates, error share and bounded ring; the sampler's bounded series, disk per store, health, and
 * system.metrics through dispatch (which records every call, failures included).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { quantileSorted, summarize } from '../../src-main/engines/monitoring/system/percentiles.js';
import { MethodRecorder } from '../../src-main/engines/monitoring/system/recorder.js';
import { SystemSampler } from '../../src-main/engines/monitoring/system/sampler.js';
import { storeSizes } from '../../src-main/engines/monitoring/system/disk.js';
import { openServices, type Services } from '../../src-main/platform/services.js';
import { dispatch } from '../../src-main/api/dispatch.js';
import { tempWorkspace } from '../helpers/workspace.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('percentiles', () => {
  it('match numpy.percentile (linear) on known inputs', () => {
    // numpy.percentile([1..10], [50, 95, 99]) = 5.5, 9.55, 9.91
    const ten = Array.from({ length: 10 }, (_, i) => i + 1);
    const s = summarize(ten);
    expect(s.p50).toBeCloseTo(5.5, 12);
    expect(s.p95).toBeCloseTo(9.55, 12);
    expect(s.p99).toBeCloseTo(9.91, 12);
    expect(s.max).toBe(10);
    expect(s.mean).toBeCloseTo(5.5, 12);
    // numpy.percentile([15, 20, 35, 40, 50], [40, 95]) = 29, 48
    expect(quantileSorted([15, 20, 35, 40, 50], 0.4)).toBeCloseTo(29, 12);
    expect(quantileSorted([15, 20, 35, 40, 50], 0.95)).toBeCloseTo(48, 12);
    // 1..1000: p99 = 990.01, p95 = 950.05
    const k = summarize(Array.from({ length: 1000 }, (_, i) => 1000 - i));
    expect(k.p99).toBeCloseTo(990.01, 9);
    expect(k.p95).toBeCloseTo(950.05, 9);
  });

  it('sort numerically, not as text, and handle one or no values', () => {
    expect(summarize([100, 9, 20]).p50).toBe(20);
    expect(summarize([7]).p99).toBe(7);
    const empty = summarize([]);
    expect(empty.p50).toBeNull();
    expect(empty.max).toBeNull();
  });
});

describe('MethodRecorder', () => {
  it('reports each method over the rolling window: calls/s, errors, percentiles', () => {
    let now = 1_000_000;
    const r = new MethodRecorder(1000, () => now);
    for (let i = 1; i <= 100; i++) {
      r.record('a.fast', i, i % 10 !== 0); // 10 failures
      now += 100; // 100 calls over 10 s
    }
    r.record('b.slow', 500, true);
    const [a, b] = r.stats(60_000);
    expect(a!.method).toBe('a.fast');
    expect(a!.calls).toBe(100);
    expect(a!.errors).toBe(10);
    expect(a!.error_rate).toBeCloseTo(0.1, 12);
    expect(a!.calls_per_s).toBeCloseTo(100 / 60, 9);
    expect(a!.p50).toBeCloseTo(50.5, 9);
    expect(a!.p99).toBeCloseTo(99.01, 9);
    expect(b!.calls).toBe(1);
    expect(b!.p99).toBe(500);

    // Only the last 5 s: the calls made at now-5000..now (latencies 51..100)
    const last5 = r.stats(5_000).find((m) => m.method === 'a.fast')!;
    expect(last5.calls).toBe(50);
    expect(last5.p50).toBeCloseTo(75.5, 9);
    expect(last5.total_calls).toBe(100);
    expect(last5.total_errors).toBe(10);

    // Later, outside the window: nothing in the window, still listed with `all`
    now += 120_000;
    expect(r.stats(60_000)).toHaveLength(0);
    const all = r.stats(60_000, { all: true });
    expect(all.map((m) => m.calls)).toEqual([0, 0]);
    expect(all[0]!.p99).toBeNull();
  });

  it('keeps at most its capacity per method and says when the window lost calls', () => {
    let now = 0;
    const r = new MethodRecorder(64, () => now);
    for (let i = 0; i < 1000; i++) {
      r.record('m', i, true);
      now += 10;
    }
    const [m] = r.stats(60_000);
    expect(m!.calls).toBe(64);
    expect(m!.truncated).toBe(true);
    expect(m!.total_calls).toBe(1000);
    // The ring holds the newest 64 calls (936..999): percentiles over those.
    expect(m!.max).toBe(999);
    expect(m!.p50).toBeCloseTo(967.5, 9);
    // The rate is over the span the ring covers (oldest kept call at 9,360 ms, now 10,000 ms): the true
    // 100 calls/s, not 64 calls spread over the whole minute.
    expect(m!.calls_per_s).toBeCloseTo(100, 6);
  });

  it('durations and stats since a time cover all methods of that interval only', () => {
    let now = 0;
    const r = new MethodRecorder(100, () => now);
    r.record('x', 1, true);
    now = 1000;
    r.record('x', 2, true);
    r.record('y', 3, false);
    expect(r.durationsSince(500).sort()).toEqual([2, 3]);
    const since = r.statsSince(500, 1000);
    expect(since.map((m) => [m.method, m.calls, m.errors])).toEqual([
      ['x', 1, 0],
      ['y', 1, 1],
    ]);
  });
});

describe('SystemSampler', () => {
  it('keeps a bounded series and measures CPU, memory, event loop, calls, disk and health', async () => {
    const { workspace, cleanup } = tempWorkspace();
    cleanups.push(cleanup);
    fs.writeFileSync(path.join(workspace.paths.artifactsDir, 'blob.bin'), Buffer.alloc(12_345));
    fs.mkdirSync(path.join(workspace.paths.logsDir, 'old'), { recursive: true });
    fs.writeFileSync(path.join(workspace.paths.logsDir, 'old', 'a.log'), 'x'.repeat(1000));
    const recorder = new MethodRecorder();
    const sampler = new SystemSampler({ recorder, workspace: () => workspace }, { intervalMs: 100_000, capacity: 5, slowEvery: 3 }).start();
    cleanups.push(() => sampler.stop());

    // Busy the CPU a little so the share is measurable.
    const t0 = performance.now();
    while (performance.now() - t0 < 30);
    recorder.record('some.method', 12, true);
    recorder.record('some.method', 40, false);
    const first = (await sampler.sample())!;
    expect(first.cpu_percent).toBeGreaterThan(0);
    expect(first.rss_bytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(first.heap_used_bytes).toBeGreaterThan(0);
    expect(first.calls).toBe(2);
    expect(first.errors).toBe(1);
    expect(first.p99_ms).toBeCloseTo(12 + 28 * 0.99, 9);
    expect(first.methods['some.method']).toEqual({ calls: 2, p99_ms: first.p99_ms });
    expect(first.disk).not.toBeNull();
    expect(first.disk!.artifacts).toBe(12_345);
    expect(first.disk!.logs).toBeGreaterThanOrEqual(1000);
    expect(first.health).not.toBeNull();
    expect(sampler.lastHealth!.services.map((s) => s.name)).toContain('app state');

    for (let i = 0; i < 9; i++) await sampler.sample();
    const series = sampler.samples();
    expect(series).toHaveLength(5);
    // Oldest dropped first: times ascending and the last one is the newest taken.
    const times = series.map((x) => Date.parse(x.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    // Calls of an interval are not counted again in the next one.
    expect(series.at(-1)!.calls).toBe(0);
    // Disk and health only every third sample (samples 0, 3, 6, 9 of ten): the last kept one is #9.
    expect(series.map((x) => x.disk !== null)).toEqual([false, true, false, false, true]);
  });

  it('measures SQLite stores with their WAL and says when a store does not exist', () => {
    const { workspace, cleanup } = tempWorkspace();
    cleanups.push(cleanup);
    fs.writeFileSync(workspace.paths.registryDb, Buffer.alloc(4096));
    fs.writeFileSync(`${workspace.paths.registryDb}-wal`, Buffer.alloc(1000));
    const sizes = Object.fromEntries(storeSizes(workspace.paths).map((s) => [s.name, s]));
    expect(Object.keys(sizes)).toEqual(['app.db', 'registry.db', 'online.db', 'streams.db', 'offline', 'artifacts', 'logs']);
    expect(sizes['registry.db']!.bytes).toBe(5096);
    expect(sizes['registry.db']!.files).toBe(2);
    expect(sizes['online.db']!.exists).toBe(false);
    expect(sizes['online.db']!.bytes).toBe(0);
  });
});

describe('system.metrics through dispatch', () => {
  let s: Services;
  it('records every call with its outcome and returns the series', async () => {
    const { dir, cleanup } = tempWorkspace();
    s = await openServices({ workspace: dir, mode: 'server' });
    cleanups.push(cleanup);
    cleanups.push(() => s.close());
    for (let i = 0; i < 5; i++) expect((await dispatch(s, 'system.info', {})).ok).toBe(true);
    // A handler failure counts as an error of that method.
    const bad = await dispatch(s, 'monitoring.report', { id: 'no-such-report' });
    expect(bad.ok).toBe(false);
    const res = await dispatch(s, 'system.metrics', { window_s: 60 });
    if (!res.ok) throw new Error(res.error.message);
    const m = res.result as { methods: { method: string; calls: number; errors: number; p99: number | null }[]; samples: unknown[]; disk: { stores: unknown[] } | null; health: { services: unknown[] } | null };
    const info = m.methods.find((x) => x.method === 'system.info')!;
    expect(info.calls).toBe(5);
    expect(info.errors).toBe(0);
    expect(info.p99).not.toBeNull();
    const report = m.methods.find((x) => x.method === 'monitoring.report')!;
    expect(report.errors).toBe(1);
    expect(m.samples.length).toBeGreaterThanOrEqual(1);
    expect(m.disk!.stores).toHaveLength(7);
    expect(m.health!.services.length).toBeGreaterThanOrEqual(5);
    // Bad input is refused by the schema.
    const invalid = await dispatch(s, 'system.metrics', { window_s: 1 });
    expect(invalid.ok).toBe(false);
  });
});
