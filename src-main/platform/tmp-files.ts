/**
 * The workspace scratch folder (tmp/): staging of atomic writes, DuckDB spill files, partial downloads.
 *
 * Every scratch entry is named `<what>-<pid>-<random>[ext]` so that the owner can be told from the name.
 * A process killed with -9 never runs its cleanup; the next process to open the workspace sweeps what
 * the dead left behind (`sweepScratch`). Staged data is never visible as workspace data either way
 * (it is only renamed into place once complete), so the sweep frees disk, it does not repair anything.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from './logging.js';
import { pidAlive } from './pid.js';
import type { Workspace } from './workspace.js';

/** A fresh scratch path in the workspace tmp folder (not created), owned by this process. */
export function scratchPath(ws: Pick<Workspace, 'paths'>, what: string, ext = ''): string {
  fs.mkdirSync(ws.paths.tmpDir, { recursive: true });
  return path.join(ws.paths.tmpDir, `${what}-${process.pid}-${crypto.randomBytes(6).toString('hex')}${ext}`);
}

/** Entries that are caches or clean up after themselves with more than a delete (their own code sweeps them). */
const KEPT = [/^model-reference$/, /^selftest-/];

/** Entries without an owner pid (older names, other tools) are removed once this old. */
export const UNOWNED_MAX_AGE_MS = 24 * 3_600_000;
/** Even a live pid's entry goes after this long: the pid has been reused by an unrelated process. */
export const OWNED_MAX_AGE_MS = 7 * 24 * 3_600_000;

/** The pid in a scratch name (`…-<pid>-<hex>…`, or `<pid>-<hex>-…`), or null. */
export function ownerPidOf(name: string): number | null {
  const m = /(?:^|-)(\d{1,10})-[0-9a-f]{8,}(?=[-.]|$)/.exec(name);
  return m ? Number(m[1]) : null;
}

export interface SweepResult {
  removed: string[];
  bytes: number;
}

async function sizeOf(p: string): Promise<number> {
  const st = await fs.promises.lstat(p).catch(() => null);
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  let n = 0;
  for (const e of await fs.promises.readdir(p)) n += await sizeOf(path.join(p, e));
  return n;
}

function stale(name: string, mtimeMs: number, now: number): boolean {
  const pid = ownerPidOf(name);
  const age = now - mtimeMs;
  if (pid === null) return age > UNOWNED_MAX_AGE_MS;
  return !pidAlive(pid) || age > OWNED_MAX_AGE_MS;
}

/**
 * Removes scratch entries whose owner process is gone (or that are too old to belong to anything
 * running). Never throws: a sweep that cannot remove something leaves it for the next one. Async file
 * operations: a killed import can leave gigabytes of DuckDB spill files, and services open on the
 * Electron main thread.
 */
export async function sweepScratch(ws: Pick<Workspace, 'paths'>, log?: Logger, now = Date.now()): Promise<SweepResult> {
  const result: SweepResult = { removed: [], bytes: 0 };
  let entries: fs.Dirent[];
  try {
    entries = await fs.promises.readdir(ws.paths.tmpDir, { withFileTypes: true });
  } catch {
    return result;
  }
  for (const e of entries) {
    if (KEPT.some((re) => re.test(e.name))) continue;
    const p = path.join(ws.paths.tmpDir, e.name);
    try {
      const st = await fs.promises.lstat(p);
      if (!stale(e.name, st.mtimeMs, now)) continue;
      const bytes = await sizeOf(p);
      await fs.promises.rm(p, { recursive: true, force: true });
      result.removed.push(e.name);
      result.bytes += bytes;
    } catch (err) {
      log?.warn({ entry: p, err: (err as Error).message }, 'scratch entry not swept');
    }
  }
  if (result.removed.length > 0) log?.info({ entries: result.removed.length, bytes: result.bytes }, 'swept scratch left by processes that are gone');
  return result;
}
