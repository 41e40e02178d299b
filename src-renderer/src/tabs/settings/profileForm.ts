/**
 * The profile editor's model: a flat draft of strings and flags that the form binds to, built from a saved
 * profile and turned back into one. Fields the form does not show (CA files, Sentinel master, key TTL) are
 * carried over from the saved profile untouched. Validation uses the contract's own schema, so the inline
 * messages are the server's.
 */
import type { z } from 'zod';
import { ProfileSchema } from '../../../../src-main/platform/profile-schema';
import { PROFILE_NAME } from '../../../../src-main/api/methods/settings';

export type Profile = z.output<typeof ProfileSchema>;
type ProfileIn = z.input<typeof ProfileSchema>;

export type SecretSlot = 'redis' | 'kafka' | 'mlflow';

export interface SecretDraft {
  /** Name of the secret in the keychain (what config.yaml stores). */
  name: string;
  /** A new value typed in; '' keeps what is stored. */
  value: string;
  /** Remove the stored value on save (the profile keeps naming it, so it shows "not set"). */
  clear: boolean;
}

export interface Draft {
  name: string;
  kind: 'embedded' | 'cluster';
  description: string;
  onlineType: 'sqlite' | 'redis';
  onlinePath: string;
  redisUrl: string;
  redisMode: 'standalone' | 'cluster' | 'sentinel';
  redisTls: boolean;
  busType: 'local' | 'kafka';
  busPath: string;
  brokers: string;
  clientId: string;
  saslMechanism: '' | 'plain' | 'scram-sha-256' | 'scram-sha-512';
  saslUser: string;
  kafkaTls: boolean;
  registryType: 'sqlite' | 'mlflow';
  registryPath: string;
  mlflowUri: string;
  secrets: Record<SecretSlot, SecretDraft & { enabled: boolean }>;
}

const secret = (enabled: boolean, name: string): SecretDraft & { enabled: boolean } => ({ enabled, name, value: '', clear: false });

export function blankDraft(kind: 'embedded' | 'cluster' = 'cluster'): Draft {
  const cluster = kind === 'cluster';
  return {
    name: '',
    kind,
    description: '',
    onlineType: cluster ? 'redis' : 'sqlite',
    onlinePath: 'online.db',
    redisUrl: 'redis://127.0.0.1:6379',
    redisMode: 'standalone',
    redisTls: false,
    busType: cluster ? 'kafka' : 'local',
    busPath: 'streams.db',
    brokers: '127.0.0.1:9092',
    clientId: 'taxi-mlops',
    saslMechanism: '',
    saslUser: '',
    kafkaTls: false,
    registryType: cluster ? 'mlflow' : 'sqlite',
    registryPath: 'registry.db',
    mlflowUri: 'http://127.0.0.1:5000',
    secrets: { redis: secret(false, ''), kafka: secret(false, ''), mlflow: secret(false, '') },
  };
}

export function draftOf(name: string, p: Profile): Draft {
  const d = blankDraft(p.kind);
  d.name = name;
  d.description = p.description ?? '';
  const o = p.online_store;
  d.onlineType = o.type;
  if (o.type === 'sqlite') d.onlinePath = o.path;
  else {
    d.redisUrl = o.connection_string;
    d.redisMode = o.mode;
    d.redisTls = o.tls?.enabled ?? false;
    d.secrets.redis = secret(!!o.password, o.password?.secret ?? '');
  }
  const b = p.bus;
  d.busType = b.type;
  if (b.type === 'local') d.busPath = b.path;
  else {
    d.brokers = b.brokers.join(', ');
    d.clientId = b.client_id;
    d.saslMechanism = b.sasl?.mechanism ?? '';
    d.saslUser = b.sasl?.username ?? '';
    d.kafkaTls = b.tls?.enabled ?? false;
    d.secrets.kafka = secret(!!b.sasl, b.sasl?.password.secret ?? '');
  }
  const r = p.registry;
  d.registryType = r.type;
  if (r.type === 'sqlite') d.registryPath = r.path;
  else {
    d.mlflowUri = r.tracking_uri;
    d.secrets.mlflow = secret(!!r.token, r.token?.secret ?? '');
  }
  return d;
}

/** The default secret name for a slot of a profile, e.g. "cluster-redis-password". */
export const defaultSecretName = (profile: string, slot: SecretSlot): string =>
  `${profile || 'profile'}-${slot === 'redis' ? 'redis-password' : slot === 'kafka' ? 'kafka-password' : 'mlflow-token'}`;

const secretNameOf = (d: Draft, slot: SecretSlot): string => d.secrets[slot].name.trim() || defaultSecretName(d.name, slot);
/** A slot is referenced when switched on; switching it off drops the reference, the stored value stays. */
const uses = (d: Draft, slot: SecretSlot): boolean => d.secrets[slot].enabled;

export function profileOf(d: Draft, base?: Profile): ProfileIn {
  const baseOnline = base?.online_store.type === d.onlineType ? base.online_store : undefined;
  const baseBus = base?.bus.type === d.busType ? base.bus : undefined;
  const online: ProfileIn['online_store'] =
    d.onlineType === 'sqlite'
      ? { type: 'sqlite', path: d.onlinePath.trim() }
      : (() => {
          const prev = baseOnline?.type === 'redis' ? baseOnline : undefined;
          const { password: _p, tls: prevTls, ...rest } = prev ?? { tls: undefined };
          return {
            ...rest,
            type: 'redis' as const,
            connection_string: d.redisUrl.trim(),
            mode: d.redisMode,
            ...(uses(d, 'redis') ? { password: { secret: secretNameOf(d, 'redis') } } : {}),
            ...(d.redisTls || prevTls ? { tls: { ...(prevTls ?? {}), enabled: d.redisTls } } : {}),
          };
        })();
  const bus: ProfileIn['bus'] =
    d.busType === 'local'
      ? { type: 'local', path: d.busPath.trim() }
      : (() => {
          const prev = baseBus?.type === 'kafka' ? baseBus : undefined;
          return {
            type: 'kafka' as const,
            brokers: d.brokers
              .split(/[\s,]+/)
              .map((s) => s.trim())
              .filter(Boolean),
            client_id: d.clientId.trim() || 'taxi-mlops',
            ...(d.saslMechanism && uses(d, 'kafka') ? { sasl: { mechanism: d.saslMechanism, username: d.saslUser.trim(), password: { secret: secretNameOf(d, 'kafka') } } } : {}),
            ...(d.kafkaTls || prev?.tls ? { tls: { ...(prev?.tls ?? {}), enabled: d.kafkaTls } } : {}),
          };
        })();
  const registry: ProfileIn['registry'] =
    d.registryType === 'sqlite'
      ? { type: 'sqlite', path: d.registryPath.trim() }
      : { type: 'mlflow', tracking_uri: d.mlflowUri.trim(), ...(uses(d, 'mlflow') ? { token: { secret: secretNameOf(d, 'mlflow') } } : {}) };
  return { kind: d.kind, ...(d.description.trim() ? { description: d.description.trim() } : {}), online_store: online, bus, registry };
}

/** Values to store (or remove) with the save, keyed by secret name. */
export function secretsOf(d: Draft): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const slot of ['redis', 'kafka', 'mlflow'] as const) {
    const s = d.secrets[slot];
    if (!s.enabled) continue;
    if (slot === 'kafka' && !d.saslMechanism) continue;
    if ((slot === 'redis' && d.onlineType !== 'redis') || (slot === 'kafka' && d.busType !== 'kafka') || (slot === 'mlflow' && d.registryType !== 'mlflow')) continue;
    if (s.clear) out[secretNameOf(d, slot)] = null;
    else if (s.value !== '') out[secretNameOf(d, slot)] = s.value;
  }
  return out;
}

/** Names of the secrets a profile refers to. */
export function referencedSecrets(p: ProfileIn): string[] {
  const names: string[] = [];
  const o = p.online_store;
  if (o.type === 'redis') names.push(...[o.password?.secret, o.tls?.key?.secret].filter((n): n is string => !!n));
  const b = p.bus;
  if (b.type === 'kafka') names.push(...[b.sasl?.password.secret, b.tls?.key?.secret].filter((n): n is string => !!n));
  if (p.registry.type === 'mlflow' && p.registry.token) names.push(p.registry.token.secret);
  return names;
}

export type FieldErrors = Partial<Record<string, string>>;

const FIELD_OF: Record<string, string> = {
  'online_store.connection_string': 'redisUrl',
  'online_store.path': 'onlinePath',
  'bus.brokers': 'brokers',
  'bus.path': 'busPath',
  'bus.sasl.username': 'saslUser',
  'registry.tracking_uri': 'mlflowUri',
  'registry.path': 'registryPath',
};

export function checkDraft(d: Draft, base?: Profile): { errors: FieldErrors; profile: ProfileIn | null } {
  const errors: FieldErrors = {};
  if (!PROFILE_NAME.test(d.name)) errors.name = 'profile names are 1-40 lowercase letters, digits, "-" or "_"';
  const profile = profileOf(d, base);
  const parsed = ProfileSchema.safeParse(profile);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = issue.path.filter((p) => typeof p === 'string').join('.');
      const field = FIELD_OF[key] ?? (key.startsWith('bus.brokers') ? 'brokers' : 'form');
      errors[field] ??= issue.message;
    }
  }
  if (d.busType === 'kafka' && d.saslMechanism && !d.saslUser.trim()) errors.saslUser = 'a SASL user name is needed';
  return { errors, profile: Object.keys(errors).length === 0 ? profile : null };
}
