/**
 * config.yaml: the platform guide's integration_config.yaml settings (online/offline store, feature lists,
 * scheduling intervals, topics) plus connection profiles. Parsed with zod; every error names the file,
 * the key path and what was expected.
 */
import fs from 'node:fs';
import { parse as parseYaml, parseDocument, isMap, LineCounter, type Document } from 'yaml';
import { z } from 'zod';
import { FeatureStoreSchema, featureStoreProblems, type FeatureStoreConfig } from '../engines/features/definitions.js';
import { AppError } from './errors.js';
import { MonitoringConfigSchema } from '../engines/monitoring/config-schema.js';
import { ProfileSchema, type Profile } from './profile-schema.js';

// The profile schemas are pure zod so the contract (and with it preload and the renderer) can use them.
export { BusSchema, OnlineStoreSchema, ProfileSchema, RegistrySchema, SecretRefSchema, TlsSchema, type Profile } from './profile-schema.js';

export const TOPIC_KEYS = ['raw', 'features', 'predictions', 'metrics', 'alerts'] as const;

export const ValidationSchema = z
  .object({
    max_trip_distance_miles: z.number().positive().default(500),
    max_trip_seconds: z.number().int().positive().default(86_400),
    max_fare: z.number().positive().default(3_000),
    max_money_other: z.number().positive().default(3_000),
    max_passengers: z.number().int().positive().default(10),
    bbox: z
      .object({
        min_lat: z.number().default(41.6),
        max_lat: z.number().default(42.1),
        min_lon: z.number().default(-88.0),
        max_lon: z.number().default(-87.5),
      })
      .strict()
      .default({ min_lat: 41.6, max_lat: 42.1, min_lon: -88.0, max_lon: -87.5 }),
    min_year: z.number().int().default(2013),
  })
  .strict();
export type ValidationRules = z.infer<typeof ValidationSchema>;

/**
 * The shipped feature definitions (the `feature_store:` section of a new config.yaml). A config written
 * before the feature store existed gets these too.
 */
const FEATURE_STORE_YAML = `feature_store:
  # Entities are named by their join key: the column that identifies them in trips and in requests.
  entities:
    trip_id: { value_type: string, description: One taxi trip }
    taxi_id: { value_type: string, description: One taxi (medallion) }
    pickup_community_area: { value_type: int, description: Chicago community area (1-77) where a trip starts }

  # A view's rows are keyed by its entity and stamped with event_timestamp (the trip's pickup time).
  # ttl: how old a value may be and still be served (seconds, or 90s / 15m / 1h / 7d / 2w).
  # A feature is one of:
  #   column: <trip column>                           the trip's own value
  #   time_part: hour|weekday|month|day|minute        of pickup_datetime, or of: <timestamp column>
  #                                                   (weekday: 0 = Monday ... 6 = Sunday)
  #   aggregate: count|sum|avg|min|max, window: 1h    over the entity's trips up to the row's time;
  #                                                   count counts trips started in the window; the others
  #                                                   see a trip once dropped off, when its fare is known
  #   aggregate: sum, ratio_of: { numerator, denominator }   sum(numerator) / sum(denominator)
  feature_views:
    trip_features:
      entity: trip_id
      ttl: 1d
      source: trips
      description: What is known about a trip when it starts
      features:
        - { name: trip_distance, column: trip_distance }
        - { name: trip_seconds, column: trip_seconds }
        - { name: passenger_count, column: passenger_count }
        - { name: pickup_hour, time_part: hour }
        - { name: pickup_weekday, time_part: weekday }
        - { name: pickup_month, time_part: month }
        - { name: pickup_community_area, column: pickup_community_area }
        - { name: dropoff_community_area, column: dropoff_community_area }
        - { name: payment_type, column: payment_type }
        - { name: company, column: company }
    taxi_activity:
      entity: taxi_id
      ttl: 1d
      source: trips
      description: How busy a taxi has been and what it has earned lately
      features:
        - { name: trips_1h, aggregate: count, window: 1h }
        - { name: trips_24h, aggregate: count, window: 24h }
        - { name: avg_fare_7d, aggregate: avg, column: fare_amount, window: 7d }
        - { name: tip_rate_7d, aggregate: sum, ratio_of: { numerator: tips, denominator: fare_amount }, window: 7d }
    area_demand:
      entity: pickup_community_area
      ttl: 2h
      source: trips
      description: Demand in the pickup area over the last hour
      features:
        - { name: trips_1h, aggregate: count, window: 1h }
        - { name: avg_fare_1h, aggregate: avg, column: fare_amount, window: 1h }
        - { name: avg_trip_seconds_1h, aggregate: avg, column: trip_seconds, window: 1h }

  # A feature service is the set of features a model reads ("view:feature", or "view:*" for all of a view).
  feature_services:
    fare_model:
      description: Inputs of the fare model. The fare itself is the label, never a feature.
      features:
        - trip_features:*
        - taxi_activity:*
        - area_demand:*
`;

const SHIPPED_FEATURE_STORE: unknown = (parseYaml(FEATURE_STORE_YAML) as { feature_store: unknown }).feature_store;

/** View → feature names, as the platform guide's integration_config.yaml lists them. */
export function featureListsOf(fs: FeatureStoreConfig): Record<string, string[]> {
  return Object.fromEntries(Object.entries(fs.feature_views).map(([view, v]) => [view, v.features.map((f) => f.name)]));
}

/** Training and serving defaults (the `models:` section); a config without it gets these. */
export const ModelsSchema = z
  .object({
    registered_model: z.string().min(1).default('chicago_taxi_fare'),
    feature_service: z.string().min(1).default('fare_model'),
    serving: z
      .object({
        champion_alias: z.string().min(1).default('champion'),
        challenger_alias: z.string().min(1).default('challenger'),
        challenger_share: z.number().min(0).max(1).default(0.2),
        cache_size: z.number().int().min(1).max(1000).default(8),
      })
      .strict()
      .prefault({}),
  })
  .strict();
export type ModelsConfig = z.infer<typeof ModelsSchema>;

export const ConfigSchema = z
  .object({
    version: z.literal(1),
    project: z.string().min(1).default('chicago_taxi'),
    active_profile: z.string().min(1),
    offline_store: z.object({ type: z.literal('file'), path: z.string().default('offline') }).strict(),
    feature_store: FeatureStoreSchema.prefault(SHIPPED_FEATURE_STORE as z.input<typeof FeatureStoreSchema>),
    features: z.record(z.string(), z.array(z.string().min(1))).optional(),
    scheduling: z
      .object({
        refresh_interval: z.number().int().positive(),
        materialization_interval: z.number().int().positive(),
        /** Seconds between evaluations of the alert rules (older configs lack it). */
        alert_interval: z.number().int().positive().default(300),
      })
      .strict(),
    topics: z
      .object({
        raw: z.string().min(1),
        features: z.string().min(1),
        predictions: z.string().min(1),
        metrics: z.string().min(1),
        alerts: z.string().min(1),
        raw_dead_letter: z.string().min(1),
      })
      .strict(),
    models: ModelsSchema.prefault({}),
    data: z.object({ validation: ValidationSchema.default(ValidationSchema.parse({})) }).strict().default({
      validation: ValidationSchema.parse({}),
    }),
    monitoring: MonitoringConfigSchema.prefault({}),
    profiles: z.record(z.string(), ProfileSchema),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (!c.profiles[c.active_profile]) {
      ctx.addIssue({
        code: 'custom',
        path: ['active_profile'],
        message: `profile "${c.active_profile}" is not defined under profiles (have: ${Object.keys(c.profiles).join(', ') || 'none'})`,
      });
    }
    for (const p of featureStoreProblems(c.feature_store, c.features)) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
  })
  .transform((c) => ({ ...c, features: c.features ?? featureListsOf(c.feature_store) }));
export type Config = z.infer<typeof ConfigSchema>;

export const DEFAULT_CONFIG_YAML = `# Chicago Taxi MLOps Console — workspace configuration.
# The settings of the platform's integration_config.yaml, plus connection profiles.
version: 1
project: chicago_taxi
# Which profile the app uses: local (embedded, no servers) or cluster (Redis, Kafka, MLflow).
active_profile: local

offline_store:
  type: file
  path: offline            # Parquet files, relative to the workspace

# The platform guide's feature lists (view -> feature names). Every name must be a feature defined
# under feature_store below; the check runs when the config loads. Leave the section out and it is
# derived from feature_store. It selects nothing by itself: views serve all their features.
features:
  trip_features:
    - trip_distance
    - trip_seconds
    - passenger_count
    - pickup_hour
    - pickup_weekday
    - pickup_month
    - pickup_community_area
    - dropoff_community_area
    - payment_type
    - company
  taxi_activity:
    - trips_1h
    - trips_24h
    - avg_fare_7d
    - tip_rate_7d
  area_demand:
    - trips_1h
    - avg_fare_1h
    - avg_trip_seconds_1h

${FEATURE_STORE_YAML}
scheduling:
  refresh_interval: 3600          # seconds between transform runs (1 hour)
  materialization_interval: 1800  # seconds between incremental materializations (30 minutes)
  alert_interval: 300             # seconds between alert rule evaluations (5 minutes)

topics:
  raw: taxi-raw-data
  features: taxi-features
  predictions: taxi-predictions
  metrics: taxi-model-metrics
  alerts: taxi-alerts
  raw_dead_letter: taxi-raw-data-dlq

models:
  registered_model: chicago_taxi_fare   # what training registers and serving loads
  feature_service: fare_model           # the model's inputs
  serving:
    champion_alias: champion
    challenger_alias: challenger
    challenger_share: 0.2               # share of trips (sticky by trip_id) the challenger predicts
    cache_size: 8                       # model versions kept loaded

data:
  validation:
    max_trip_distance_miles: 500
    max_trip_seconds: 86400
    max_fare: 3000
    max_money_other: 3000
    max_passengers: 10
    bbox: { min_lat: 41.6, max_lat: 42.1, min_lon: -88.0, max_lon: -87.5 }
    min_year: 2013

profiles:
  local:
    kind: embedded
    description: Everything on this machine (SQLite, Parquet, DuckDB)
    online_store: { type: sqlite, path: online.db }
    bus: { type: local, path: streams.db }
    registry: { type: sqlite, path: registry.db }
  cluster:
    kind: cluster
    description: The team's Redis, Kafka and MLflow
    online_store:
      type: redis
      connection_string: redis://127.0.0.1:6379
      mode: standalone
      # password: { secret: redis-password }   # kept in the OS keychain, or TAXI_SECRET_REDIS_PASSWORD
    bus:
      type: kafka
      brokers: [127.0.0.1:9092]
      client_id: taxi-mlops
      # sasl: { mechanism: scram-sha-512, username: taxi, password: { secret: kafka-password } }
      # tls: { enabled: true, ca_file: /path/to/ca.pem }
    registry:
      type: mlflow
      tracking_uri: http://127.0.0.1:5000
      # token: { secret: mlflow-token }
`;

function describeExpected(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'invalid_union':
      return issue.message;
    default:
      return issue.message;
  }
}

/** Line number (1-based) of a key path in the YAML document, when it can be found. */
function lineOf(doc: Document, lines: LineCounter, keyPath: PropertyKey[]): number | null {
  for (let n = keyPath.length; n >= 1; n--) {
    const node = doc.getIn(keyPath.slice(0, n) as (string | number)[], true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && node.range) return lines.linePos(node.range[0]).line;
  }
  return null;
}

export function formatPath(p: PropertyKey[]): string {
  return p.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`)).join('') || '(root)';
}

/** Parse config text; `file` is used in error messages only. */
/** The document as plain data; yaml throws a bare ReferenceError for an alias without its anchor. */
function jsOf(doc: Document, text: string, lines: LineCounter, file: string): unknown {
  try {
    return doc.toJS();
  } catch (e) {
    const alias = /:\s*(\S+)\s*$/.exec((e as Error).message)?.[1];
    const at = alias ? text.indexOf(`*${alias}`) : -1;
    const pos = at >= 0 ? lines.linePos(at) : undefined;
    throw new AppError('INVALID_CONFIG', `${file}${pos ? `:${pos.line}:${pos.col}` : ''}: YAML error: ${(e as Error).message}`, {
      file,
      line: pos?.line ?? null,
      column: pos?.col ?? null,
    });
  }
}

export function parseConfig(text: string, file: string): Config {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0] ?? (e.pos ? lines.linePos(e.pos[0]) : undefined);
    throw new AppError('INVALID_CONFIG', `${file}${pos ? `:${pos.line}:${pos.col}` : ''}: YAML syntax error: ${e.message.split('\n')[0]}`, {
      file,
      line: pos?.line ?? null,
      column: pos?.col ?? null,
    });
  }
  if (!isMap(doc.contents)) {
    throw new AppError('INVALID_CONFIG', `${file}: expected a mapping of settings at the top level`, { file, key: '(root)' });
  }
  const parsed = ConfigSchema.safeParse(jsOf(doc, text, lines, file));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = formatPath(issue.path);
      const line = lineOf(doc, lines, issue.path);
      return { key, line, expected: describeExpected(issue) };
    });
    const first = problems[0]!;
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
    throw new AppError(
      'INVALID_CONFIG',
      `${file}${first.line ? `:${first.line}` : ''}: ${first.key}: ${first.expected}${more}`,
      { file, problems },
    );
  }
  return parsed.data;
}

export function loadConfig(file: string): Config {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new AppError('INVALID_CONFIG', `${file}: cannot read config (${code ?? String(e)}); run "taxi-mlops init" to create a workspace`, { file });
  }
  return parseConfig(text, file);
}

export function activeProfile(config: Config): Profile & { name: string } {
  return { name: config.active_profile, ...config.profiles[config.active_profile]! };
}
