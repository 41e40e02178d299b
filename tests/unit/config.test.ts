import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_YAML, parseConfig, loadConfig } from '../../src-main/platform/config.js';
import { AppError } from '../../src-main/platform/errors.js';
import { initWorkspace, openWorkspace } from '../../src-main/platform/workspace.js';

function errorOf(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected an error');
}

describe('config.yaml', () => {
  it('the default config carries the platform guide settings and both profiles', () => {
    const c = parseConfig(DEFAULT_CONFIG_YAML, 'config.yaml');
    expect(c.scheduling).toEqual({ refresh_interval: 3600, materialization_interval: 1800, alert_interval: 300 });
    expect(Object.values(c.topics)).toEqual(
      expect.arrayContaining(['taxi-raw-data', 'taxi-features', 'taxi-predictions', 'taxi-model-metrics', 'taxi-alerts']),
    );
    expect(c.active_profile).toBe('local');
    expect(c.profiles.local!.online_store.type).toBe('sqlite');
    expect(c.profiles.cluster!.online_store).toMatchObject({ type: 'redis', connection_string: 'redis://127.0.0.1:6379' });
    expect(c.profiles.cluster!.bus).toMatchObject({ type: 'kafka', brokers: ['127.0.0.1:9092'] });
    expect(c.profiles.cluster!.registry).toMatchObject({ type: 'mlflow' });
    expect(c.features.trip_features).toContain('trip_distance');
    expect(c.offline_store.path).toBe('offline');
  });

  it('names the file, line and key path of a wrong type', () => {
    const bad = DEFAULT_CONFIG_YAML.replace('refresh_interval: 3600', 'refresh_interval: hourly');
    const e = errorOf(() => parseConfig(bad, '/ws/config.yaml'));
    expect(e.code).toBe('INVALID_CONFIG');
    expect(e.message).toMatch(/^\/ws\/config\.yaml:\d+: scheduling\.refresh_interval: expected number/);
    const line = bad.split('\n').findIndex((l) => l.includes('refresh_interval: hourly')) + 1;
    expect(e.message).toContain(`config.yaml:${line}:`);
  });

  it('rejects unknown keys, naming them', () => {
    const bad = DEFAULT_CONFIG_YAML.replace('scheduling:\n', 'scheduling:\n  refresh_intervall: 10\n');
    const e = errorOf(() => parseConfig(bad, 'config.yaml'));
    expect(e.message).toContain('scheduling: unknown key "refresh_intervall"');
  });

  it('rejects an active profile that is not defined and lists the defined ones', () => {
    const bad = DEFAULT_CONFIG_YAML.replace('active_profile: local', 'active_profile: staging');
    const e = errorOf(() => parseConfig(bad, 'config.yaml'));
    expect(e.message).toContain('active_profile: profile "staging" is not defined under profiles (have: local, cluster)');
  });

  it('explains a bad enum value with the allowed values', () => {
    const bad = DEFAULT_CONFIG_YAML.replace('mode: standalone', 'mode: clustered');
    const e = errorOf(() => parseConfig(bad, 'config.yaml'));
    expect(e.message).toContain('profiles.cluster.online_store.mode: expected one of "standalone", "cluster", "sentinel"');
  });

  it('checks broker addresses and the redis URL scheme', () => {
    const bad = DEFAULT_CONFIG_YAML.replace('brokers: [127.0.0.1:9092]', 'brokers: [kafka-without-port]');
    expect(errorOf(() => parseConfig(bad, 'c.yaml')).message).toContain('profiles.cluster.bus.brokers[0]: expected host:port');
    const bad2 = DEFAULT_CONFIG_YAML.replace('connection_string: redis://127.0.0.1:6379', 'connection_string: http://x');
    expect(errorOf(() => parseConfig(bad2, 'c.yaml')).message).toContain('profiles.cluster.online_store.connection_string');
  });

  it('reports YAML syntax errors with line and column', () => {
    const e = errorOf(() => parseConfig('version: 1\nprofiles: [unclosed\n', 'broken.yaml'));
    expect(e.code).toBe('INVALID_CONFIG');
    expect(e.message).toMatch(/^broken\.yaml:\d+:\d+: YAML syntax error/);
    expect(errorOf(() => parseConfig('a: 1\na: 2\n', 'dup.yaml')).message).toMatch(/dup\.yaml:2:\d+: YAML syntax error/);
  });

  it('refuses a document that is not a mapping, and a missing file', () => {
    expect(errorOf(() => parseConfig('- just\n- a list\n', 'list.yaml')).message).toContain('list.yaml: expected a mapping');
    expect(errorOf(() => loadConfig('/nonexistent/config.yaml')).message).toMatch(/cannot read config \(ENOENT\).*taxi-mlops init/);
  });

  it('init creates the workspace layout and keeps an existing config', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taxi-init-'));
    try {
      const first = initWorkspace(dir);
      expect(first.created).toBe(true);
      for (const d of ['offline', 'rejects', 'artifacts', 'logs']) expect(fs.statSync(path.join(dir, d)).isDirectory()).toBe(true);
      const mode = fs.statSync(path.join(dir, 'config.yaml')).mode & 0o777;
      expect(mode).toBe(0o600);
      fs.writeFileSync(path.join(dir, 'config.yaml'), DEFAULT_CONFIG_YAML.replace('active_profile: local', 'active_profile: cluster'));
      const second = initWorkspace(dir);
      expect(second.created).toBe(false);
      expect(second.workspace.profile.name).toBe('cluster');
      expect(openWorkspace(dir).paths.registryDb).toBe(path.join(dir, 'registry.db'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('opening a folder without a workspace says how to create one', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taxi-none-'));
    expect(errorOf(() => openWorkspace(dir)).message).toContain('run "taxi-mlops init --workspace');
    fs.rmSync(dir, { recursive: true });
  });
});
