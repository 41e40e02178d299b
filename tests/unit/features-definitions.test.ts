import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  closestNames,
  durationSeconds,
  featureServicesOf,
  featureViewOf,
  featureViewsOf,
  resolveFeatureRefs,
  validateFeatureStore,
} from '../../src-main/engines/features/definitions.js';
import { DEFAULT_CONFIG_YAML, parseConfig, type Config } from '../../src-main/platform/config.js';
import { AppError } from '../../src-main/platform/errors.js';

const shipped = (): Config => parseConfig(DEFAULT_CONFIG_YAML, 'config.yaml');

function errorOf(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected an error');
}

/** The default config as plain data, with `edit` applied to its feature_store section. */
// Each case reaches into the parsed YAML to break one thing; typing every path would hide the case.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;
function rawWith(edit: (fs: Loose, raw: Loose) => void): Record<string, unknown> {
  const raw = parseYaml(DEFAULT_CONFIG_YAML) as Loose;
  edit(raw.feature_store, raw);
  return raw;
}

const problemsOf = (edit: Parameters<typeof rawWith>[0]): { key: string; message: string }[] =>
  validateFeatureStore(rawWith(edit)).map((p) => ({ key: p.key, message: p.message }));

describe('shipped feature definitions', () => {
  it('define the three views with their entities, ttl and features', () => {
    const views = featureViewsOf(shipped());
    expect(views.map((v) => [v.name, v.entity.join_key, v.entity.value_type, v.ttl_seconds])).toEqual([
      ['trip_features', 'trip_id', 'string', 86_400],
      ['taxi_activity', 'taxi_id', 'string', 86_400],
      ['area_demand', 'pickup_community_area', 'int', 7_200],
    ]);
    const trip = views[0]!.features.map((f) => f.name);
    expect(trip).toEqual([
      'trip_distance',
      'trip_seconds',
      'passenger_count',
      'pickup_hour',
      'pickup_weekday',
      'pickup_month',
      'pickup_community_area',
      'dropoff_community_area',
      'payment_type',
      'company',
    ]);
    expect(views[1]!.features).toEqual([
      { kind: 'aggregate', name: 'trips_1h', dtype: 'int', fn: 'count', window_seconds: 3600 },
      { kind: 'aggregate', name: 'trips_24h', dtype: 'int', fn: 'count', window_seconds: 86_400 },
      { kind: 'aggregate', name: 'avg_fare_7d', dtype: 'double', fn: 'avg', column: 'fare_amount', window_seconds: 604_800 },
      { kind: 'aggregate', name: 'tip_rate_7d', dtype: 'double', fn: 'sum', ratio_of: { numerator: 'tips', denominator: 'fare_amount' }, window_seconds: 604_800 },
    ]);
    expect(views[2]!.features.map((f) => f.name)).toEqual(['trips_1h', 'avg_fare_1h', 'avg_trip_seconds_1h']);
    expect(views[0]!.features.find((f) => f.name === 'pickup_hour')).toEqual({ kind: 'time_part', name: 'pickup_hour', dtype: 'int', part: 'hour', of: 'pickup_datetime' });
  });

  it('ship a fare_model service with every feature and no fare among them', () => {
    const [svc] = featureServicesOf(shipped());
    expect(svc!.name).toBe('fare_model');
    expect(svc!.features).toHaveLength(17);
    expect(svc!.features.map((f) => f.feature)).not.toContain('fare_amount');
    const trip = featureViewOf(shipped(), 'trip_features');
    expect(trip.features.some((f) => f.kind === 'column' && f.column === 'fare_amount')).toBe(false);
  });

  it('derive the platform guide feature lists when they are left out, and keep them when given', () => {
    const c = shipped();
    expect(c.features.taxi_activity).toEqual(['trips_1h', 'trips_24h', 'avg_fare_7d', 'tip_rate_7d']);
    const without = DEFAULT_CONFIG_YAML.replace(/^features:\n(?: {2}.*\n|# .*\n)*/m, '');
    expect(without).not.toMatch(/^features:/m);
    expect(parseConfig(without, 'c.yaml').features).toEqual(c.features);
  });

  it('give a config written before the feature store the shipped definitions', () => {
    const old = DEFAULT_CONFIG_YAML.replace(/^feature_store:\n(?:(?: {2}.*)?\n)*?(?=^scheduling:)/m, '');
    expect(old).not.toContain('feature_store:');
    expect(featureViewsOf(parseConfig(old, 'c.yaml')).map((v) => v.name)).toEqual(['trip_features', 'taxi_activity', 'area_demand']);
  });

  it('validate clean', () => {
    expect(validateFeatureStore(parseYaml(DEFAULT_CONFIG_YAML) as Record<string, unknown>)).toEqual([]);
  });
});

describe('durations', () => {
  it('accept seconds and unit spellings', () => {
    expect(durationSeconds(3600)).toBe(3600);
    expect(durationSeconds('3600')).toBe(3600);
    expect(durationSeconds('1h')).toBe(3600);
    expect(durationSeconds('7d')).toBe(604_800);
    expect(durationSeconds('90s')).toBe(90);
    expect(durationSeconds('15m')).toBe(900);
    expect(durationSeconds('2w')).toBe(1_209_600);
    expect(durationSeconds('1d12h')).toBe(129_600);
    expect(durationSeconds('soon')).toBeNull();
    expect(durationSeconds('1 hour')).toBeNull();
  });

  it('ttl of 0, a negative one or a word is refused with its key path', () => {
    expect(problemsOf((fs) => (fs.feature_views.area_demand.ttl = 0))).toEqual([
      { key: 'feature_store.feature_views.area_demand.ttl', message: 'ttl must be longer than 0 seconds; got 0' },
    ]);
    expect(problemsOf((fs) => (fs.feature_views.area_demand.ttl = '-5'))[0]!.message).toMatch(/longer than 0/);
    expect(problemsOf((fs) => (fs.feature_views.area_demand.ttl = 'hourly'))[0]).toMatchObject({
      key: 'feature_store.feature_views.area_demand.ttl',
      message: expect.stringContaining('expected seconds or a duration'),
    });
  });
});

describe('bad definitions name the key path and the reason', () => {
  it('unknown entity, with the close name', () => {
    expect(problemsOf((fs) => (fs.feature_views.taxi_activity.entity = 'taxi'))).toEqual([
      {
        key: 'feature_store.feature_views.taxi_activity.entity',
        message: 'unknown entity "taxi"; did you mean taxi_id? (have: trip_id, taxi_id, pickup_community_area)',
      },
    ]);
  });

  it('unknown source column, with the close name', () => {
    expect(problemsOf((fs) => (fs.feature_views.trip_features.features[0].column = 'trip_distnce'))).toEqual([
      {
        key: 'feature_store.feature_views.trip_features.features[0].column',
        message: 'unknown column "trip_distnce" of source trips; did you mean trip_distance?',
      },
    ]);
    expect(problemsOf((fs) => (fs.feature_views.area_demand.features[1].column = 'fare'))[0]!.key).toBe(
      'feature_store.feature_views.area_demand.features[1].column',
    );
  });

  it('unknown source', () => {
    expect(problemsOf((fs) => (fs.feature_views.area_demand.source = 'rides'))).toEqual([
      { key: 'feature_store.feature_views.area_demand.source', message: 'unknown source "rides" (have: trips)' },
    ]);
  });

  it('duplicate feature names, and a name taken by the join key or a timestamp', () => {
    // The guide list still names the renamed feature, so that is reported too.
    expect(problemsOf((fs) => (fs.feature_views.area_demand.features[2].name = 'trips_1h'))).toEqual([
      { key: 'feature_store.feature_views.area_demand.features[2].name', message: 'duplicate feature name "trips_1h" (also features[0])' },
      { key: 'features.area_demand[2]', message: '"avg_trip_seconds_1h" is not a feature of area_demand' },
    ]);
    expect(problemsOf((fs) => (fs.feature_views.taxi_activity.features[0].name = 'taxi_id'))[0]!.key).toBe(
      'feature_store.feature_views.taxi_activity.features[0].name',
    );
    expect(problemsOf((fs) => (fs.feature_views.taxi_activity.features[0].name = 'event_timestamp'))[0]!.message).toMatch(/already has/);
  });

  it('an aggregate without a window, and a window on a column', () => {
    expect(problemsOf((fs) => delete fs.feature_views.taxi_activity.features[1].window)).toEqual([
      { key: 'feature_store.feature_views.taxi_activity.features[1].window', message: 'aggregate "count" needs a window (e.g. window: 1h)' },
    ]);
    expect(problemsOf((fs) => (fs.feature_views.trip_features.features[0].window = '1h'))).toEqual([
      { key: 'feature_store.feature_views.trip_features.features[0].window', message: 'window belongs to an aggregate' },
    ]);
    expect(problemsOf((fs) => (fs.feature_views.area_demand.features[0].window = '0s'))[0]!.message).toMatch(/window must be longer than 0/);
  });

  it('a feature that is two things or nothing, ratio_of outside sum, text averaged, a timestamp as a value', () => {
    expect(problemsOf((fs) => (fs.feature_views.trip_features.features[3].column = 'trip_seconds'))[0]).toEqual({
      key: 'feature_store.feature_views.trip_features.features[3]',
      message: 'a feature is one of column, time_part or aggregate; got column and time_part',
    });
    expect(problemsOf((fs) => (fs.feature_views.trip_features.features[0] = { name: 'nothing' }))[0]!.message).toBe(
      'a feature needs one of column, time_part or aggregate',
    );
    expect(problemsOf((fs) => (fs.feature_views.taxi_activity.features[3].aggregate = 'avg'))[0]).toEqual({
      key: 'feature_store.feature_views.taxi_activity.features[3].ratio_of',
      message: 'ratio_of is a ratio of sums; use aggregate: sum (not avg)',
    });
    expect(problemsOf((fs) => (fs.feature_views.area_demand.features[1].column = 'company'))[0]).toEqual({
      key: 'feature_store.feature_views.area_demand.features[1].column',
      message: 'column "company" is string; this aggregate needs a number',
    });
    expect(problemsOf((fs) => (fs.feature_views.trip_features.features[0].column = 'pickup_datetime'))[0]!.message).toMatch(
      /is a timestamp, which is not a feature type; use a time_part/,
    );
    expect(problemsOf((fs) => (fs.feature_views.trip_features.features[3].of = 'company'))[0]).toEqual({
      key: 'feature_store.feature_views.trip_features.features[3].of',
      message: 'column "company" is string; a time part needs a timestamp',
    });
    expect(problemsOf((fs) => delete fs.feature_views.area_demand.features[1].column)[0]!.message).toBe(
      'aggregate "avg" needs a column (only count can go without)',
    );
  });

  it('an entity whose type does not match its column', () => {
    expect(problemsOf((fs) => (fs.entities.pickup_community_area.value_type = 'string'))).toEqual([
      { key: 'feature_store.feature_views.area_demand.entity', message: 'entity "pickup_community_area" is string but trips.pickup_community_area is int' },
    ]);
  });

  it('a view name with a double underscore', () => {
    expect(
      problemsOf((fs, raw) => {
        fs.feature_views.area__demand = fs.feature_views.area_demand;
        delete fs.feature_views.area_demand;
        fs.feature_services.fare_model.features[2] = 'area__demand:*';
        raw.features.area__demand = raw.features.area_demand;
        delete raw.features.area_demand;
      })[0]!.key,
    ).toBe('feature_store.feature_views.area__demand');
  });

  it('a service referencing an unknown feature or view, or listing one twice', () => {
    expect(problemsOf((fs) => fs.feature_services.fare_model.features.push('taxi_activity:avg_fare7d'))).toEqual([
      {
        key: 'feature_store.feature_services.fare_model.features[3]',
        message: expect.stringMatching(/^unknown feature "taxi_activity:avg_fare7d"; did you mean taxi_activity:avg_fare_7d/),
      },
    ]);
    expect(problemsOf((fs) => fs.feature_services.fare_model.features.push('weather:*'))[0]!.message).toBe('unknown feature "weather:*"');
    expect(problemsOf((fs) => fs.feature_services.fare_model.features.push('trip_features:*'))[0]).toEqual({
      key: 'feature_store.feature_services.fare_model.features[3]',
      message: '"trip_features:*" is listed twice',
    });
  });

  it('the guide feature lists must name defined features', () => {
    expect(problemsOf((_fs, raw) => raw.features.taxi_activity.push('trips_2h'))).toEqual([
      { key: 'features.taxi_activity[4]', message: '"trips_2h" is not a feature of taxi_activity; did you mean trips_1h, trips_24h?' },
    ]);
    expect(problemsOf((_fs, raw) => (raw.features.weather = ['rain']))[0]!.key).toBe('features.weather');
  });

  it('shape errors (unknown keys, wrong enums) come with their paths too', () => {
    expect(problemsOf((fs) => (fs.feature_views.taxi_activity.features[0].windw = '1h'))[0]).toMatchObject({
      key: 'feature_store.feature_views.taxi_activity.features[0]',
    });
    expect(problemsOf((fs) => (fs.feature_views.taxi_activity.features[0].aggregate = 'median'))[0]!.key).toBe(
      'feature_store.feature_views.taxi_activity.features[0].aggregate',
    );
  });

  it('every problem is reported, not only the first', () => {
    const problems = problemsOf((fs) => {
      fs.feature_views.taxi_activity.entity = 'taxi';
      fs.feature_views.area_demand.ttl = 0;
      delete fs.feature_views.taxi_activity.features[0].window;
    });
    expect(problems.map((p) => p.key)).toEqual([
      'feature_store.feature_views.taxi_activity.entity',
      'feature_store.feature_views.taxi_activity.features[0].window',
      'feature_store.feature_views.area_demand.ttl',
    ]);
  });

  it('loading such a config fails with file, line, key path and reason', () => {
    const bad = DEFAULT_CONFIG_YAML.replace('{ name: trips_24h, aggregate: count, window: 24h }', '{ name: trips_24h, aggregate: count }');
    const e = errorOf(() => parseConfig(bad, '/ws/config.yaml'));
    expect(e.code).toBe('INVALID_CONFIG');
    const line = bad.split('\n').findIndex((l) => l.includes('{ name: trips_24h, aggregate: count }')) + 1;
    expect(e.message).toBe(`/ws/config.yaml:${line}: feature_store.feature_views.taxi_activity.features[1].window: aggregate "count" needs a window (e.g. window: 1h)`);
    const bad2 = DEFAULT_CONFIG_YAML.replace('entity: taxi_id', 'entity: taxi').replace('ttl: 2h', 'ttl: 0');
    const e2 = errorOf(() => parseConfig(bad2, 'c.yaml'));
    expect(e2.message).toContain('(and 1 more problem)');
    expect((e2.details!.problems as { key: string }[]).map((p) => p.key)).toEqual([
      'feature_store.feature_views.taxi_activity.entity',
      'feature_store.feature_views.area_demand.ttl',
    ]);
  });
});

describe('feature references', () => {
  it('group by view in order of first appearance, expanding view:*', () => {
    const r = resolveFeatureRefs(shipped(), ['area_demand:trips_1h', 'trip_features:pickup_hour', 'area_demand:avg_fare_1h', 'taxi_activity:*']);
    expect(r.refs).toEqual([
      'area_demand:trips_1h',
      'trip_features:pickup_hour',
      'area_demand:avg_fare_1h',
      'taxi_activity:trips_1h',
      'taxi_activity:trips_24h',
      'taxi_activity:avg_fare_7d',
      'taxi_activity:tip_rate_7d',
    ]);
    expect(r.views.map((v) => [v.view.name, v.features.map((f) => f.name)])).toEqual([
      ['area_demand', ['trips_1h', 'avg_fare_1h']],
      ['trip_features', ['pickup_hour']],
      ['taxi_activity', ['trips_1h', 'trips_24h', 'avg_fare_7d', 'tip_rate_7d']],
    ]);
  });

  it('resolve a feature service', () => {
    const r = resolveFeatureRefs(shipped(), { feature_service: 'fare_model' });
    expect(r.views.map((v) => v.view.name)).toEqual(['trip_features', 'taxi_activity', 'area_demand']);
    expect(r.refs).toHaveLength(17);
  });

  it('an unknown reference fails listing the closest names', () => {
    const e = errorOf(() => resolveFeatureRefs(shipped(), ['taxi_activity:trip_1h']));
    expect(e.code).toBe('INVALID_INPUT');
    expect(e.message).toBe('unknown feature "taxi_activity:trip_1h"; did you mean taxi_activity:trips_1h, area_demand:trips_1h, taxi_activity:trips_24h?');
    expect(e.details).toMatchObject({ feature: 'taxi_activity:trip_1h', suggestions: ['taxi_activity:trips_1h', 'area_demand:trips_1h', 'taxi_activity:trips_24h'] });
    const bare = errorOf(() => resolveFeatureRefs(shipped(), ['avg_fare_7d']));
    expect(bare.message).toMatch(/^unknown feature "avg_fare_7d" \(references are written view:feature\); did you mean taxi_activity:avg_fare_7d[,?]/);
    const view = errorOf(() => resolveFeatureRefs(shipped(), ['taxi_activty:trips_1h']));
    expect(view.details!.suggestions).toContain('taxi_activity:trips_1h');
  });

  it('an unknown service lists the close ones; a feature asked twice and an empty ask fail', () => {
    expect(errorOf(() => resolveFeatureRefs(shipped(), { feature_service: 'fare_modle' })).message).toBe(
      'unknown feature service "fare_modle"; did you mean fare_model? (have: fare_model)',
    );
    expect(errorOf(() => resolveFeatureRefs(shipped(), ['taxi_activity:*', 'taxi_activity:trips_1h'])).message).toBe(
      'feature "taxi_activity:trips_1h" is asked for twice',
    );
    expect(errorOf(() => resolveFeatureRefs(shipped(), [])).code).toBe('INVALID_INPUT');
  });

  it('an unknown view by name is NOT_FOUND with suggestions', () => {
    const e = errorOf(() => featureViewOf(shipped(), 'taxi_activty'));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.message).toBe('unknown feature view "taxi_activty"; did you mean taxi_activity?');
  });

  it('close names rank by edit distance and ignore far ones', () => {
    expect(closestNames('trip_distnce', ['trip_distance', 'trip_seconds', 'company'])).toEqual(['trip_distance']);
    expect(closestNames('zzz', ['trip_distance', 'company'])).toEqual([]);
  });
});
