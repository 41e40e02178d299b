/** Writes rows held in memory to a Parquet file through DuckDB (an appender into a temp table, then COPY). */
import crypto from 'node:crypto';
import { DuckDBTimestampValue, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api';
import { sqlIdent, sqlString } from '../../platform/duckdb.js';
import type { Cell } from './feature-spec.js';

export interface ParquetColumn {
  name: string;
  /** VARCHAR, INTEGER, BIGINT, DOUBLE, BOOLEAN or TIMESTAMP (epoch ms in the rows). */
  sql: string;
}

function append(a: DuckDBAppender, sql: string, v: Cell): void {
  if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))) return a.appendNull();
  switch (sql) {
    case 'VARCHAR':
      return a.appendVarchar(String(v));
    case 'INTEGER':
      return a.appendInteger(Number(v));
    case 'BIGINT':
      return a.appendBigInt(BigInt(Math.trunc(Number(v))));
    case 'BOOLEAN':
      return a.appendBoolean(Boolean(v));
    case 'TIMESTAMP':
      return a.appendTimestamp(new DuckDBTimestampValue(BigInt(Math.round(Number(v))) * 1000n));
    default:
      return a.appendDouble(Number(v));
  }
}

export async function writeParquet(conn: DuckDBConnection, file: string, columns: readonly ParquetColumn[], rows: readonly Readonly<Record<string, Cell>>[], from = 0, to = rows.length): Promise<void> {
  const table = `rows_${crypto.randomBytes(6).toString('hex')}`;
  await conn.run(`CREATE TEMP TABLE ${sqlIdent(table)} (${columns.map((c) => `${sqlIdent(c.name)} ${c.sql}`).join(', ')})`);
  try {
    const a = await conn.createAppender(table, 'main', 'temp');
    try {
      for (let i = from; i < to; i++) {
        const r = rows[i]!;
        for (const c of columns) append(a, c.sql, r[c.name]);
        a.endRow();
      }
    } finally {
      a.closeSync();
    }
    await conn.run(`COPY ${sqlIdent(table)} TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd)`);
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${sqlIdent(table)}`);
  }
}
