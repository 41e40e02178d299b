/**
 * Connection profiles at run time: list them with the status of their secrets, edit them in config.yaml
 * (comments and the rest of the file kept), test each service with a real connection, and switch the
 * active one — which rebuilds the engines of a running app without a restart.
 */
import fs from 'node:fs';
import { Kafka } from 'kafkajs';
import { parseDocument } from 'yaml';
import type { ProfileView, SecretStatus, ServiceTest } from '../api/methods/settings.js';
import { openOnlineStore } from '../engines/features/online/index.js';
import { getScheduler } from '../engines/features/runtime.js';
import { openRegistryStore } from '../engines/registry/index.js';
import { openBus } from '../engines/streams/index.js';
import { kafkaConfigOf } from '../engines/streams/kafka/client.js';
import { parseConfig, type Config } from './config.js';
import { AppError, errorShape } from './errors.js';
import { followWorkspaceLogs } from './log-files.js';
import { createLogger } from './logging.js';
import type { Profile } from './profile-schema.js';
import { envNameOf, secretSource, writableSecretStore, type SecretStore } from './secrets.js';
import type { Services } from './services.js';
import { openWorkspace, workspacePaths, type Workspace } from './workspace.js';

/** Every { secret: NAME } a profile names, with the key path that names it. */
export function secretRefsOf(name: string, p: Profile): { name: string; used_by: string }[] {
  const at = (key: string): string => `profiles.${name}.${key}`;
  const refs: { name: string; used_by: string }[] = [];
  const add = (ref: { secret: string } | undefined, key: string): void => {
    if (ref) refs.push({ name: ref.secret, used_by: at(key) });
  };
  if (p.online_store.type === 'redis') {
    add(p.online_store.password, 'online_store.password');
    add(p.online_store.tls?.key, 'online_store.tls.key');
  }
  if (p.bus.type === 'kafka') {
    add(p.bus.sasl?.password, 'bus.sasl.password');
    add(p.bus.tls?.key, 'bus.tls.key');
  }
  if (p.registry.type === 'mlflow') add(p.registry.token, 'registry.token');
  return refs;
}

export function secretStatuses(name: string, p: Profile): SecretStatus[] {
  return secretRefsOf(name, p).map((r) => {
    const source = secretSource(r.name);
    return { ...r, status: source ? 'set' : 'not_set', source };
  });
}

export function profileView(config: Config, name: string): ProfileView {
  const p = config.profiles[name];
  if (!p) throw new AppError('NOT_FOUND', `no profile "${name}" (have: ${Object.keys(config.profiles).join(', ')})`, { profile: name });
  return { name, active: config.active_profile === name, kind: p.kind, description: p.description ?? null, profile: p, secrets: secretStatuses(name, p) };
}

export function secretStoreInfo(): { kind: 'keychain' | 'file' | null; writable: boolean; hint: string } {
  const store = writableSecretStore();
  if (!store) {
    return {
      kind: null,
      writable: false,
      hint: 'Secrets cannot be stored from here: set TAXI_SECRET_<NAME> in the environment of the server, or name a 0600 JSON file with TAXI_SECRETS_FILE.',
    };
  }
  return store.kind === 'keychain'
    ? { kind: 'keychain', writable: true, hint: `Stored encrypted by the operating system's keychain (${store.location}).` }
    : { kind: 'file', writable: true, hint: `Stored in ${store.location} (readable by its owner only).` };
}

export function listProfiles(s: Services): { active: string; profiles: ProfileView[]; secret_store: ReturnType<typeof secretStoreInfo> } {
  const config = s.workspace.config;
  return {
    active: config.active_profile,
    profiles: Object.keys(config.profiles).map((n) => profileView(config, n)),
    secret_store: secretStoreInfo(),
  };
}

/**
 * Rebuilds the engines on the config now on disk (Services.reload, or the same steps for a hand-built
 * Services). Background work the operator had on — the feature scheduler, the live log tail — is started
 * again on the new profile rather than silently left off.
 */
export async function reloadServices(s: Services): Promise<string[]> {
  const schedulerWasOn = (await getScheduler(s)).running;
  let closed: string[];
  if (s.reload) closed = await s.reload();
  else {
    s.workspace = openWorkspace(s.workspace.paths.root);
    await s.closeResources();
    closed = [];
  }
  if (closed.includes('log-follower')) await followWorkspaceLogs(s);
  if (schedulerWasOn) (await getScheduler(s)).start(false);
  return closed;
}

// ---------- editing config.yaml ----------

/**
 * Sets one setting of config.yaml (comments and layout kept), checked as a whole config first, so a
 * change made in the console outlives a restart. The running services keep the new value in memory.
 */
export function saveConfigSetting(s: Services, keyPath: readonly string[], value: unknown): Promise<void> {
  return serialized(async () => {
    const config = editConfig(s.workspace.paths.config, (doc) => doc.setIn([...keyPath], value));
    s.workspace.config = config;
  });
}

let editing: Promise<unknown> = Promise.resolve();

/** Edits of config.yaml run one at a time, so two saves never interleave their read and write. */
function serialized<T>(fn: () => Promise<T>): Promise<T> {
  const run = editing.then(fn, fn);
  editing = run.catch(() => undefined);
  return run;
}

/**
 * Applies `edit` to the YAML document of config.yaml, checks the result as a whole config, and replaces
 * the file atomically (same permissions). The file on disk is never left half written or invalid.
 */
function editConfig(file: string, edit: (doc: ReturnType<typeof parseDocument>) => void): Config {
  const text = fs.readFileSync(file, 'utf8');
  const doc = parseDocument(text);
  edit(doc);
  const next = doc.toString();
  const config = parseConfig(next, file);
  const tmp = `${file}.${process.pid}.tmp`;
  const mode = fs.statSync(file).mode & 0o777;
  fs.writeFileSync(tmp, next, { mode });
  fs.renameSync(tmp, file);
  return config;
}

/** Credentials have no place in URLs that end up in config.yaml. */
function refuseInlineCredentials(name: string, p: Profile): void {
  const urls: [string, string][] = [];
  if (p.online_store.type === 'redis') urls.push([p.online_store.connection_string, 'online_store.connection_string']);
  if (p.registry.type === 'mlflow') urls.push([p.registry.tracking_uri, 'registry.tracking_uri']);
  for (const [url, key] of urls) {
    let password = '';
    try {
      password = new URL(url.split(',')[0]!).password;
    } catch {
      // Left to the schema and the engines, which name the key.
    }
    if (password) {
      throw new AppError('INVALID_INPUT', `profiles.${name}.${key}: the URL carries a password; give it as a secret instead (it is stored encrypted, not in config.yaml)`, {
        key: `profiles.${name}.${key}`,
      });
    }
  }
}

export interface SaveProfileInput {
  name: string;
  profile: Profile;
  secrets: Record<string, string | null>;
}

export function saveProfile(s: Services, input: SaveProfileInput): Promise<ProfileView> {
  return serialized(async () => {
    const { name, profile } = input;
    refuseInlineCredentials(name, profile);
    const named = new Set(secretRefsOf(name, profile).map((r) => r.name));
    const entries = Object.entries(input.secrets);
    for (const [secret] of entries) {
      if (!named.has(secret)) {
        throw new AppError('INVALID_INPUT', `secret "${secret}" is not named by profile ${name} (it names: ${[...named].join(', ') || 'none'})`, { secret, profile: name });
      }
    }
    let store: SecretStore | null = null;
    if (entries.length > 0) {
      store = writableSecretStore();
      if (!store) {
        const names = entries.map(([n]) => envNameOf(n)).join(', ');
        throw new AppError('UNAVAILABLE', `no secret store here to save ${entries.map(([n]) => n).join(', ')}: set ${names} in the server's environment, or name a 0600 JSON file with TAXI_SECRETS_FILE`, {
          secrets: entries.map(([n]) => n),
        });
      }
    }
    const file = s.workspace.paths.config;
    // The config is checked with the new profile before any secret is touched, and written after them,
    // so a refused profile changes nothing and a saved profile never names a secret that failed to store.
    const candidate = parseDocument(fs.readFileSync(file, 'utf8'));
    candidate.setIn(['profiles', name], structuredClone(profile));
    parseConfig(candidate.toString(), file);
    for (const [secret, value] of entries) {
      if (value === null) store!.delete(secret);
      else await store!.set(secret, value);
    }
    const config = editConfig(file, (doc) => doc.setIn(['profiles', name], structuredClone(profile)));
    const wasActive = config.active_profile === name;
    // Saving the active profile changes what the engines connect to: rebuild them like a switch.
    if (wasActive) await reloadServices(s);
    else s.workspace = { ...s.workspace, config };
    s.log.app.info({ profile: name, kind: profile.kind, secrets: entries.map(([n, v]) => ({ name: n, stored: v !== null })) }, 'profile saved');
    s.events.publish('settings.changed', { reason: 'saved', active_profile: config.active_profile, kind: s.workspace.profile.kind, profile: name });
    return profileView(config, name);
  });
}

export function deleteProfile(s: Services, name: string): Promise<{ deleted: string }> {
  return serialized(async () => {
    const current = s.workspace.config;
    if (!current.profiles[name]) throw new AppError('NOT_FOUND', `no profile "${name}" (have: ${Object.keys(current.profiles).join(', ')})`, { profile: name });
    if (current.active_profile === name) {
      throw new AppError('CONFLICT', `profile ${name} is active; activate another one before deleting it`, { profile: name });
    }
    const config = editConfig(s.workspace.paths.config, (doc) => doc.deleteIn(['profiles', name]));
    s.workspace = { ...s.workspace, config };
    s.log.app.info({ profile: name }, 'profile deleted');
    s.events.publish('settings.changed', { reason: 'deleted', active_profile: config.active_profile, kind: s.workspace.profile.kind, profile: name });
    return { deleted: name };
  });
}

export interface ActivateResult {
  active: string;
  previous: string;
  kind: 'embedded' | 'cluster';
  closed_resources: string[];
  running_jobs: number;
  took_ms: number;
}

export function activateProfile(s: Services, name: string): Promise<ActivateResult> {
  return serialized(async () => {
    const t0 = performance.now();
    const previous = s.workspace.config.active_profile;
    if (!s.workspace.config.profiles[name]) {
      throw new AppError('NOT_FOUND', `no profile "${name}" (have: ${Object.keys(s.workspace.config.profiles).join(', ')})`, { profile: name });
    }
    editConfig(s.workspace.paths.config, (doc) => doc.set('active_profile', name));
    const closed = await reloadServices(s);
    const running = s.jobs.list({ status: 'running' }).length + s.jobs.list({ status: 'queued' }).length;
    const result: ActivateResult = {
      active: name,
      previous,
      kind: s.workspace.profile.kind,
      closed_resources: closed,
      running_jobs: running,
      took_ms: Math.round((performance.now() - t0) * 10) / 10,
    };
    s.log.app.info({ ...result }, 'profile activated');
    s.events.publish('settings.changed', { reason: 'activated', active_profile: name, kind: result.kind, profile: name });
    return result;
  });
}

// ---------- connection tests ----------

/** The workspace as it would be with `profile` active, for opening its backends without switching. */
export function workspaceWith(ws: Workspace, name: string, profile: Profile): Workspace {
  const config: Config = { ...ws.config, active_profile: name, profiles: { ...ws.config.profiles, [name]: profile } };
  return { config, paths: workspacePaths(ws.paths.root, config), profile: { name, ...profile } };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new AppError('TIMEOUT', `${what}: no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Refused connections are the common case of "unreachable"; say it in words, with the address. */
function reasonOf(e: unknown, target: string): { code: string; message: string } {
  const shape = errorShape(e);
  const raw = `${shape.message} ${String((e as { cause?: { code?: string } })?.cause?.code ?? '')}`;
  if (/ECONNREFUSED/.test(raw)) return { code: 'UNAVAILABLE', message: `unreachable: nothing is listening at ${target} (connection refused)` };
  if (/ENOTFOUND|EAI_AGAIN/.test(raw)) return { code: 'UNAVAILABLE', message: `unreachable: host of ${target} not found (DNS)` };
  if (/ETIMEDOUT|timeout|within \d+ ms/i.test(raw)) return { code: shape.code === 'INTERNAL' ? 'TIMEOUT' : shape.code, message: `unreachable: ${target} did not answer in time (${shape.message})` };
  if (/WRONGPASS|NOAUTH|invalid username-password|SASL|Authentication|401|403/i.test(raw)) {
    return { code: 'UNAUTHENTICATED', message: `reached ${target}, but it refused the credentials: ${shape.message}` };
  }
  return { code: shape.code, message: shape.message };
}

async function timedTest(
  service: ServiceTest['service'],
  kind: ServiceTest['kind'],
  target: string,
  timeoutMs: number,
  run: () => Promise<string>,
): Promise<ServiceTest> {
  const t0 = performance.now();
  try {
    const message = await withTimeout(run(), timeoutMs, target);
    return { service, kind, target, status: 'ok', latency_ms: Math.round((performance.now() - t0) * 100) / 100, message, code: null };
  } catch (e) {
    const r = reasonOf(e, target);
    return { service, kind, target, status: 'down', latency_ms: null, message: r.message, code: r.code };
  }
}

const redacted = (url: string): string => {
  try {
    const u = new URL(url);
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
};

async function testOnline(ws: Workspace, timeoutMs: number): Promise<ServiceTest> {
  const o = ws.profile.online_store;
  const target = o.type === 'sqlite' ? ws.paths.onlineDb : redacted(o.connection_string);
  return timedTest('online_store', o.type, target, timeoutMs, async () => {
    const store = await openOnlineStore(ws, { connectTimeoutMs: timeoutMs });
    try {
      const ping = await store.ping();
      return ping.detail;
    } finally {
      await store.close();
    }
  });
}

async function testBus(ws: Workspace, timeoutMs: number): Promise<ServiceTest> {
  const b = ws.profile.bus;
  const logger = createLogger(ws.paths.logsDir, 'streams');
  if (b.type === 'local') {
    return timedTest('bus', 'local', ws.paths.streamsDb, timeoutMs, async () => {
      const bus = openBus(ws, { logger });
      try {
        const topics = await bus.listTopics();
        return `embedded log, ${topics.length} topic${topics.length === 1 ? '' : 's'}`;
      } finally {
        await bus.close();
      }
    });
  }
  const where = `profiles.${ws.profile.name}.bus`;
  return timedTest('bus', 'kafka', b.brokers.join(','), timeoutMs, async () => {
    // One attempt, no retries: a test should say "down" at once, not after kafkajs's backoff.
    const cfg = kafkaConfigOf(b, logger, where);
    const admin = new Kafka({ ...cfg, connectionTimeout: Math.min(timeoutMs, 3000), retry: { retries: 0 } }).admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      const topics = await admin.listTopics();
      return `${cluster.brokers.length} broker${cluster.brokers.length === 1 ? '' : 's'} (controller ${cluster.controller ?? 'unknown'}), ${topics.length} topics`;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  });
}

async function testRegistry(ws: Workspace, timeoutMs: number): Promise<ServiceTest> {
  const r = ws.profile.registry;
  const target = r.type === 'sqlite' ? ws.paths.registryDb : redacted(r.tracking_uri);
  return timedTest('registry', r.type, target, timeoutMs, async () => {
    const store = await openRegistryStore(ws);
    try {
      const page = await store.searchExperiments({ max_results: 100 });
      const n = page.items.length;
      return `${r.type === 'sqlite' ? 'embedded registry' : 'MLflow tracking server'}, ${n}${page.next_page_token ? '+' : ''} experiment${n === 1 ? '' : 's'}`;
    } finally {
      await store.close();
    }
  });
}

export interface TestInput {
  name?: string | undefined;
  profile?: Profile | undefined;
  timeout_ms: number;
}

export async function testProfile(s: Services, input: TestInput): Promise<{ profile: string | null; ok: boolean; services: ServiceTest[] }> {
  const name = input.name ?? null;
  let profile = input.profile;
  if (!profile) {
    profile = s.workspace.config.profiles[name!];
    if (!profile) throw new AppError('NOT_FOUND', `no profile "${name}" (have: ${Object.keys(s.workspace.config.profiles).join(', ')})`, { profile: name });
  }
  const ws = workspaceWith(s.workspace, name ?? 'draft', profile);
  const services = await Promise.all([testOnline(ws, input.timeout_ms), testBus(ws, input.timeout_ms), testRegistry(ws, input.timeout_ms)]);
  s.log.app.info({ profile: name ?? 'draft', results: services.map((r) => ({ service: r.service, status: r.status, ms: r.latency_ms, code: r.code })) }, 'profile tested');
  return { profile: name, ok: services.every((r) => r.status === 'ok'), services };
}
