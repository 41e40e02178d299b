/**
 * Moves generated batches into DuckDB: a numeric staging table filled column by column through data
 * chunks (no per-value objects), then one SQL projection that turns codes into the canonical trip
 * columns (ids, timestamps, names), which DuckDB does vectorized far faster than JS string building.
 */
import {
  DOUBLE,
  DuckDBDataChunk,
  INTEGER,
  SMALLINT,
  UTINYINT,
  type DuckDBAppender,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBVector,
} from '@duckdb/node-api';
import { sqlIdent, sqlString } from '../../../platform/duckdb.js';
import { TRIP_COLUMNS, type Trip } from '../trip.js';
import type { TripBatch, TripDictionary } from './batch.js';

/** A staging column and the batch array it copies; `idx` has none, it is computed from the batch start. */
type Column = readonly [name: string, type: DuckDBType, sql: string, source: ((b: TripBatch) => ArrayLike<number>) | null];

const STAGING_COLUMNS: readonly Column[] = [
  ['idx', INTEGER, 'INTEGER', null],
  ['pickup_s', DOUBLE, 'DOUBLE', (b) => b.pickupS],
  ['trip_seconds', INTEGER, 'INTEGER', (b) => b.tripSeconds],
  ['trip_miles', DOUBLE, 'DOUBLE', (b) => b.tripMiles],
  ['fare', DOUBLE, 'DOUBLE', (b) => b.fare],
  ['tips', DOUBLE, 'DOUBLE', (b) => b.tips],
  ['pickup_area', UTINYINT, 'UTINYINT', (b) => b.pickupArea],
  ['dropoff_area', UTINYINT, 'UTINYINT', (b) => b.dropoffArea],
  ['pickup_point', SMALLINT, 'SMALLINT', (b) => b.pickupPoint],
  ['dropoff_point', SMALLINT, 'SMALLINT', (b) => b.dropoffPoint],
  ['payment', UTINYINT, 'UTINYINT', (b) => b.payment],
  ['company', SMALLINT, 'SMALLINT', (b) => b.company],
  ['taxi', INTEGER, 'INTEGER', (b) => b.taxi],
];

/** DuckDB's vector size: a data chunk holds at most this many rows. */
const CHUNK_ROWS = 2048;

export async function createStagingTable(conn: DuckDBConnection, table: string): Promise<void> {
  await conn.run(`CREATE OR REPLACE TABLE ${sqlIdent(table)} (${STAGING_COLUMNS.map(([n, , sql]) => `${n} ${sql}`).join(', ')})`);
}

/** Appends batches to a staging table; close() flushes. */
export class StagingWriter {
  private readonly chunk = DuckDBDataChunk.create(STAGING_COLUMNS.map(([, t]) => t), CHUNK_ROWS);

  private constructor(private readonly appender: DuckDBAppender) {}

  static async open(conn: DuckDBConnection, table: string): Promise<StagingWriter> {
    return new StagingWriter(await conn.createAppender(table));
  }

  append(b: TripBatch): void {
    for (let from = 0; from < b.length; from += CHUNK_ROWS) {
      const n = Math.min(CHUNK_ROWS, b.length - from);
      this.chunk.rowCount = n;
      // Codes instead of nullable values: a vector that has seen a null tracks validity with BigInt
      // operations on every later write, several times slower than a plain store.
      STAGING_COLUMNS.forEach(([, , , source], j) => {
        const v = this.chunk.getColumnVector(j) as DuckDBVector<number>;
        if (source) copyInto(v, source(b), from, n);
        else for (let i = 0; i < n; i++) v.setItem(i, b.start + from + i);
        v.flush();
      });
      this.appender.appendDataChunk(this.chunk);
    }
  }

  close(): void {
    this.appender.closeSync();
  }
}

function copyInto(v: DuckDBVector<number>, values: ArrayLike<number>, from: number, n: number): void {
  for (let i = 0; i < n; i++) v.setItem(i, values[from + i]!);
}

const listOf = (values: readonly string[]): string => `[${values.map(sqlString).join(', ')}]::VARCHAR[]`;
const doublesOf = (values: ArrayLike<number>): string => `[${Array.from(values, (x) => String(x)).join(', ')}]::DOUBLE[]`;

/** SQL for each trip column, written against the staging columns; keyed so a missing column fails to compile. */
function tripExpressions(dict: TripDictionary): Record<keyof Trip, string> {
  const nullIfZero = (c: string): string => `CAST(NULLIF(${c}, 0) AS INTEGER)`;
  const micros = 'CAST(pickup_s AS BIGINT) * 1000000';
  const coord = (values: ArrayLike<number>, point: string): string =>
    `CASE WHEN ${point} < 0 THEN NULL ELSE list_extract(${doublesOf(values)}, ${point} + 1) END`;
  return {
    trip_id: `${sqlString(`${dict.idPrefix}-`)} || CAST(idx AS VARCHAR)`,
    trip_id_derived: 'false',
    // Matches taxiIdOf: zero-padded to four digits, never truncated.
    taxi_id: `printf('gtaxi-%04d', taxi + 1)`,
    taxi_id_derived: 'false',
    pickup_datetime: `make_timestamp(${micros})`,
    dropoff_datetime: `make_timestamp(${micros} + CAST(trip_seconds AS BIGINT) * 1000000)`,
    pickup_latitude: coord(dict.pointLat, 'pickup_point'),
    pickup_longitude: coord(dict.pointLon, 'pickup_point'),
    dropoff_latitude: coord(dict.pointLat, 'dropoff_point'),
    dropoff_longitude: coord(dict.pointLon, 'dropoff_point'),
    pickup_community_area: nullIfZero('pickup_area'),
    dropoff_community_area: nullIfZero('dropoff_area'),
    passenger_count: 'NULL',
    trip_distance: 'trip_miles',
    trip_seconds: 'trip_seconds',
    fare_amount: 'fare',
    tips: 'tips',
    tolls: 'NULL',
    extras: 'NULL',
    trip_total: 'NULL',
    payment_type: `list_extract(${listOf(dict.paymentTypes)}, payment + 1)`,
    company: `CASE WHEN company < 0 THEN NULL ELSE list_extract(${listOf(dict.companies)}, company + 1) END`,
  };
}

/** SELECT of the canonical trip columns, in TRIP_COLUMNS order and types, from a staging table. */
export function tripSelectSql(staging: string, dict: TripDictionary): string {
  const expr = tripExpressions(dict);
  const cols = TRIP_COLUMNS.map((c) => `CAST(${expr[c.name]} AS ${c.sql}) AS ${sqlIdent(c.name)}`);
  return `SELECT ${cols.join(',\n  ')}\nFROM ${sqlIdent(staging)}`;
}
