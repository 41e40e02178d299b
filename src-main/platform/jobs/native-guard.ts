/**
 * Makes stopping a job worker safe while DuckDB is busy. Terminating a worker thread while one of
 * DuckDB's native calls is in flight lets the call complete into a torn-down environment, where the
 * binding throws a C++ Napi::Error that aborts the whole process. So every call into DuckDB's native
 * binding is counted in memory shared with the job manager, and once the manager asks to stop, no new
 * call may start: the manager terminates the worker only when the count is zero.
 *
 * The two sides use sequentially consistent Atomics: the manager sets STOPPING then reads IN_FLIGHT; a
 * call adds to IN_FLIGHT then reads STOPPING. Either the manager sees the call, or the call sees the flag.
 */
import { createRequire } from 'node:module';
import path from 'node:path';

const IN_FLIGHT = 0;
const STOPPING = 1;
/**
 * Databases and connections opened and not yet closed. Tearing a worker down with one still open lets
 * its finalizer close it during the environment's teardown, which aborts the process the same way.
 */
const OPEN = 2;

export type NativeState = Int32Array;

export const newNativeState = (): NativeState => new Int32Array(new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT));

/** Binding calls that open (+1) or close (−1) a database or connection. */
const OPENS = new Set(['open', 'connect']);
const CLOSES = new Set(['close_sync', 'disconnect_sync']);

/** Manager side: from now on no native call may start in the worker. */
export function requestStop(state: NativeState): void {
  Atomics.store(state, STOPPING, 1);
}

/** Manager side: true when no native call is running and nothing is left open, so terminating is safe. */
export function nativeQuiet(state: NativeState): boolean {
  return Atomics.load(state, IN_FLIGHT) === 0 && Atomics.load(state, OPEN) <= 0;
}

/** Manager side: true when no native call is running (handles may still be open). */
export const nativeIdle = (state: NativeState): boolean => Atomics.load(state, IN_FLIGHT) === 0;

export const nativeOpenHandles = (state: NativeState): number => Atomics.load(state, OPEN);

export const nativeInFlight = (state: NativeState): number => Atomics.load(state, IN_FLIGHT);

// Calls that may still run while stopping: those that only release resources, so temp folders are
// removed and connections closed on the way out, and synchronous reads that start no work. Refusing a
// progress read would throw out of runMonitored's timer, and a worker killed by that throw while its
// query runs takes the process down when the query completes.
const ALWAYS_ALLOWED = /close|disconnect|destroy|interrupt|^query_progress$/;

function stoppedError(name: string): Error {
  return Object.assign(new Error(`the job is being stopped; DuckDB call ${name} was not started`), { code: 'CANCELLED' });
}

/**
 * Closes asked for while async calls of this worker are still running (a refused call made the task
 * unwind past a query it had not awaited): closing a connection under a running query aborts the
 * process when the query completes, so such closes wait until the last call has returned.
 */
const deferredCloses: (() => void)[] = [];
let localInFlight = 0;

function runDeferredCloses(): void {
  while (localInFlight === 0 && deferredCloses.length > 0) deferredCloses.shift()!();
}

function guard(state: NativeState, name: string, fn: (...a: unknown[]) => unknown): (...a: unknown[]) => unknown {
  const allowed = ALWAYS_ALLOWED.test(name);
  const opens = OPENS.has(name);
  const closes = CLOSES.has(name);
  const leave = (): void => {
    Atomics.sub(state, IN_FLIGHT, 1);
    localInFlight--;
    if (localInFlight === 0 && deferredCloses.length > 0) runDeferredCloses();
  };
  return function guarded(this: unknown, ...args: unknown[]): unknown {
    if (closes && localInFlight > 0) {
      const close = fn.bind(this, ...args);
      deferredCloses.push(() => {
        try {
          close();
        } finally {
          Atomics.sub(state, OPEN, 1);
        }
      });
      return undefined;
    }
    Atomics.add(state, IN_FLIGHT, 1);
    localInFlight++;
    if (!allowed && Atomics.load(state, STOPPING) === 1) {
      leave();
      throw stoppedError(name);
    }
    let r: unknown;
    try {
      r = fn.apply(this, args);
      if (closes) Atomics.sub(state, OPEN, 1);
    } catch (e) {
      leave();
      throw e;
    }
    if (r !== null && typeof r === 'object' && typeof (r as Promise<unknown>).then === 'function') {
      // Counted until the native work has completed and resolved its promise.
      return (r as Promise<unknown>).then(
        (v) => {
          if (opens) Atomics.add(state, OPEN, 1);
          leave();
          return v;
        },
        (e: unknown) => {
          leave();
          throw e;
        },
      );
    }
    leave();
    return r;
  };
}

/**
 * Worker side, before any engine loads DuckDB: replaces the native binding's exports in the module
 * cache with counting wrappers, so @duckdb/node-api (which requires it on load) only ever sees those.
 * Returns why it could not, or null.
 */
export function installNativeGuard(state: NativeState): string | null {
  try {
    const req = createRequire(import.meta.url);
    const apiMain = req.resolve('@duckdb/node-api');
    if (req.cache[apiMain]) return '@duckdb/node-api was loaded before the guard';
    // Resolved from node-api's own folder so the cache key is the one its require() will use.
    const apiReq = createRequire(path.join(path.dirname(apiMain), 'index.js'));
    const bindingsPath = apiReq.resolve('@duckdb/node-bindings');
    const native = apiReq('@duckdb/node-bindings') as Record<string, unknown>;
    const wrapped: Record<string, unknown> = {};
    for (const name of Object.getOwnPropertyNames(native)) {
      const v = native[name];
      wrapped[name] = typeof v === 'function' && !/^[A-Z]/.test(name) ? guard(state, name, v as (...a: unknown[]) => unknown) : v;
    }
    const entry = req.cache[bindingsPath];
    if (!entry) return `@duckdb/node-bindings is not in the module cache at ${bindingsPath}`;
    entry.exports = wrapped;
    return null;
  } catch (e) {
    return `cannot guard DuckDB's binding: ${(e as Error).message}`;
  }
}
