/**
 * Every SQLite database the app owns is opened here: WAL journal (no data lost on a crash), a busy
 * timeout for the worker threads that share the file, and ordered migrations keyed by PRAGMA user_version
 * so that a workspace made by an older version of the app upgrades on open.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { AppError } from '../errors.js';

export type Db = Database.Database;

export interface Migration {
  /** 1-based, strictly increasing; becomes PRAGMA user_version once applied. */
  version: number;
  description: string;
  up: (db: Db) => void;
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Applies pending migrations, each in its own transaction, and returns the versions applied. */
export function migrate(db: Db, name: string, migrations: readonly Migration[]): number[] {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new AppError('INTERNAL', `${name}: migration #${i} has version ${m.version}, expected ${i + 1}`);
  });
  const current = schemaVersion(db);
  if (current > migrations.length) {
    throw new AppError(
      'CONFLICT',
      `${name} has schema version ${current}, newer than this app knows (${migrations.length}); upgrade the app to open this workspace`,
      { database: name, version: current, known: migrations.length },
    );
  }
  const applied: number[] = [];
  for (const m of migrations.slice(current)) {
    db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    })();
    applied.push(m.version);
  }
  return applied;
}

export function openDatabase(file: string, name: string, migrations: readonly Migration[], opts: { readonly?: boolean } = {}): Db {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let db: Db;
  try {
    db = new Database(file, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
  } catch (e) {
    throw new AppError('UNAVAILABLE', `cannot open ${name} at ${file}: ${(e as Error).message}`, { file });
  }
  db.pragma('busy_timeout = 5000');
  if (!opts.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db, name, migrations);
  }
  return db;
}
