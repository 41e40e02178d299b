/**
 * Samples the process every interval into a bounded series: CPU (share of one core, from
 * process.cpuUsage deltas), memory (RSS, V8 heap), event-loop delay (perf_hooks histogram, reset each
 * sample), the calls of the interval (count, errors, p99, and p99 per method) and, every few samples,
 * disk use per store and the health of the active profile's services. Old samples fall off the front, so
 * memory stays fixed however long the app runs.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Profile } from '../../../platform/config.js';
import type { WorkspacePaths } from '../../../platform/workspace.js';
import { checkHealth, type ServiceHealth } from '../health.js';
import { storeSizes, type StoreSize } from './disk.js';
import type { MethodRecorder } from './recorder.js';
import { summarize } from './percentiles.js';

export interface SystemSample {
  at: string;
  cpu_percent: number;
  cpu_user_percent: number;
  cpu_system_percent: number;
  rss_bytes: number;
  heap_used_bytes: number;
  heap_total_bytes: number;
  external_bytes: number;
  event_loop_p50_ms: number | null;
  event_loop_p99_ms: number | null;
  event_loop_max_ms: number | null;
  calls: number;
  errors: number;
  p99_ms: number | null;
  /** p99 per method of the calls in this interval (methods with calls only). */
  methods: Record<string, { calls: number; p99_ms: number | null }>;
  /** Bytes per store, when this sample measured disk. */
  disk: Record<string, number> | null;
  /** Latency per service (null when down), when this sample checked health. */
  health: Record<string, number | null> | null;
}

export interface SamplerOptions {
  intervalMs?: number;
  /** Samples kept (default one hour at 5 s). */
  capacity?: number;
  /** Measure disk and health every this many samples (the first sample always does). */
  slowEvery?: number;
  health?: boolean;
}

export interface SamplerSources {
  recorder: MethodRecorder;
  /** Read on every sample: a profile switch moves the paths and services. */
  workspace: () => { paths: WorkspacePaths; profile: Profile };
}

const ns = (v: number): number | null => (Number.isFinite(v) && v > 0 ? Math.round(v / 1e4) / 100 : null);

export class SystemSampler {
  readonly intervalMs: number;
  readonly capacity: number;
  readonly startedAt = new Date().toISOString();
  private readonly slowEvery: number;
  private readonly withHealth: boolean;
  private readonly series: SystemSample[] = [];
  private timer: NodeJS.Timeout | null = null;
  private histogram: IntervalHistogram | null = null;
  private lastCpu = process.cpuUsage();
  private lastAt = performance.now();
  private lastWall = Date.now();
  private count = 0;
  private inFlight = false;
  lastDisk: { at: string; stores: StoreSize[] } | null = null;
  lastHealth: { at: string; services: ServiceHealth[] } | null = null;

  constructor(private readonly src: SamplerSources, opts: SamplerOptions = {}) {
    this.intervalMs = Math.max(100, opts.intervalMs ?? 5000);
    this.capacity = Math.max(1, opts.capacity ?? 720);
    this.slowEvery = Math.max(1, opts.slowEvery ?? 6);
    this.withHealth = opts.health ?? true;
  }

  start(): this {
    if (this.timer) return this;
    this.histogram = monitorEventLoopDelay({ resolution: 10 });
    this.histogram.enable();
    this.lastCpu = process.cpuUsage();
    this.lastAt = performance.now();
    // The first sample covers the calls of the interval before the sampler started (the recorder has them).
    this.lastWall = Date.now() - this.intervalMs;
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
    // The sampler never keeps a CLI or a test alive on its own.
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.histogram?.disable();
    this.histogram = null;
  }

  samples(): readonly SystemSample[] {
    return this.series;
  }

  /** Takes one sample now (the timer calls this; tests and the first request may too). */
  async sample(): Promise<SystemSample | null> {
    if (this.inFlight) return null;
    this.inFlight = true;
    try {
      const slow = this.count % this.slowEvery === 0;
      this.count++;
      const now = performance.now();
      const wall = Date.now();
      const elapsedUs = Math.max(1, (now - this.lastAt) * 1000);
      const cpu = process.cpuUsage(this.lastCpu);
      this.lastCpu = process.cpuUsage();
      this.lastAt = now;
      const mem = process.memoryUsage();
      const h = this.histogram;
      const loop = h && h.count > 0 ? { p50: ns(h.percentile(50)), p99: ns(h.percentile(99)), max: ns(h.max) } : { p50: null, p99: null, max: null };
      h?.reset();

      const since = this.lastWall;
      const per = this.src.recorder.statsSince(since, wall);
      this.lastWall = wall;
      const methods: SystemSample['methods'] = {};
      let calls = 0;
      let errors = 0;
      for (const m of per) {
        methods[m.method] = { calls: m.calls, p99_ms: m.p99 };
        calls += m.calls;
        errors += m.errors;
      }
      // The interval's overall p99 needs the calls themselves, not the per-method p99s.
      const overall = calls > 0 ? summarize(this.src.recorder.durationsSince(since)).p99 : null;

      let disk: SystemSample['disk'] = null;
      let health: SystemSample['health'] = null;
      if (slow) {
        const ws = this.src.workspace();
        const at = new Date().toISOString();
        const stores = storeSizes(ws.paths);
        this.lastDisk = { at, stores };
        disk = Object.fromEntries(stores.map((s) => [s.name, s.bytes]));
        if (this.withHealth) {
          const services = await checkHealth(ws.paths, ws.profile);
          this.lastHealth = { at: new Date().toISOString(), services };
          health = Object.fromEntries(services.map((s) => [s.name, s.latency_ms]));
        }
      }

      const round = (v: number): number => Math.round(v * 10) / 10;
      const sample: SystemSample = {
        at: new Date(wall).toISOString(),
        cpu_percent: round(((cpu.user + cpu.system) / elapsedUs) * 100),
        cpu_user_percent: round((cpu.user / elapsedUs) * 100),
        cpu_system_percent: round((cpu.system / elapsedUs) * 100),
        rss_bytes: mem.rss,
        heap_used_bytes: mem.heapUsed,
        heap_total_bytes: mem.heapTotal,
        external_bytes: mem.external,
        event_loop_p50_ms: loop.p50,
        event_loop_p99_ms: loop.p99,
        event_loop_max_ms: loop.max,
        calls,
        errors,
        p99_ms: overall,
        methods,
        disk,
        health,
      };
      this.series.push(sample);
      if (this.series.length > this.capacity) this.series.splice(0, this.series.length - this.capacity);
      return sample;
    } finally {
      this.inFlight = false;
    }
  }
}
