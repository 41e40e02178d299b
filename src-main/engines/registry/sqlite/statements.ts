/**
 * Prepared statements cached per database by their SQL text: preparing costs more than running most of
 * these statements, and search SQL repeats its shape while only its parameters change.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from '../../../platform/db/sqlite.js';

const MAX_CACHED = 500;
const caches = new WeakMap<Db, Map<string, Statement>>();

export function stmt(db: Db, sql: string): Statement {
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = new Map()));
  let s = cache.get(sql);
  if (!s) {
    // Many distinct shapes (IN lists of every length) would grow without end; start over instead.
    if (cache.size >= MAX_CACHED) cache.clear();
    s = db.prepare(sql);
    cache.set(sql, s);
  }
  return s;
}
