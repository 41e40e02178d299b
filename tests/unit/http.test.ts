import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startHttpServer, type HttpServer } from '../../src-main/api/http.js';
import { openServices, type Services } from '../../src-main/platform/services.js';
import { tempWorkspace } from '../helpers/workspace.js';

let s: Services;
let server: HttpServer;
let cleanup: () => void;
let staticDir: string;

const rpc = async (method: string, body?: unknown, init: RequestInit = {}) => {
  const res = await fetch(`${server.url}/api/rpc/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? '{}' : JSON.stringify(body),
    ...init,
  });
  return { status: res.status, body: (await res.json()) as { ok: boolean; result?: unknown; error?: { code: string; message: string; details?: Record<string, unknown> } } };
};

beforeAll(async () => {
  const t = tempWorkspace();
  cleanup = t.cleanup;
  s = await openServices({ workspace: t.dir, mode: 'server' });
  staticDir = fs.mkdtempSync(path.join(os.tmpdir(), 'taxi-static-'));
  fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>console</title>');
  server = await startHttpServer({ services: s, port: 0, staticDir });
});
afterAll(async () => {
  await server.close();
  await s.close();
  cleanup();
  fs.rmSync(staticDir, { recursive: true, force: true });
});

describe('HTTP server', () => {
  it('binds to 127.0.0.1 by default', () => {
    expect(server.host).toBe('127.0.0.1');
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('serves a contract method over POST /api/rpc', async () => {
    const r = await rpc('system.info');
    expect(r.status).toBe(200);
    expect(r.body.ok).toBe(true);
    expect(r.body.result).toMatchObject({ mode: 'server', profile: 'local', workspace: s.workspace.paths.root });
  });

  it('answers bad input with 400 and the typed error', async () => {
    const r = await rpc('jobs.list', { limit: 'ten' });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'INVALID_INPUT', details: { fields: [{ path: 'limit' }] } });
  });

  it('answers unknown methods and routes with 404', async () => {
    expect((await rpc('nope.nothing')).status).toBe(404);
    const res = await fetch(`${server.url}/api/unknown`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  it('refuses malformed JSON and oversized bodies with typed errors', async () => {
    const bad = await fetch(`${server.url}/api/rpc/jobs.list`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"limit":' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    const small = await startHttpServer({ services: s, port: 0, staticDir, bodyLimitBytes: 1024 });
    try {
      const big = await fetch(`${small.url}/api/rpc/jobs.list`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ x: 'a'.repeat(5000) }) });
      expect(big.status).toBe(413);
      expect(await big.json()).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    } finally {
      await small.close();
    }
  });

  it('lists the contract', async () => {
    const res = await fetch(`${server.url}/api/contract`);
    const body = (await res.json()) as { methods: { name: string; job: boolean }[]; events: string[] };
    expect(body.methods.find((m) => m.name === 'data.import')?.job).toBe(true);
    expect(body.events).toContain('jobs.progress');
  });

  it('streams job progress over the /api/events WebSocket', async () => {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/events`);
    await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
    const received: { event: string; payload: { id: string; status: string } }[] = [];
    ws.on('message', (d) => received.push(JSON.parse(String(d))));
    const job = s.jobs.start('system.sleep', { steps: 3, ms: 50 });
    await s.jobs.wait(job.id);
    await new Promise((r) => setTimeout(r, 100));
    ws.close();
    const mine = received.filter((m) => m.event === 'jobs.progress' && m.payload.id === job.id);
    expect(mine.length).toBeGreaterThanOrEqual(2);
    expect(mine.at(-1)!.payload.status).toBe('succeeded');
  });

  it('serves the console with security headers and falls back to index.html for deep links', async () => {
    const res = await fetch(`${server.url}/jobs/123`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<title>console</title>');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('says how to build when the console is missing', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'taxi-empty-'));
    const srv = await startHttpServer({ services: s, port: 0, staticDir: empty });
    try {
      const res = await fetch(`${srv.url}/`);
      expect(res.status).toBe(503);
      expect(await res.text()).toContain('npm run build');
    } finally {
      await srv.close();
      fs.rmSync(empty, { recursive: true });
    }
  });

  it('refuses a non-loopback address without a token', async () => {
    await expect(startHttpServer({ services: s, host: '0.0.0.0', port: 0, staticDir, token: '' })).rejects.toThrow(/without a token/);
  });

  it('requires the bearer token on /api when one is set', async () => {
    const srv = await startHttpServer({ services: s, port: 0, staticDir, token: 's3cret-token' });
    try {
      const no = await fetch(`${srv.url}/api/rpc/system.info`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      expect(no.status).toBe(401);
      const wrong = await fetch(`${srv.url}/api/rpc/system.info`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', authorization: 'Bearer nope' } });
      expect(wrong.status).toBe(401);
      for (const route of ['/mlflow/info', '/ajax-api/2.0/mlflow/experiments/search', '/kafka/topics']) {
        expect((await fetch(`${srv.url}${route}`)).status).toBe(401);
      }
      expect((await fetch(`${srv.url}/get-online-features`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status).toBe(401);
      // The console itself loads without a token; it sends the token on its API calls.
      expect((await fetch(`${srv.url}/`)).status).toBe(200);
      const yes = await fetch(`${srv.url}/api/rpc/system.info`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', authorization: 'Bearer s3cret-token' } });
      expect(yes.status).toBe(200);
      const logs = fs.readFileSync(path.join(s.workspace.paths.logsDir, 'api.log'), 'utf8');
      expect(logs).not.toContain('s3cret-token');
    } finally {
      await srv.close();
    }
  });
});
