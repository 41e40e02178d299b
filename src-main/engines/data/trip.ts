/**
 * The canonical trip record. Every reader (both CSV layouts, stream messages, the generator) produces
 * this shape, and the Parquet trip store uses exactly these columns in this order.
 *
 * Times are Chicago wall-clock times stored as UTC-labelled timestamps — the convention of the BigQuery
 * copy the TFX sample came from (its trip_start_hour equals the UTC hour of trip_start_timestamp), so
 * both layouts agree without a time-zone database.
 */
export type ColumnKind = 'string' | 'int' | 'double' | 'timestamp' | 'bool';

export interface TripColumn {
  name: keyof Trip;
  kind: ColumnKind;
  nullable: boolean;
  /** DuckDB type used in Parquet files. */
  sql: string;
}

export interface Trip {
  trip_id: string;
  /** True when the source had no id and trip_id was derived from the row's content. */
  trip_id_derived: boolean;
  taxi_id: string;
  taxi_id_derived: boolean;
  pickup_datetime: Date;
  dropoff_datetime: Date;
  pickup_latitude: number | null;
  pickup_longitude: number | null;
  dropoff_latitude: number | null;
  dropoff_longitude: number | null;
  pickup_community_area: number | null;
  dropoff_community_area: number | null;
  passenger_count: number | null;
  trip_distance: number;
  trip_seconds: number;
  fare_amount: number;
  tips: number | null;
  tolls: number | null;
  extras: number | null;
  trip_total: number | null;
  payment_type: string | null;
  company: string | null;
}

const col = (name: keyof Trip, kind: ColumnKind, nullable: boolean): TripColumn => ({
  name,
  kind,
  nullable,
  sql: { string: 'VARCHAR', int: 'INTEGER', double: 'DOUBLE', timestamp: 'TIMESTAMP', bool: 'BOOLEAN' }[kind],
});

export const TRIP_COLUMNS: readonly TripColumn[] = [
  col('trip_id', 'string', false),
  col('trip_id_derived', 'bool', false),
  col('taxi_id', 'string', false),
  col('taxi_id_derived', 'bool', false),
  col('pickup_datetime', 'timestamp', false),
  col('dropoff_datetime', 'timestamp', false),
  col('pickup_latitude', 'double', true),
  col('pickup_longitude', 'double', true),
  col('dropoff_latitude', 'double', true),
  col('dropoff_longitude', 'double', true),
  col('pickup_community_area', 'int', true),
  col('dropoff_community_area', 'int', true),
  col('passenger_count', 'int', true),
  col('trip_distance', 'double', false),
  col('trip_seconds', 'int', false),
  col('fare_amount', 'double', false),
  col('tips', 'double', true),
  col('tolls', 'double', true),
  col('extras', 'double', true),
  col('trip_total', 'double', true),
  col('payment_type', 'string', true),
  col('company', 'string', true),
];

export const TRIP_COLUMN_NAMES = TRIP_COLUMNS.map((c) => c.name);

/** Payment types seen in the public data; others are accepted and kept as written. */
export const KNOWN_PAYMENT_TYPES = [
  'Cash',
  'Credit Card',
  'No Charge',
  'Unknown',
  'Dispute',
  'Pcard',
  'Prcard',
  'Mobile',
] as const;
