/**
 * Secrets never land in the workspace or the output: a cluster profile whose Redis password comes from
 * TAXI_SECRETS_FILE (a password-protected redis-server of the test's own, on a free port) and whose MLflow token comes
 * from the environment, driven through the CLI (import, transform, materialize into Redis) and through
 * `serve` with an API token (health, registry, online reads, profiles), plus a run with a wrong password.
 * Then every file under the workspace (logs, databases, reports, rejects, config) and every line printed
 * is searched for each secret value.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initWorkspace } from '../../src-main/platform/workspace.js';
import { runCli } from '../faults/cli-child.js';
import { startServeChild, type ServeChild } from '../load/harness.js';
import { ensureService } from '../helpers/services.js';

const SECRETS = {
  redis: `redis-pw-${Math.random().toString(36).slice(2)}-Zq9`,
  mlflow: `mlflow-token-${Math.random().toString(36).slice(2)}-Xk4`,
  api: `api-token-${Math.random().toString(36).slice(2)}-Wm7`,
  wrong: `wrong-pw-${Math.random().toString(36).slice(2)}-Vn2`,
};
let REDIS_PORT = 0;

let dir: string;
let ws: string;
let redis: ChildProcess | undefined;
let serve: ServeChild | undefined;
const printed: string[] = [];
let env: Record<string, string>;

/** A port nothing listens on now (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().once('error', reject).once('listening', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.listen(0, '127.0.0.1');
  });
}

async function redisAnswers(): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.createConnection({ host: '127.0.0.1', port: REDIS_PORT }, () => c.write('PING\r\n'));
      c.once('data', (d) => {
        c.destroy();
        resolve(d.toString().startsWith('-NOAUTH'));
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`redis-server on ${REDIS_PORT} did not come up`);
}

beforeAll(async () => {
  const mlflow = await ensureService('mlflow');
  if (!mlflow) throw new Error('MLflow is needed for the cluster profile of this test');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taxi-sec-secrets-'));
  REDIS_PORT = await freePort();
  fs.mkdirSync(path.join(dir, 'redis'));
  redis = spawn('redis-server', ['--port', String(REDIS_PORT), '--bind', '127.0.0.1', '--requirepass', SECRETS.redis, '--save', '', '--appendonly', 'no', '--dir', path.join(dir, 'redis')], { stdio: 'ignore' });
  await redisAnswers();

  ws = path.join(dir, 'ws');
  initWorkspace(ws);
  const file = path.join(ws, 'config.yaml');
  const config = parseYaml(fs.readFileSync(file, 'utf8')) as { active_profile: string; profiles: Record<string, Record<string, unknown>> };
  config.profiles.cluster = {
    kind: 'cluster',
    description: 'security test',
    online_store: { type: 'redis', connection_string: `redis://127.0.0.1:${REDIS_PORT}`, mode: 'standalone', password: { secret: 'redis-password' } },
    bus: { type: 'local', path: 'streams.db' },
    registry: { type: 'mlflow', tracking_uri: mlflow.url, token: { secret: 'mlflow-token' } },
  };
  config.active_profile = 'cluster';
  fs.writeFileSync(file, toYaml(config));

  const secretsFile = path.join(dir, 'secrets.json');
  fs.writeFileSync(secretsFile, JSON.stringify({ 'redis-password': SECRETS.redis }), { mode: 0o600 });
  env = { TAXI_SECRETS_FILE: secretsFile, TAXI_SECRET_MLFLOW_TOKEN: SECRETS.mlflow, TAXI_LOG_LEVEL: 'debug' };
}, 240_000);

afterAll(async () => {
  await serve?.stop();
  redis?.kill('SIGKILL');
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function cli(args: string[], extra: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  const r = await runCli(ws, args, { ...env, ...extra });
  printed.push(r.output);
  return r;
}

function filesUnder(root: string): string[] {
  return fs
    .readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

describe('secrets stay out of files and output on a cluster profile', () => {
  it('a full pass with the right secrets, a serve session and a wrong password leave no secret anywhere', { timeout: 600_000 }, async () => {
    const sample = path.resolve(import.meta.dirname, '../../resources/data/chicago_taxi_trips_sample.csv');
    expect((await cli(['import', sample])).code).toBe(0);
    expect((await cli(['features', 'transform'])).code).toBe(0);
    const mat = await cli(['features', 'materialize', '2013-01-01T00:00:00Z', new Date().toISOString()]);
    expect(mat.code, mat.output.slice(-1500)).toBe(0);

    serve = await startServeChild(ws, { ...env, TAXI_API_TOKEN: SECRETS.api });
    const call = async (method: string, input: unknown = {}): Promise<string> => {
      const res = await fetch(`${serve!.url}/api/rpc/${method}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRETS.api}` }, body: JSON.stringify(input) });
      const text = await res.text();
      printed.push(text);
      return text;
    };
    const health = JSON.parse(await call('system.health')) as { ok: boolean; result: { name: string; status: string }[] | { services: { name: string; status: string }[] } };
    expect(health.ok).toBe(true);
    // The Redis behind the password answered: the secret was used, not just kept.
    expect(JSON.stringify(health.result)).toMatch(/redis[^}]*"status":"ok"/);
    expect(JSON.parse(await call('registry.experiments.list', {})).ok).toBe(true);
    const online = JSON.parse(await call('features.getOnline', { features: ['area_demand:trips_1h'], entities: { pickup_community_area: [8, 32] } })) as { ok: boolean };
    expect(online.ok).toBe(true);
    if (JSON.parse(await call('system.info')).ok) await call('settings.profiles').catch(() => '');
    // Wrong tokens and a failing call, so the error paths log too.
    printed.push(await (await fetch(`${serve.url}/api/rpc/system.info`, { method: 'POST', headers: { authorization: `Bearer ${SECRETS.wrong}` }, body: '{}' })).text());
    await serve.stop();
    serve = undefined;

    const wrongFile = path.join(dir, 'wrong-secrets.json');
    fs.writeFileSync(wrongFile, JSON.stringify({ 'redis-password': SECRETS.wrong }), { mode: 0o600 });
    const wrong = await cli(['features', 'materialize', '2013-01-01T00:00:00Z', new Date().toISOString()], { TAXI_SECRETS_FILE: wrongFile });
    expect(wrong.code).not.toBe(0);
    expect(wrong.output).toMatch(/redis|Redis|auth|password/i);

    const files = filesUnder(ws);
    expect(files.some((f) => f.includes(`${path.sep}logs${path.sep}`))).toBe(true);
    const hits: string[] = [];
    for (const f of files) {
      const bytes = fs.readFileSync(f);
      for (const [name, value] of Object.entries(SECRETS)) {
        if (bytes.includes(value) || bytes.includes(Buffer.from(value).toString('base64'))) hits.push(`${name} in ${path.relative(ws, f)}`);
      }
    }
    for (const [i, out] of printed.entries()) {
      for (const [name, value] of Object.entries(SECRETS)) if (out.includes(value)) hits.push(`${name} in output #${i}`);
    }
    console.log(`searched ${files.length} workspace files and ${printed.length} outputs for ${Object.keys(SECRETS).length} secrets`);
    expect(hits).toEqual([]);
  });
});
