/**
 * The workspace scratch folder: entries are named for their owner process, and opening the workspace
 * sweeps what dead processes left (a kill -9 never runs its cleanup).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openServices } from '../../src-main/platform/services.js';
import { ownerPidOf, scratchPath, sweepScratch, UNOWNED_MAX_AGE_MS } from '../../src-main/platform/tmp-files.js';
import { tempWorkspace } from '../helpers/workspace.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

/** A pid that belonged to a process which has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

function touch(p: string, opts: { dir?: boolean; ageMs?: number } = {}): void {
  if (opts.dir) {
    fs.mkdirSync(p, { recursive: true });
    fs.writeFileSync(path.join(p, 'part-0.parquet'), Buffer.alloc(4096));
  } else fs.writeFileSync(p, 'x'.repeat(100));
  if (opts.ageMs) {
    const t = new Date(Date.now() - opts.ageMs);
    fs.utimesSync(p, t, t);
  }
}

describe('scratch names', () => {
  it('carry the pid of the process that made them', () => {
    const { workspace, cleanup } = tempWorkspace();
    cleanups.push(cleanup);
    const p = scratchPath(workspace, 'append', '.parquet');
    expect(path.dirname(p)).toBe(workspace.paths.tmpDir);
    expect(ownerPidOf(path.basename(p))).toBe(process.pid);
    expect(ownerPidOf(`${4242}-0123abcd-2024-01-01T00-00-00-000Z-trips.csv.rejects.csv`)).toBe(4242);
    expect(ownerPidOf('import-77-89abcdef.csv')).toBe(77);
    expect(ownerPidOf('demo-drifted-window.parquet')).toBeNull();
  });
});

describe('sweepScratch', () => {
  it('removes what dead processes left and keeps what live ones and caches hold', async () => {
    const { workspace, cleanup } = tempWorkspace();
    cleanups.push(cleanup);
    const tmp = workspace.paths.tmpDir;
    const dead = deadPid();
    const mine = scratchPath(workspace, 'features-transform');
    const names = {
      deadDir: `append-${dead}-0123456789ab`,
      deadFile: `${dead}-89abcdef-trips.csv.rejects.csv`,
      deadDuck: `duckdb-${dead}-a1b2c3d4`,
      oldUnowned: 'leftover.parquet',
      newUnowned: 'demo-drifted-window.parquet',
      cache: 'model-reference',
      selftest: 'selftest-abc',
    };
    touch(path.join(tmp, names.deadDir), { dir: true });
    touch(path.join(tmp, names.deadFile));
    touch(path.join(tmp, names.deadDuck), { dir: true });
    touch(path.join(tmp, names.oldUnowned), { ageMs: UNOWNED_MAX_AGE_MS + 60_000 });
    touch(path.join(tmp, names.newUnowned));
    touch(path.join(tmp, names.cache), { dir: true, ageMs: 30 * UNOWNED_MAX_AGE_MS });
    touch(path.join(tmp, names.selftest), { dir: true, ageMs: 30 * UNOWNED_MAX_AGE_MS });
    touch(mine, { dir: true });

    const r = await sweepScratch(workspace);
    expect(r.removed.sort()).toEqual([names.deadDir, names.deadDuck, names.deadFile, names.oldUnowned].sort());
    expect(r.bytes).toBe(4096 * 2 + 100 * 2);
    expect(fs.readdirSync(tmp).sort()).toEqual([names.cache, names.newUnowned, names.selftest, path.basename(mine)].sort());
    // A second sweep has nothing left to do.
    expect((await sweepScratch(workspace)).removed).toEqual([]);
  });

  it('runs when services open on the workspace', async () => {
    const { workspace, dir, cleanup } = tempWorkspace();
    cleanups.push(cleanup);
    const left = path.join(workspace.paths.tmpDir, `append-${deadPid()}-0123456789ab`);
    touch(left, { dir: true });
    const services = await openServices({ workspace: dir, mode: 'cli' });
    try {
      expect(fs.existsSync(left)).toBe(false);
    } finally {
      await services.close();
    }
  });
});
