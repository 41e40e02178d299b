/**
 * The desktop app's local API switch (plain Node, no Electron needed): off by default, serves the
 * contract and the MLflow routes on 127.0.0.1 when switched on, remembers the choice across restarts,
 * needs a token off loopback (kept in the secret store, enforced by the server), and belongs to the desktop
 * app only.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../src-main/api/dispatch.js';
import { restoreLocalApi, stopLocalApi } from '../../src-main/platform/local-api.js';
import { openServices, type Services } from '../../src-main/platform/services.js';
import { tempWorkspace } from '../helpers/workspace.js';

type State = { available: boolean; enabled: boolean; running: boolean; url: string | null; host: string; port: number; token_set: boolean; message: string };

let ws: ReturnType<typeof tempWorkspace>;
let s: Services;

async function localApi(input: unknown): Promise<{ ok: true; result: State } | { ok: false; error: { code: string; message: string } }> {
  return (await dispatch(s, 'settings.local_api', input)) as never;
}

beforeAll(async () => {
  ws = tempWorkspace('taxi-local-api-');
  process.env.TAXI_SECRETS_FILE = path.join(ws.dir, 'private', 'secrets.json');
  s = await openServices({ workspace: ws.dir, mode: 'desktop' });
});

afterEach(async () => {
  await stopLocalApi(s);
});

afterAll(async () => {
  await s.close();
  delete process.env.TAXI_SECRETS_FILE;
  ws.cleanup();
});

describe('local API switch', () => {
  it('is off by default', async () => {
    const r = await localApi({});
    expect(r.ok && r.result).toMatchObject({ available: true, enabled: false, running: false, url: null, host: '127.0.0.1', token_set: false });
  });

  it('serves the contract and MLflow routes on loopback when on, and stops when off', async () => {
    const on = await localApi({ enabled: true, port: 0 });
    expect(on.ok).toBe(true);
    if (!on.ok) return;
    expect(on.result).toMatchObject({ enabled: true, running: true });
    expect(on.result.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const info = (await (await fetch(`${on.result.url}/api/rpc/system.info`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).json()) as { ok: boolean; result: { mode: string } };
    expect(info).toMatchObject({ ok: true, result: { mode: 'desktop' } });
    const exps = await fetch(`${on.result.url}/api/2.0/mlflow/experiments/search`, { method: 'POST', body: '{"max_results": 10}', headers: { 'content-type': 'application/json' } });
    expect(exps.status).toBe(200);
    // Remembered for the next start, with the port it asked for.
    expect(JSON.parse(fs.readFileSync(path.join(ws.dir, 'app-settings.json'), 'utf8'))).toEqual({ local_api: { enabled: true, host: '127.0.0.1', port: 0 } });
    const off = await localApi({ enabled: false });
    expect(off.ok && off.result).toMatchObject({ enabled: false, running: false, url: null });
    await expect(fetch(`${on.result.url}/api/ping`)).rejects.toThrow();
  });

  it('comes back on at start when it was left on', async () => {
    await localApi({ enabled: true, port: 0 });
    await stopLocalApi(s);
    const state = await restoreLocalApi(s);
    expect(state.running).toBe(true);
    expect((await fetch(`${state.url}/api/ping`)).status).toBe(200);
    await localApi({ enabled: false });
  });

  it('off loopback it needs a token, and the server then demands it', async () => {
    const refused = await localApi({ enabled: true, host: '0.0.0.0', port: 0 });
    expect(refused.ok === false && refused.error).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('needs a token') });
    const token = 'local-api-token-0123456789';
    const on = await localApi({ enabled: true, host: '0.0.0.0', port: 0, token });
    expect(on.ok && on.result).toMatchObject({ running: true, token_set: true, host: '0.0.0.0' });
    if (!on.ok) return;
    const url = `http://127.0.0.1:${on.result.port}`;
    expect((await fetch(`${url}/api/rpc/system.info`, { method: 'POST', body: '{}' })).status).toBe(401);
    const ok = await fetch(`${url}/api/rpc/system.info`, { method: 'POST', body: '{}', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
    expect(ok.status).toBe(200);
    // The token lives in the secret store, not in the settings file.
    expect(fs.readFileSync(path.join(ws.dir, 'app-settings.json'), 'utf8')).not.toContain(token);
    expect(fs.statSync(process.env.TAXI_SECRETS_FILE!).mode & 0o077).toBe(0);
    await localApi({ enabled: false, host: '127.0.0.1', token: null });
  });

  it('belongs to the desktop app: serve refuses to switch it', async () => {
    const server = await openServices({ workspace: ws.dir, mode: 'server' });
    try {
      const read = await dispatch(server, 'settings.local_api', {});
      expect(read.ok && (read.result as State)).toMatchObject({ available: false, running: false });
      const r = await dispatch(server, 'settings.local_api', { enabled: true });
      expect(r.ok === false && r.error.code).toBe('UNAVAILABLE');
    } finally {
      await server.close();
    }
  });
});
