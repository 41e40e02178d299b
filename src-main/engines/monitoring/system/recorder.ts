/**
 * Per contract method latency and outcome, recorded by dispatch on every call. Recording is O(1): each
 * method keeps a fixed ring of its latest calls (time, duration, ok). Percentiles are computed only when
 * someone asks, over the calls inside the asked window — at most the ring's capacity of most recent calls,
 * which bounds memory whatever the load.
 */
import { summarize, type LatencySummary } from './percentiles.js';

export const DEFAULT_CAPACITY = 4096;

class MethodRing {
  readonly at: Float64Array;
  readonly ms: Float64Array;
  readonly ok: Uint8Array;
  /** Index the next call is written to. */
  next = 0;
  size = 0;
  totalCalls = 0;
  totalErrors = 0;

  constructor(readonly capacity: number) {
    this.at = new Float64Array(capacity);
    this.ms = new Float64Array(capacity);
    this.ok = new Uint8Array(capacity);
  }

  push(at: number, ms: number, ok: boolean): void {
    const i = this.next;
    this.at[i] = at;
    this.ms[i] = ms;
    this.ok[i] = ok ? 1 : 0;
    this.next = (i + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
    this.totalCalls++;
    if (!ok) this.totalErrors++;
  }

  /** Calls with at >= since (the ring is in time order, so walk back from the newest and stop early). */
  since(since: number): { ms: Float64Array; errors: number; oldest: number | null } {
    const out = new Float64Array(this.size);
    let n = 0;
    let errors = 0;
    let oldest: number | null = null;
    for (let k = 0; k < this.size; k++) {
      const i = (this.next - 1 - k + this.capacity) % this.capacity;
      const t = this.at[i]!;
      if (t < since) break;
      out[n++] = this.ms[i]!;
      if (this.ok[i] === 0) errors++;
      oldest = t;
    }
    return { ms: out.subarray(0, n), errors, oldest };
  }
}

export interface MethodStats extends LatencySummary {
  method: string;
  /** Calls inside the window (at most the ring's capacity). */
  calls: number;
  errors: number;
  calls_per_s: number;
  error_rate: number | null;
  total_calls: number;
  total_errors: number;
  /** True when the ring held fewer calls than the window saw: percentiles cover the most recent ones. */
  truncated: boolean;
}

export class MethodRecorder {
  private readonly rings = new Map<string, MethodRing>();

  constructor(private readonly capacity = DEFAULT_CAPACITY, private readonly now: () => number = Date.now) {}

  record(method: string, ms: number, ok: boolean): void {
    let ring = this.rings.get(method);
    if (!ring) {
      ring = new MethodRing(this.capacity);
      this.rings.set(method, ring);
    }
    ring.push(this.now(), ms, ok);
  }

  methods(): string[] {
    return [...this.rings.keys()];
  }

  /** Stats of every method over the last `windowMs`; methods without calls in the window are left out unless `all`. */
  stats(windowMs: number, opts: { all?: boolean; now?: number } = {}): MethodStats[] {
    const now = opts.now ?? this.now();
    const from = now - windowMs;
    const out: MethodStats[] = [];
    for (const [method, ring] of this.rings) {
      const s = this.statsOf(method, ring, from, now, windowMs);
      if (s.calls > 0 || opts.all) out.push(s);
    }
    return out.sort((a, b) => b.calls - a.calls || a.method.localeCompare(b.method));
  }

  /** Durations of every call made since `from`, all methods together. */
  durationsSince(from: number): number[] {
    const out: number[] = [];
    for (const ring of this.rings.values()) for (const ms of ring.since(from).ms) out.push(ms);
    return out;
  }

  /** Stats of the calls made since `from` (for the sampler's per-interval p99 series). */
  statsSince(from: number, now = this.now()): MethodStats[] {
    const out: MethodStats[] = [];
    for (const [method, ring] of this.rings) {
      const s = this.statsOf(method, ring, from, now, now - from);
      if (s.calls > 0) out.push(s);
    }
    return out;
  }

  private statsOf(method: string, ring: MethodRing, from: number, now: number, windowMs: number): MethodStats {
    const { ms, errors, oldest } = ring.since(from);
    const calls = ms.length;
    // A full ring whose oldest call is inside the window lost older calls: rate over what it holds.
    const truncated = calls === ring.capacity && oldest !== null && oldest > from;
    const spanMs = truncated && oldest !== null ? Math.max(1, now - oldest) : Math.max(1, windowMs);
    return {
      method,
      calls,
      errors,
      calls_per_s: (calls / spanMs) * 1000,
      error_rate: calls ? errors / calls : null,
      total_calls: ring.totalCalls,
      total_errors: ring.totalErrors,
      truncated,
      ...summarize(ms),
    };
  }
}

// One recorder per Services instance (desktop, serve and each test's services keep their own numbers).
const recorders = new WeakMap<object, MethodRecorder>();

export function recorderFor(owner: object): MethodRecorder {
  let r = recorders.get(owner);
  if (!r) {
    r = new MethodRecorder();
    recorders.set(owner, r);
  }
  return r;
}

/** The dispatch hook: one map lookup and a ring write. */
export function recordCall(owner: object, method: string, ms: number, ok: boolean): void {
  recorderFor(owner).record(method, ms, ok);
}
