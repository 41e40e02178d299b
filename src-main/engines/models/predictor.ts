/**
 * Online prediction: request → online features → model → response, with the model chosen by alias.
 *
 * - Routing: a request pinned to a version or an alias is served by it; otherwise each trip goes to the
 *   challenger alias when a hash of its trip_id falls under challenger_share, else to the champion, so
 *   a trip asked twice is answered by the same model. Without a champion alias the newest version serves.
 * - Models stay loaded in an LRU of `cache_size` versions. Aliases are resolved through the registry and
 *   remembered for two seconds; a registry change made in this process (console, MLflow routes) or a
 *   finished training job drops the remembered aliases at once, so the next request after an alias moves
 *   is served by the version it now names. Changes made by another process are seen within two seconds.
 * - Features come from the online store (getOnlineFeatures with the model's feature service); values in
 *   the request fill or override them (status REQUEST). A view whose entity key the request does not give
 *   is NOT_FOUND for that request. Missing values are imputed as in training (the feature spec).
 */
import type { z } from 'zod';
import { PredictInputSchema, type PredictInput, type PredictOutput, type ServingState } from '../../api/methods/models.js';
import { AppError, isAppError } from '../../platform/errors.js';
import type { Services } from '../../platform/services.js';
import type { ModelsConfig } from '../../platform/config.js';
import { getOnlineStore } from '../features/runtime.js';
import { getOnlineFeatures } from '../features/serving.js';
import { resolveFeatureRefs } from '../features/definitions.js';
import type { FeatureStatus, FeatureValue } from '../features/types.js';
import type { OnlineStore } from '../features/online/types.js';
import { getRegistry } from '../registry/index.js';
import type { RegistryStore } from '../registry/types.js';
import { modelsConfigOf } from './config.js';
import { TAGS } from './layout.js';
import { loadModelFromRegistry, type LoadedModel } from './model-io.js';

const ALIAS_TTL_MS = 2000;

type Status = FeatureStatus | 'REQUEST';
type Variant = 'champion' | 'challenger' | null;

/** A hash of the trip id mapped to [0, 1) (FNV-1a, then murmur3's finalizer): stable across processes and runs. */
export function tripBucket(tripId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < tripId.length; i++) {
    h ^= tripId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // FNV alone leaves ids that differ in their last characters close together in the high bits
  // (trip-1, trip-2, …); murmur3's finalizer spreads them over the whole range.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

interface ViewPlan {
  joinKey: string;
  refs: string[];
  names: string[];
}

interface ServicePlan {
  views: ViewPlan[];
  /** Bare feature name → full names that carry it. */
  bare: Map<string, string[]>;
}

type Request = PredictInput['requests'][number];

export interface PredictorOptions {
  registry: RegistryStore;
  store: OnlineStore;
  config: { models?: ModelsConfig } & Parameters<typeof resolveFeatureRefs>[0];
  workspace: Services['workspace'];
  now?: () => number;
}

export class Predictor {
  private readonly models = new Map<string, { model: LoadedModel; hits: number }>();
  private readonly loading = new Map<string, Promise<LoadedModel>>();
  private readonly aliases = new Map<string, { version: string | null; at: number }>();
  private readonly plans = new Map<string, ServicePlan>();
  private readonly cfg: ModelsConfig;
  private share: number;
  private counts = { total: 0, champion: 0, challenger: 0, pinned: 0, hits: 0, misses: 0, invalidations: 0 };

  constructor(private readonly o: PredictorOptions) {
    this.cfg = modelsConfigOf(o.config);
    this.share = this.cfg.serving.challenger_share;
  }

  get challengerShare(): number {
    return this.share;
  }

  setChallengerShare(share: number): void {
    if (!(share >= 0 && share <= 1)) throw new AppError('INVALID_INPUT', `challenger share must be between 0 and 1, got ${share}`, { share });
    this.share = share;
  }

  /** Forget resolved aliases (a registry change); loaded versions stay, since a version's files never change. */
  invalidate(): void {
    this.aliases.clear();
    this.counts.invalidations++;
  }

  /** Forget everything, loaded models too (a profile switch). */
  clear(): void {
    this.invalidate();
    this.models.clear();
  }

  private async resolveAlias(name: string, alias: string): Promise<string | null> {
    const key = `${name}\u0000${alias}`;
    const now = Date.now();
    const hit = this.aliases.get(key);
    if (hit && now - hit.at < ALIAS_TTL_MS) return hit.version;
    let version: string | null;
    try {
      version = (await this.o.registry.getModelVersionByAlias(name, alias)).version;
    } catch (e) {
      // MLflow answers a missing alias with INVALID_PARAMETER_VALUE, a missing model with RESOURCE_DOES_NOT_EXIST.
      if (!isAppError(e) || (e.code !== 'RESOURCE_DOES_NOT_EXIST' && e.code !== 'INVALID_PARAMETER_VALUE')) throw e;
      version = null;
    }
    this.aliases.set(key, { version, at: now });
    return version;
  }

  private async latestVersion(name: string): Promise<string | null> {
    const key = `${name}\u0000\u0000latest`;
    const hit = this.aliases.get(key);
    if (hit && Date.now() - hit.at < ALIAS_TTL_MS) return hit.version;
    let version: string | null = null;
    try {
      const versions = await this.o.registry.getLatestVersions(name);
      version = versions.map((v) => v.version).sort((a, b) => Number(b) - Number(a))[0] ?? null;
    } catch (e) {
      if (!isAppError(e) || e.code !== 'RESOURCE_DOES_NOT_EXIST') throw e;
    }
    this.aliases.set(key, { version, at: Date.now() });
    return version;
  }

  async model(name: string, version: string): Promise<LoadedModel> {
    const key = `${name}\u0000${version}`;
    const hit = this.models.get(key);
    if (hit) {
      this.counts.hits++;
      hit.hits++;
      // Re-insert: Map order is the LRU order.
      this.models.delete(key);
      this.models.set(key, hit);
      return hit.model;
    }
    this.counts.misses++;
    let p = this.loading.get(key);
    if (!p) {
      p = loadModelFromRegistry(this.o.registry, name, version);
      this.loading.set(key, p);
    }
    try {
      const model = await p;
      this.models.set(key, { model, hits: 0 });
      while (this.models.size > this.cfg.serving.cache_size) this.models.delete(this.models.keys().next().value!);
      return model;
    } finally {
      this.loading.delete(key);
    }
  }

  private plan(service: string): ServicePlan {
    let p = this.plans.get(service);
    if (!p) {
      const resolved = resolveFeatureRefs(this.o.config, { feature_service: service });
      const views = resolved.views.map((s) => ({
        joinKey: s.view.entity.join_key,
        refs: s.features.map((f) => `${s.view.name}:${f.name}`),
        names: s.features.map((f) => `${s.view.name}__${f.name}`),
      }));
      const bare = new Map<string, string[]>();
      for (const s of resolved.views) for (const f of s.features) bare.set(f.name, [...(bare.get(f.name) ?? []), `${s.view.name}__${f.name}`]);
      p = { views, bare };
      this.plans.set(service, p);
    }
    return p;
  }

  /** Online values and statuses of every feature of a service, per request. */
  private async onlineFeatures(service: string, requests: readonly Request[]): Promise<{ values: Record<string, FeatureValue>[]; statuses: Record<string, Status>[] }> {
    const plan = this.plan(service);
    const values: Record<string, FeatureValue>[] = requests.map(() => ({}));
    const statuses: Record<string, Status>[] = requests.map(() => ({}));
    // Requests grouped by which entity keys they give; usually one group.
    const groups = new Map<string, number[]>();
    requests.forEach((r, i) => {
      const sig = plan.views.map((v) => (r[v.joinKey as keyof Request] === undefined ? '0' : '1')).join('');
      const group = groups.get(sig);
      if (group) group.push(i);
      else groups.set(sig, [i]);
    });
    for (const [sig, idx] of groups) {
      const present = plan.views.filter((_, k) => sig[k] === '1');
      for (const v of plan.views.filter((_, k) => sig[k] === '0')) {
        for (const i of idx) for (const n of v.names) {
          values[i]![n] = null;
          statuses[i]![n] = 'NOT_FOUND';
        }
      }
      if (present.length === 0) continue;
      const keys = [...new Set(present.map((v) => v.joinKey))];
      const entities = Object.fromEntries(keys.map((k) => [k, idx.map((i) => requests[i]![k as keyof Request] as string | number)]));
      const res = await getOnlineFeatures(
        { entities, features: present.flatMap((v) => v.refs), full_feature_names: true },
        { workspace: this.o.workspace, store: this.o.store, config: this.o.config, ...(this.o.now ? { now: this.o.now } : {}) },
      );
      const names = res.metadata.feature_names;
      for (let c = keys.length; c < names.length; c++) {
        const col = res.results[c]!;
        const n = names[c]!;
        for (let k = 0; k < idx.length; k++) {
          values[idx[k]!]![n] = col.values[k] ?? null;
          statuses[idx[k]!]![n] = col.statuses[k] as Status;
        }
      }
    }
    return { values, statuses };
  }

  private overrideName(plan: ServicePlan, name: string, model: LoadedModel, lenient: boolean): string | null {
    if (model.featureNames.includes(name)) return name;
    const full = plan.bare.get(name)?.filter((f) => model.featureNames.includes(f));
    if (full?.length === 1) return full[0]!;
    if (lenient) return null;
    if (full && full.length > 1) throw new AppError('INVALID_INPUT', `feature "${name}" is ambiguous; name one of ${full.join(', ')}`, { feature: name, candidates: full });
    throw new AppError('INVALID_INPUT', `feature "${name}" is not an input of ${model.name} version ${model.version} (its inputs: ${model.featureNames.join(', ')})`, { feature: name });
  }

  /** `ignoreUnknownFeatures`: request values that are not model inputs are skipped instead of refused (the trip-message route). */
  async predict(raw: PredictInput, opts: { ignoreUnknownFeatures?: boolean } = {}): Promise<PredictOutput> {
    const started = performance.now();
    const parsed = PredictInputSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new AppError('INVALID_INPUT', `predict: ${issue.path.join('.') || '(input)'}: ${issue.message}`, { path: issue.path.join('.') });
    }
    return this.predictParsed(parsed.data, opts, started);
  }

  /** For callers whose input the contract already parsed (the models.predict handler). */
  async predictParsed(input: z.output<typeof PredictInputSchema>, opts: { ignoreUnknownFeatures?: boolean } = {}, started = performance.now()): Promise<PredictOutput> {
    const name = input.model ?? this.cfg.registered_model;
    const { champion_alias, challenger_alias } = this.cfg.serving;

    // Which version serves each request.
    const routes: { version: string; variant: Variant }[] = [];
    if (input.version || input.alias) {
      const version = input.version ?? (await this.resolveAlias(name, input.alias!));
      if (!version) throw new AppError('NOT_FOUND', `model ${name} has no alias "${input.alias}"`, { model: name, alias: input.alias });
      for (let k = 0; k < input.requests.length; k++) routes.push({ version, variant: null });
      this.counts.pinned += input.requests.length;
    } else {
      const champion = await this.resolveAlias(name, champion_alias);
      const challenger = this.share > 0 ? await this.resolveAlias(name, challenger_alias) : null;
      const fallback = champion ?? (await this.latestVersion(name));
      if (!fallback) throw new AppError('NOT_FOUND', `model ${name} has no versions to serve; train one first (taxi-mlops train)`, { model: name });
      for (const r of input.requests) {
        if (challenger && tripBucket(r.trip_id) < this.share) {
          routes.push({ version: challenger, variant: 'challenger' });
          this.counts.challenger++;
        } else {
          routes.push({ version: fallback, variant: champion ? 'champion' : null });
          if (champion) this.counts.champion++;
          else this.counts.pinned++;
        }
      }
    }
    this.counts.total += input.requests.length;

    const versions = [...new Set(routes.map((r) => r.version))];
    const loaded = new Map<string, LoadedModel>();
    for (const v of versions) loaded.set(v, await this.model(name, v));

    // Online features once per feature service (normally the one every version was trained on).
    const services = [...new Set([...loaded.values()].map((m) => m.spec.feature_service))];
    const online = new Map<string, Awaited<ReturnType<Predictor['onlineFeatures']>>>();
    for (const svc of services) online.set(svc, await this.onlineFeatures(svc, input.requests));

    const rows: Record<string, FeatureValue>[] = new Array(input.requests.length);
    const statuses: Record<string, Status>[] = new Array(input.requests.length);
    input.requests.forEach((r, i) => {
      const m = loaded.get(routes[i]!.version)!;
      const o = online.get(m.spec.feature_service)!;
      const row: Record<string, FeatureValue> = {};
      const st: Record<string, Status> = {};
      for (const f of m.featureNames) {
        row[f] = o.values[i]![f] ?? null;
        st[f] = o.statuses[i]![f] ?? 'NOT_FOUND';
      }
      if (r.features) {
        const plan = this.plan(m.spec.feature_service);
        for (const [k, v] of Object.entries(r.features)) {
          const f = this.overrideName(plan, k, m, opts.ignoreUnknownFeatures ?? false);
          if (f === null) continue;
          row[f] = v;
          st[f] = 'REQUEST';
        }
      }
      rows[i] = row;
      statuses[i] = st;
    });

    const predictions = new Float64Array(input.requests.length);
    for (const [v, m] of loaded) {
      const idx: number[] = [];
      routes.forEach((r, i) => r.version === v && idx.push(i));
      const out = m.predictRows(idx.length === rows.length ? rows : idx.map((i) => rows[i]!));
      idx.forEach((i, k) => (predictions[i] = out[k]!));
    }
    return {
      predictions: input.requests.map((r, i) => ({
        trip_id: r.trip_id,
        prediction: predictions[i]!,
        model_name: name,
        model_version: routes[i]!.version,
        variant: routes[i]!.variant,
        feature_statuses: statuses[i]!,
        features: rows[i]!,
      })),
      latency_ms: performance.now() - started,
    };
  }

  async state(model?: string): Promise<ServingState> {
    const name = model ?? this.cfg.registered_model;
    const served = async (alias: string): Promise<ServingState['champion']> => {
      const version = await this.resolveAlias(name, alias);
      if (!version) return { alias, version: null, run_id: null, algorithm: null, rmse: null };
      const mv = await this.o.registry.getModelVersion(name, version);
      const tag = (k: string): string | null => mv.tags.find((t) => t.key === k)?.value ?? null;
      const rmse = tag('taxi.rmse');
      return { alias, version, run_id: mv.run_id || null, algorithm: tag(TAGS.algorithm), rmse: rmse === null ? null : Number(rmse) };
    };
    return {
      model: name,
      feature_service: this.cfg.feature_service,
      champion: await served(this.cfg.serving.champion_alias),
      challenger: await served(this.cfg.serving.challenger_alias),
      challenger_share: this.share,
      cache: {
        size: this.models.size,
        capacity: this.cfg.serving.cache_size,
        loaded: [...this.models.values()].map(({ model: m, hits }) => ({ model: m.name, version: m.version, algorithm: m.algorithm, loaded_at: new Date(m.loadedAt).toISOString(), hits })),
        hits: this.counts.hits,
        misses: this.counts.misses,
        invalidations: this.counts.invalidations,
      },
      predictions: { total: this.counts.total, champion: this.counts.champion, challenger: this.counts.challenger, pinned: this.counts.pinned },
    };
  }
}

/** The app's predictor: one per Services, dropped with its resources (e.g. on a profile switch). */
export function getPredictor(s: Services): Promise<Predictor> {
  return s.resource(
    'models-predictor',
    async () => {
      const p = new Predictor({ registry: await getRegistry(s), store: await getOnlineStore(s), config: s.workspace.config, workspace: s.workspace });
      const unsubscribe = s.events.subscribe((e) => {
        if (e.event === 'registry.changed' && ['alias', 'version', 'model'].includes(e.payload.entity)) p.invalidate();
        else if (e.event === 'jobs.progress' && e.payload.kind === 'models.train' && e.payload.status === 'succeeded') p.invalidate();
      });
      return Object.assign(p, { unsubscribe });
    },
    (p) => p.unsubscribe(),
  );
}
