/**
 * Test-only failpoints: fault tests kill a process at an exact point instead of racing its progress
 * output. `TAXI_FAILPOINT=<name>` (or `<name>@<n>` for the n-th time the point is reached) makes
 * `failpoint(name)` print `failpoint <name> reached` to stderr and then freeze the calling thread, so a
 * SIGKILL lands with the work done up to that point and nothing after it. Unset, a call costs one
 * comparison.
 */
import fs from 'node:fs';

const spec = process.env.TAXI_FAILPOINT ?? '';
const [armedName = '', nth = '1'] = spec.split('@');
const armedAt = Math.max(1, Number(nth) || 1);
let hits = 0;

/** How long a reached failpoint holds the thread: long enough for any test, finite so a stray setting does not hang forever. */
const HOLD_MS = Number(process.env.TAXI_FAILPOINT_HOLD_MS) || 10 * 60 * 1000;

export function failpoint(name: string): void {
  if (name !== armedName || spec === '') return;
  hits++;
  if (hits !== armedAt) return;
  // fd 2 directly: synchronous, and from a worker thread it reaches the process's stderr at once
  // (worker `process.stderr` goes through the parent thread asynchronously and could be lost in the freeze).
  fs.writeSync(2, `failpoint ${name} reached\n`);
  // A synchronous freeze: no more work, timers or I/O callbacks on this thread until the hold ends.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, HOLD_MS);
}
