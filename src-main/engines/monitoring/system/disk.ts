/**
 * Bytes on disk of each store of the workspace. SQLite stores count their -wal and -shm files too (a busy
 * WAL can be larger than the database). Folder walks stop after a bound of entries so a huge artifacts
 * folder can never stall the sampler; the answer then says it is a lower bound.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { WorkspacePaths } from '../../../platform/workspace.js';

export interface StoreSize {
  name: string;
  path: string;
  kind: 'sqlite' | 'folder';
  bytes: number;
  files: number;
  exists: boolean;
  /** The walk stopped at the entry bound: bytes and files are at least this much. */
  partial: boolean;
}

const MAX_ENTRIES = 100_000;

function sqliteSize(name: string, file: string): StoreSize {
  let bytes = 0;
  let files = 0;
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      bytes += fs.statSync(f).size;
      files++;
    } catch {
      // Absent side files are normal (no WAL yet, or checkpointed).
    }
  }
  return { name, path: file, kind: 'sqlite', bytes, files, exists: files > 0, partial: false };
}

function folderSize(name: string, dir: string): StoreSize {
  let bytes = 0;
  let files = 0;
  let seen = 0;
  let partial = false;
  if (!fs.existsSync(dir)) return { name, path: dir, kind: 'folder', bytes: 0, files: 0, exists: false, partial: false };
  const stack = [dir];
  while (stack.length) {
    const d = stack.pop()!;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      continue; // removed while walking
    }
    for (const e of entries) {
      if (++seen > MAX_ENTRIES) {
        partial = true;
        break;
      }
      const p = path.join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (e.isFile()) {
        try {
          bytes += fs.statSync(p).size;
          files++;
        } catch {
          // removed while walking
        }
      }
    }
    if (partial) break;
  }
  return { name, path: dir, kind: 'folder', bytes, files, exists: true, partial };
}

/** The stores named by the workspace layout, in a fixed order. */
export function storeSizes(p: WorkspacePaths): StoreSize[] {
  return [
    sqliteSize('app.db', p.appDb),
    sqliteSize('registry.db', p.registryDb),
    sqliteSize('online.db', p.onlineDb),
    sqliteSize('streams.db', p.streamsDb),
    folderSize('offline', p.offlineDir),
    folderSize('artifacts', p.artifactsDir),
    folderSize('logs', p.logsDir),
  ];
}
