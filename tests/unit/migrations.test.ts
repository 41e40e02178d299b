import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { APP_MIGRATIONS } from '../../src-main/platform/db/app-schema.js';
import { migrate, openDatabase, schemaVersion, type Migration } from '../../src-main/platform/db/sqlite.js';
import { AppError } from '../../src-main/platform/errors.js';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'taxi-mig-'));

describe('SQLite schema migrations', () => {
  it('a new database gets every migration and WAL', () => {
    const dir = tmp();
    const db = openDatabase(path.join(dir, 'app.db'), 'app.db', APP_MIGRATIONS);
    expect(schemaVersion(db)).toBe(APP_MIGRATIONS.length);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type='table'`).all() as { name: string }[]).map((t) => t.name);
    expect(tables).toEqual(expect.arrayContaining(['jobs', 'job_logs', 'imports']));
    db.close();
    fs.rmSync(dir, { recursive: true });
  });

  it('opens a workspace made by an older schema, upgrades it and keeps its rows', () => {
    const dir = tmp();
    const file = path.join(dir, 'app.db');
    // What version 1 of the app left behind: only the first migration, with a job in it.
    const old = new Database(file);
    APP_MIGRATIONS[0]!.up(old);
    old.pragma('user_version = 1');
    old.prepare(`INSERT INTO jobs (id, kind, title, status, input, progress, created_at) VALUES ('j1','data.import','Import x','succeeded','{}','{}','2026-01-01T00:00:00Z')`).run();
    old.close();

    const db = openDatabase(file, 'app.db', APP_MIGRATIONS);
    expect(schemaVersion(db)).toBe(APP_MIGRATIONS.length);
    expect(db.prepare('SELECT title FROM jobs WHERE id = ?').get('j1')).toEqual({ title: 'Import x' });
    db.prepare(`INSERT INTO job_logs (job_id, at, level, message) VALUES ('j1', 'now', 'info', 'hello')`).run();
    expect(db.prepare('SELECT count(*) AS n FROM job_logs').get()).toEqual({ n: 1 });
    db.close();
    fs.rmSync(dir, { recursive: true });
  });

  it('refuses a database from a newer app instead of damaging it', () => {
    const dir = tmp();
    const file = path.join(dir, 'app.db');
    const future = new Database(file);
    future.pragma(`user_version = ${APP_MIGRATIONS.length + 5}`);
    future.close();
    expect(() => openDatabase(file, 'app.db', APP_MIGRATIONS)).toThrow(/newer than this app knows/);
    fs.rmSync(dir, { recursive: true });
  });

  it('a failing migration rolls back and leaves the version where it was', () => {
    const db = new Database(':memory:');
    const migrations: Migration[] = [
      { version: 1, description: 'ok', up: (d) => d.exec('CREATE TABLE a (x)') },
      { version: 2, description: 'broken', up: (d) => (d.exec('CREATE TABLE b (x)'), d.exec('THIS IS NOT SQL')) },
    ];
    expect(() => migrate(db, 'test.db', migrations)).toThrow();
    expect(schemaVersion(db)).toBe(1);
    expect(db.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE name = 'b'`).get()).toEqual({ n: 0 });
  });

  it('rejects migrations that are out of order', () => {
    const db = new Database(':memory:');
    expect(() => migrate(db, 'x.db', [{ version: 2, description: 'skip', up: () => undefined }])).toThrow(AppError);
  });
});
