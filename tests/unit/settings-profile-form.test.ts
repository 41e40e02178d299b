/**
 * The Settings editor's model (src-renderer/src/tabs/settings/profileForm.ts): a saved profile survives a
 * round trip through the form unchanged, fields the form does not show are kept, secrets map to names the
 * profile references, and inline errors are the contract schema's own, on the right field.
 */
import { describe, expect, it } from 'vitest';
import { ProfileSchema } from '../../src-main/platform/profile-schema.js';
import { DEFAULT_CONFIG_YAML, parseConfig } from '../../src-main/platform/config.js';
import { blankDraft, checkDraft, draftOf, profileOf, referencedSecrets, secretsOf } from '../../src-renderer/src/tabs/settings/profileForm.js';

const shipped = parseConfig(DEFAULT_CONFIG_YAML, 'config.yaml').profiles;

const full = ProfileSchema.parse({
  kind: 'cluster',
  description: 'team',
  online_store: {
    type: 'redis',
    connection_string: 'rediss://10.0.0.5:26379,10.0.0.6:26379',
    mode: 'sentinel',
    sentinel_master: 'taxi',
    password: { secret: 'team-redis' },
    tls: { enabled: true, ca_file: '/etc/ca.pem', reject_unauthorized: false },
    key_ttl_seconds: 86400,
  },
  bus: {
    type: 'kafka',
    brokers: ['k1:9093', 'k2:9093'],
    client_id: 'console',
    sasl: { mechanism: 'scram-sha-512', username: 'taxi', password: { secret: 'team-kafka' } },
    tls: { enabled: true, ca_file: '/etc/kafka-ca.pem' },
  },
  registry: { type: 'mlflow', tracking_uri: 'https://mlflow.example.org', token: { secret: 'team-mlflow' } },
});

describe('profile editor model', () => {
  it('round-trips the shipped profiles and a full cluster profile unchanged', () => {
    for (const [name, p] of [...Object.entries(shipped), ['team', full] as const]) {
      expect(ProfileSchema.parse(profileOf(draftOf(name, p), p)), name).toEqual(p);
    }
  });

  it('keeps fields the form does not show when a shown one changes', () => {
    const d = draftOf('team', full);
    d.redisUrl = 'rediss://10.0.0.7:26379';
    d.brokers = 'k3:9093, k4:9093 k5:9093';
    const p = ProfileSchema.parse(profileOf(d, full));
    expect(p.online_store).toMatchObject({ connection_string: 'rediss://10.0.0.7:26379', sentinel_master: 'taxi', key_ttl_seconds: 86400, tls: { ca_file: '/etc/ca.pem', reject_unauthorized: false } });
    expect(p.bus).toMatchObject({ brokers: ['k3:9093', 'k4:9093', 'k5:9093'], tls: { ca_file: '/etc/kafka-ca.pem' } });
  });

  it('sends typed secret values under the names the profile references, null to remove, nothing to keep', () => {
    const d = draftOf('team', full);
    d.secrets.redis.value = 'r-pass';
    d.secrets.mlflow.clear = true;
    const p = profileOf(d, full);
    expect(secretsOf(d)).toEqual({ 'team-redis': 'r-pass', 'team-mlflow': null });
    for (const name of Object.keys(secretsOf(d))) expect(referencedSecrets(p)).toContain(name);
    // A new password on a profile that had none gets a default name, referenced by the profile.
    const fresh = blankDraft('cluster');
    fresh.name = 'lab';
    fresh.secrets.redis = { enabled: true, name: '', value: 'x', clear: false };
    expect(secretsOf(fresh)).toEqual({ 'lab-redis-password': 'x' });
    expect(referencedSecrets(profileOf(fresh))).toEqual(['lab-redis-password']);
    // Switched off: the reference goes, the value is not sent.
    fresh.secrets.redis.enabled = false;
    expect(secretsOf(fresh)).toEqual({});
    expect(referencedSecrets(profileOf(fresh))).toEqual([]);
  });

  it('reports the schema’s messages on the fields they concern', () => {
    const d = blankDraft('cluster');
    d.name = 'Bad Name';
    d.redisUrl = 'http://x';
    d.brokers = 'nohostport';
    d.mlflowUri = 'not a uri';
    const { errors, profile } = checkDraft(d);
    expect(profile).toBeNull();
    expect(errors.name).toMatch(/lowercase/);
    const schemaMsg = (path: string[], value: unknown): string => {
      const bad = structuredClone(profileOf(blankDraft('cluster'))) as unknown as Record<string, Record<string, unknown>>;
      bad[path[0]!]![path[1]!] = value;
      const issue = ProfileSchema.safeParse(bad).error!.issues[0]!;
      return issue.message;
    };
    expect(errors.redisUrl).toBe(schemaMsg(['online_store', 'connection_string'], 'http://x'));
    expect(errors.brokers).toBe(schemaMsg(['bus', 'brokers'], ['nohostport']));
    expect(errors.mlflowUri).toBe(schemaMsg(['registry', 'tracking_uri'], 'not a uri'));
    d.name = 'ok';
    d.redisUrl = 'redis://h:1';
    d.brokers = 'h:2';
    d.mlflowUri = 'http://h:3';
    expect(checkDraft(d).profile).not.toBeNull();
  });
});
