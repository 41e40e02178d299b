/**
 * Secrets entered in Settings: in the desktop app they go through safeStorage into the keyring file as
 * encrypted blobs, and no plain value lands anywhere on disk (the workspace and the user-data folder are
 * searched byte for byte). Without real encryption (Linux "basic_text") storing is refused. Headless, a
 * value is stored only in the 0600 TAXI_SECRETS_FILE, and environment variables are reported as the source.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('../stand-ins/electron.js'));

const { safeStorage, standIn } = await import('../stand-ins/electron.js');
const { createKeyring } = await import('../../src-main/desktop/secrets.js');
const { dispatch } = await import('../../src-main/api/dispatch.js');
const { openServices } = await import('../../src-main/platform/services.js');
const { resolveSecret, setSecretStore } = await import('../../src-main/platform/secrets.js');
const { initWorkspace } = await import('../../src-main/platform/workspace.js');

type Services = Awaited<ReturnType<typeof openServices>>;

let root: string;
let s: Services;
const VALUE = `pw-${process.pid}-Zq7!unique`;
const TOKEN = `mlflow-token-${process.pid}-Xy9`;

const profile = (extra: Record<string, unknown> = {}) => ({
  kind: 'cluster',
  online_store: { type: 'redis', connection_string: 'redis://127.0.0.1:6399', password: { secret: 'redis-password' } },
  bus: { type: 'kafka', brokers: ['127.0.0.1:9099'] },
  registry: { type: 'mlflow', tracking_uri: 'http://127.0.0.1:5099', token: { secret: 'mlflow-token' } },
  ...extra,
});

async function call<T>(method: string, input?: unknown): Promise<{ ok: true; result: T } | { ok: false; error: { code: string; message: string } }> {
  return (await dispatch(s, method, input)) as never;
}

/** Every file under a folder that contains the needle's bytes. */
function filesContaining(dir: string, needle: string): string[] {
  const hits: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && fs.readFileSync(p).includes(Buffer.from(needle))) hits.push(p);
    }
  };
  walk(dir);
  return hits;
}

beforeAll(async () => {
  standIn.reset();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'taxi-secrets-'));
  initWorkspace(path.join(root, 'workspace'));
  s = await openServices({ workspace: path.join(root, 'workspace'), mode: 'desktop' });
});

afterEach(() => {
  setSecretStore(null);
  delete process.env.TAXI_SECRETS_FILE;
  delete process.env.TAXI_SECRET_MLFLOW_TOKEN;
  safeStorage.available = true;
  safeStorage.backend = 'gnome_libsecret';
});

afterAll(async () => {
  await s?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('desktop keyring', () => {
  it('stores secrets through safeStorage, never in plain text, and reports them as set', async () => {
    const keyring = path.join(root, 'user-data', 'secrets.json');
    setSecretStore(createKeyring(keyring));
    const r = await call<{ secrets: { name: string; status: string; source: string | null }[] }>('settings.profile.save', {
      name: 'team',
      profile: profile(),
      secrets: { 'redis-password': VALUE, 'mlflow-token': TOKEN },
    });
    expect(r.ok).toBe(true);
    expect(safeStorage.calls.filter((c) => c.op === 'encrypt').map((c) => c.plain).sort()).toEqual([TOKEN, VALUE].sort());
    if (r.ok) {
      expect(r.result.secrets).toEqual([
        { name: 'redis-password', used_by: 'profiles.team.online_store.password', status: 'set', source: 'keychain' },
        { name: 'mlflow-token', used_by: 'profiles.team.registry.token', status: 'set', source: 'keychain' },
      ]);
    }
    // Nothing on disk holds a value: not config.yaml, not the keyring, not the logs.
    expect(filesContaining(root, VALUE)).toEqual([]);
    expect(filesContaining(root, TOKEN)).toEqual([]);
    const stored = JSON.parse(fs.readFileSync(keyring, 'utf8')) as { secrets: Record<string, string> };
    expect(Object.keys(stored.secrets).sort()).toEqual(['mlflow-token', 'redis-password']);
    // POSIX permissions: Windows protects the user-data folder by its ACL instead.
    if (process.platform !== 'win32') expect(fs.statSync(keyring).mode & 0o077).toBe(0);
    const config = fs.readFileSync(s.workspace.paths.config, 'utf8');
    expect(config).toContain('secret: redis-password');
    // The engines get the value back through the same keyring.
    expect(resolveSecret({ secret: 'redis-password' }, 'test')).toBe(VALUE);
    // settings.profiles never carries a value.
    const list = await call<unknown>('settings.profiles');
    expect(JSON.stringify(list)).not.toContain(VALUE);
    expect(JSON.stringify(list)).not.toContain(TOKEN);
  });

  it('a restarted app decrypts the stored values once, then removes one saved as null', async () => {
    safeStorage.calls.length = 0;
    const keyring = createKeyring(path.join(root, 'user-data', 'secrets.json'));
    await keyring.load();
    expect(safeStorage.calls.filter((c) => c.op === 'decrypt').map((c) => c.plain).sort()).toEqual([TOKEN, VALUE].sort());
    setSecretStore(keyring);
    expect(resolveSecret({ secret: 'mlflow-token' }, 'x')).toBe(TOKEN);
    const r = await call<{ secrets: { name: string; status: string }[] }>('settings.profile.save', { name: 'team', profile: profile(), secrets: { 'mlflow-token': null } });
    expect(r.ok && r.result.secrets.map((x) => [x.name, x.status])).toEqual([
      ['redis-password', 'set'],
      ['mlflow-token', 'not_set'],
    ]);
    expect(() => resolveSecret({ secret: 'mlflow-token' }, 'profiles.team.registry.token')).toThrow(/TAXI_SECRET_MLFLOW_TOKEN/);
    const again = createKeyring(path.join(root, 'user-data', 'secrets.json'));
    await again.load();
    expect(again.get('mlflow-token')).toBeUndefined();
    expect(again.get('redis-password')).toBe(VALUE);
  });

  it('a blob that no longer decrypts is named when used, not silently empty', async () => {
    const file = path.join(root, 'user-data', 'broken.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ version: 1, secrets: { 'redis-password': Buffer.from('garbage').toString('base64') } }));
    const keyring = createKeyring(file);
    await keyring.load();
    setSecretStore(keyring);
    expect(() => resolveSecret({ secret: 'redis-password' }, 'x')).toThrow(/cannot be decrypted.*store it again in Settings/);
  });

  it('refuses to store when the OS offers no real encryption, writing nothing', async () => {
    setSecretStore(createKeyring(path.join(root, 'user-data', 'secrets.json')));
    safeStorage.backend = 'basic_text';
    const before = fs.readFileSync(s.workspace.paths.config, 'utf8');
    const r = await call('settings.profile.save', { name: 'other', profile: profile(), secrets: { 'redis-password': 'another-value-123' } });
    expect(r.ok).toBe(false);
    if (!r.ok && process.platform === 'linux') {
      expect(r.error.code).toBe('UNAVAILABLE');
      expect(r.error.message).toMatch(/no keyring.*TAXI_SECRET_REDIS_PASSWORD/);
    }
    expect(fs.readFileSync(s.workspace.paths.config, 'utf8')).toBe(before);
    expect(filesContaining(root, 'another-value-123')).toEqual([]);
    safeStorage.available = false;
    const r2 = await call('settings.profile.save', { name: 'other', profile: profile(), secrets: { 'redis-password': 'another-value-123' } });
    expect(r2.ok === false && r2.error.message).toMatch(/safeStorage unavailable/);
  });

  it('refuses a secret the profile does not name', async () => {
    setSecretStore(createKeyring(path.join(root, 'user-data', 'secrets.json')));
    const r = await call('settings.profile.save', { name: 'team', profile: profile(), secrets: { 'kafka-password': 'x-123' } });
    expect(r.ok === false && r.error).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('not named by profile team') });
  });
});

describe('headless secrets', () => {
  it('without a store, a value is refused and the message names the environment variable', async () => {
    const r = await call('settings.profile.save', { name: 'team', profile: profile(), secrets: { 'redis-password': VALUE } });
    expect(r.ok === false && r.error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('TAXI_SECRET_REDIS_PASSWORD') });
    const list = await call<{ secret_store: { writable: boolean } }>('settings.profiles');
    expect(list.ok && list.result.secret_store.writable).toBe(false);
  });

  it('with TAXI_SECRETS_FILE, values go to that 0600 file only; env vars show as the source', async () => {
    const file = path.join(root, 'headless', 'secrets.json');
    process.env.TAXI_SECRETS_FILE = file;
    process.env.TAXI_SECRET_MLFLOW_TOKEN = TOKEN;
    const r = await call<{ secrets: { name: string; status: string; source: string | null }[] }>('settings.profile.save', {
      name: 'team',
      profile: profile(),
      secrets: { 'redis-password': `${VALUE}-file` },
    });
    expect(r.ok && r.result.secrets.map((x) => [x.name, x.source])).toEqual([
      ['redis-password', 'file'],
      ['mlflow-token', 'env'],
    ]);
    if (process.platform !== 'win32') expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(filesContaining(root, `${VALUE}-file`)).toEqual([file]);
    expect(resolveSecret({ secret: 'redis-password' }, 'x')).toBe(`${VALUE}-file`);
  });
});
