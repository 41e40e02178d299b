/**
 * What can be checked of packaging and deployment without the Electron binary or a Docker engine:
 * electron-builder.yml passes electron-builder's own schema and names the four installers; its asarUnpack
 * globs match the native files actually installed; the icons exist at the sizes their names claim;
 * deploy/compose.yaml stands up what the cluster profile expects; the release workflow builds on all
 * three OSes. `docker compose config` runs too where a Docker CLI exists.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_CONFIG_YAML, parseConfig } from '../../src-main/platform/config.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const read = (p: string): string => fs.readFileSync(path.join(ROOT, p), 'utf8');
const require = createRequire(import.meta.url);

interface BuilderConfig {
  appId: string;
  productName: string;
  directories: { buildResources: string; output: string };
  files: string[];
  extraResources: { from: string; to: string }[];
  asar: boolean;
  asarUnpack: string[];
  npmRebuild: boolean;
  linux: { target: string[]; icon: string };
  mac: { target: string[]; icon: string };
  win: { target: string[]; icon: string };
}

const builder = parse(read('electron-builder.yml')) as BuilderConfig;
const pkg = JSON.parse(read('package.json')) as { productName: string; main: string; dependencies: Record<string, string>; build?: unknown };

/** A glob as electron-builder reads asarUnpack patterns: `**` any depth, `*` within one name, {a,b} alternatives. */
function globRegex(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
      if (glob[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '{') {
      const end = glob.indexOf('}', i);
      re += `(${glob.slice(i + 1, end).split(',').map((s) => s.replace(/[.+^$()|[\]\\]/g, '\\$&')).join('|')})`;
      i = end;
    } else re += c.replace(/[.+^$()|[\]\\?]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Files under the glob's fixed prefix that match it. */
function matches(glob: string): string[] {
  const fixed = glob.split('/').filter((_, i, parts) => !parts.slice(0, i + 1).some((p) => /[*{]/.test(p)));
  const base = path.join(ROOT, ...fixed);
  if (!fs.existsSync(base)) return [];
  const re = globRegex(glob);
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const abs = path.join(dir, e.name);
      if (e.isDirectory()) walk(abs);
      else if (re.test(path.relative(ROOT, abs).split(path.sep).join('/'))) found.push(abs);
    }
  };
  walk(base);
  return found;
}

function pngSize(file: string): { width: number; height: number } {
  const b = fs.readFileSync(file);
  expect(b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), `${file} is a PNG`).toBe(true);
  expect(b.subarray(12, 16).toString('ascii')).toBe('IHDR');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

describe('electron-builder.yml', () => {
  it("passes electron-builder's own configuration schema", async () => {
    const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as { validateConfiguration: (c: unknown, l: unknown) => Promise<void> };
    const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
    await expect(validateConfiguration(structuredClone(builder), new DebugLogger(false))).resolves.toBeUndefined();
    // The schema does catch mistakes, so passing means something.
    await expect(validateConfiguration({ ...structuredClone(builder), asarUnpacked: [] }, new DebugLogger(false))).rejects.toThrow(/asarUnpacked/);
    // One source of truth: no `build` key in package.json competing with the file.
    expect(pkg.build).toBeUndefined();
  });

  it('names the app and builds AppImage + deb, dmg and nsis', () => {
    expect(builder.appId).toMatch(/^[a-z][a-z0-9-]*(\.[a-z0-9-]+){2,}$/);
    expect(builder.productName).toBe(pkg.productName);
    expect(builder.linux.target.sort()).toEqual(['AppImage', 'deb']);
    expect(builder.mac.target).toEqual(['dmg']);
    expect(builder.win.target).toEqual(['nsis']);
    expect(builder.directories.buildResources).toBe('build');
  });

  it('packs the built app: the main entry is under files, the bundled resources exist', () => {
    expect(pkg.main).toBe('out/main/index.js');
    expect(builder.files).toContain('out/**');
    expect(globRegex('out/**').test(pkg.main)).toBe(true);
    for (const r of builder.extraResources) expect(fs.statSync(path.join(ROOT, r.from)).isDirectory()).toBe(true);
    expect(fs.existsSync(path.join(ROOT, 'resources', 'data'))).toBe(true);
  });

  it('unpacks the native modules from asar, and every asarUnpack glob matches real files', () => {
    expect(builder.asar).toBe(true);
    expect(builder.npmRebuild).toBe(true);
    for (const glob of builder.asarUnpack) {
      if (glob.startsWith('out/') && !fs.existsSync(path.join(ROOT, 'out/main'))) continue; // not built yet
      expect(matches(glob).length, `${glob} matches no file`).toBeGreaterThan(0);
    }
    const unpacked = builder.asarUnpack.flatMap(matches).map((f) => path.relative(ROOT, f).split(path.sep).join('/'));
    expect(unpacked).toContain('node_modules/better-sqlite3/build/Release/better_sqlite3.node');
    expect(unpacked.some((f) => /^node_modules\/@duckdb\/node-bindings-[a-z0-9]+-[a-z0-9]+\/duckdb\.node$/.test(f))).toBe(true);
    // Both are runtime dependencies, so electron-builder packs them at all.
    expect(Object.keys(pkg.dependencies)).toEqual(expect.arrayContaining(['better-sqlite3', '@duckdb/node-api']));
    // Every native addon that is installed for production is covered by some glob.
    const natives = matches('node_modules/**/*.node').map((f) => path.relative(ROOT, f).split(path.sep).join('/'));
    const prod = natives.filter((f) => /^node_modules\/(better-sqlite3|@duckdb)\//.test(f) && !/\/(obj|obj\.target|test)\b|test_extension/.test(f));
    for (const f of prod) expect(builder.asarUnpack.some((g) => globRegex(g).test(f)), f).toBe(true);
  });

  it('has icons in build/ at the sizes their names claim', () => {
    const main = pngSize(path.join(ROOT, builder.mac.icon));
    expect(main.width).toBe(main.height);
    expect(main.width).toBeGreaterThanOrEqual(512);
    expect(builder.win.icon).toBe(builder.mac.icon);
    const dir = path.join(ROOT, builder.linux.icon);
    const names = fs.readdirSync(dir).filter((n) => n.endsWith('.png'));
    expect(names.length).toBeGreaterThanOrEqual(5);
    for (const n of names) {
      const m = /^(\d+)x(\d+)\.png$/.exec(n);
      expect(m, n).not.toBeNull();
      expect(pngSize(path.join(dir, n))).toEqual({ width: Number(m![1]), height: Number(m![2]) });
    }
    expect(names).toEqual(expect.arrayContaining(['16x16.png', '32x32.png', '256x256.png', '512x512.png']));
  });
});

describe('deploy/compose.yaml', () => {
  const compose = parse(read('deploy/compose.yaml')) as {
    services: Record<string, { image: string; command?: string[]; ports?: string[]; environment?: Record<string, string>; healthcheck?: { test: string[] } }>;
  };
  const cluster = parseConfig(DEFAULT_CONFIG_YAML, 'config.yaml').profiles.cluster!;
  const hostPort = (ports: string[] | undefined): number[] => (ports ?? []).map((p) => Number(p.split(':')[0]));

  it('has Redis, Kafka and MLflow, each with a health check', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['kafka', 'mlflow', 'redis']);
    for (const [name, svc] of Object.entries(compose.services)) {
      expect(svc.image, name).toMatch(/^[\w./-]+:[\w.-]+$/);
      expect(svc.healthcheck?.test.length, name).toBeGreaterThan(0);
    }
  });

  it('runs Redis with a memory cap and allkeys-lru eviction', () => {
    const cmd = compose.services.redis!.command!;
    expect(cmd[0]).toBe('redis-server');
    expect(cmd[cmd.indexOf('--maxmemory') + 1]).toMatch(/^\$\{REDIS_MAXMEMORY:-\d+[kmg]b\}$/);
    expect(cmd[cmd.indexOf('--maxmemory-policy') + 1]).toBe('allkeys-lru');
    expect(cmd).toContain('--requirepass');
  });

  it('runs one Kafka 3.x node in KRaft mode (broker + controller, no ZooKeeper)', () => {
    const k = compose.services.kafka!;
    expect(k.image).toMatch(/:3\.\d+\.\d+$/);
    expect(k.environment!.KAFKA_PROCESS_ROLES!.split(',').sort()).toEqual(['broker', 'controller']);
    expect(k.environment!.KAFKA_CONTROLLER_QUORUM_VOTERS).toMatch(/^1@kafka:\d+$/);
    expect(JSON.stringify(k)).not.toMatch(/zookeeper/i);
  });

  it('serves MLflow with artifacts, on the ports the default cluster profile names', () => {
    const cmd = compose.services.mlflow!.command!;
    expect(cmd.slice(0, 2)).toEqual(['mlflow', 'server']);
    expect(cmd).toContain('--serve-artifacts');
    const ports = {
      redis: hostPort(compose.services.redis!.ports),
      kafka: hostPort(compose.services.kafka!.ports),
      mlflow: hostPort(compose.services.mlflow!.ports),
    };
    expect(cluster.online_store.type === 'redis' && Number(new URL(cluster.online_store.connection_string).port)).toBe(ports.redis[0]);
    expect(cluster.bus.type === 'kafka' && Number(cluster.bus.brokers[0]!.split(':')[1])).toBe(ports.kafka[0]);
    expect(cluster.registry.type === 'mlflow' && Number(new URL(cluster.registry.tracking_uri).port)).toBe(ports.mlflow[0]);
    expect(Number(cmd[cmd.indexOf('--port') + 1])).toBe(ports.mlflow[0]);
  });

  it('is accepted by `docker compose config` where Docker exists', () => {
    let hasDocker = true;
    try {
      execFileSync('docker', ['compose', 'version'], { stdio: 'ignore' });
    } catch {
      hasDocker = false;
    }
    if (!hasDocker) {
      console.info('docker compose is not installed here: run "docker compose -f deploy/compose.yaml config" where it is');
      return;
    }
    const out = execFileSync('docker', ['compose', '-f', path.join(ROOT, 'deploy/compose.yaml'), 'config', '--quiet'], { env: { ...process.env, REDIS_PASSWORD: 'x' } });
    expect(out.toString()).toBe('');
  });
});

describe('.github/workflows/release.yml', () => {
  const wf = parse(read('.github/workflows/release.yml')) as {
    on: { push: { tags: string[] } };
    jobs: Record<string, { 'runs-on': string; strategy?: { matrix: { include: { os: string; target: string }[] } }; steps: { run?: string; uses?: string }[]; needs?: string }>;
  };

  it('builds the installers on Linux, macOS and Windows runners', () => {
    expect(wf.on.push.tags).toEqual(['v*.*.*']);
    const job = wf.jobs.installers!;
    expect(job['runs-on']).toBe('${{ matrix.os }}');
    const include = job.strategy!.matrix.include;
    expect(include.map((i) => i.os).sort()).toEqual(['macos-latest', 'ubuntu-latest', 'windows-latest']);
    const byOs = Object.fromEntries(include.map((i) => [i.os, i.target]));
    expect(byOs['ubuntu-latest']).toBe('--linux AppImage deb');
    expect(byOs['macos-latest']).toBe('--mac dmg');
    expect(byOs['windows-latest']).toBe('--win nsis');
    const runs = job.steps.map((s) => s.run ?? s.uses ?? '');
    const order = ['npm ci', 'npx electron-vite build', 'npx electron-builder ${{ matrix.target }} --publish never'].map((r) => runs.indexOf(r));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // The tests it runs exist.
    const testStep = runs.find((r) => r.startsWith('npx vitest run'))!;
    for (const f of testStep.split(' ').filter((w) => w.endsWith('.test.ts'))) expect(fs.existsSync(path.join(ROOT, f)), f).toBe(true);
    expect(wf.jobs.publish!.needs).toBe('installers');
  });
});
