/**
 * Correlation matrices of the numerical columns (and the label): Pearson on the values, Spearman as
 * Pearson on average ranks (ties share the mean of their ranks). Pearson leaves rows with a missing value
 * in a pair out of that pair only (pairwise deletion, as pandas' DataFrame.corr does); Spearman ranks each
 * column over all its present values, which equals pandas' result when missing values coincide.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryRows, sqlIdent } from '../../platform/duckdb.js';

export interface CorrelationResult {
  columns: string[];
  pearson: (number | null)[][];
  spearman: (number | null)[][];
  rows: number;
}

export async function computeCorrelation(conn: DuckDBConnection, sql: string, columns: readonly string[]): Promise<CorrelationResult> {
  const ids = columns.map(sqlIdent);
  const cast = columns.map((c, i) => `CASE WHEN isfinite(CAST(${ids[i]} AS DOUBLE)) THEN CAST(${ids[i]} AS DOUBLE) END AS c${i}`);
  await conn.run(`CREATE OR REPLACE TABLE corr_v AS SELECT ${cast.join(', ')} FROM ${sql}`);
  const [{ n }] = (await queryRows<{ n: bigint }>(conn, 'SELECT count(*) AS n FROM corr_v')) as [{ n: bigint }];
  // Average rank per column: rank() is the lowest rank of a tie group; add half the group's extra size.
  const ranks = columns.map((_, i) => `CASE WHEN c${i} IS NOT NULL THEN rank() OVER (PARTITION BY c${i} IS NULL ORDER BY c${i}) + (count(*) OVER (PARTITION BY c${i}) - 1) / 2.0 END AS c${i}`);
  await conn.run(`CREATE OR REPLACE TABLE corr_r AS SELECT ${ranks.join(', ')} FROM corr_v`);
  const pairs: string[] = [];
  for (let i = 0; i < columns.length; i++) for (let j = i + 1; j < columns.length; j++) pairs.push(`corr(c${i}, c${j}) AS p${i}_${j}`);
  const k = columns.length;
  const matrix = async (table: string): Promise<(number | null)[][]> => {
    const m: (number | null)[][] = Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => (i === j ? 1 : null)));
    if (pairs.length === 0) return m;
    const [row] = await queryRows<Record<string, number | null>>(conn, `SELECT ${pairs.join(', ')} FROM ${table}`);
    for (let i = 0; i < k; i++) {
      for (let j = i + 1; j < k; j++) {
        const v = row![`p${i}_${j}`];
        const x = v === null || v === undefined || Number.isNaN(v) ? null : v;
        m[i]![j] = x;
        m[j]![i] = x;
      }
    }
    return m;
  };
  try {
    return { columns: [...columns], pearson: await matrix('corr_v'), spearman: await matrix('corr_r'), rows: Number(n) };
  } finally {
    await conn.run('DROP TABLE IF EXISTS corr_v; DROP TABLE IF EXISTS corr_r');
  }
}
