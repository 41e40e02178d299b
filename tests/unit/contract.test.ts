import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { methodNames, methods, events, eventNames } from '../../src-main/api/contract.js';
import { dispatch } from '../../src-main/api/dispatch.js';
import { handlers } from '../../src-main/api/handlers.js';
import { openServices, type Services } from '../../src-main/platform/services.js';
import { tempWorkspace } from '../helpers/workspace.js';

let s: Services;
let cleanup: () => void;
beforeAll(async () => {
  const t = tempWorkspace();
  cleanup = t.cleanup;
  s = await openServices({ workspace: t.dir, mode: 'cli' });
});
afterAll(async () => {
  await s.close();
  cleanup();
});

describe('the contract', () => {
  it('declares the foundation methods and the jobs.progress event, each with a handler', () => {
    expect(methodNames).toEqual(
      expect.arrayContaining(['system.info', 'system.health', 'data.import', 'data.generate', 'data.summary', 'jobs.list', 'jobs.get', 'jobs.cancel']),
    );
    expect(eventNames).toContain('jobs.progress');
    expect(Object.keys(handlers).sort()).toEqual([...methodNames].sort());
    for (const m of methodNames) expect(methods[m].description.length).toBeGreaterThan(10);
    expect(events['jobs.progress']).toBeDefined();
  });

  it.each(methodNames)('%s refuses bad input with a typed INVALID_INPUT error naming the field', async (m) => {
    for (const bad of ['garbage', 42, [], { __bogus: true }]) {
      const res = await dispatch(s, m, bad);
      expect(res.ok).toBe(false);
      if (res.ok) return;
      expect(res.error.code).toBe('INVALID_INPUT');
      expect(res.error.message).toContain(`invalid input for ${m}`);
      expect(Array.isArray(res.error.details?.fields)).toBe(true);
    }
  });

  it('names the offending field and the rule', async () => {
    const res = await dispatch(s, 'data.generate', { rows: -5, seed: 1 });
    expect(res).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', details: { fields: [{ path: 'rows' }] } } });
    const drift = await dispatch(s, 'data.generate', { rows: 10, drift: 'sideways' });
    expect(drift.ok || drift.error.message).toMatch(/drift: .*"longer_trips"/);
    const dates = await dispatch(s, 'data.generate', { rows: 10, start: '2016-05-01', end: '2016-01-01' });
    expect(dates.ok || dates.error.message).toContain('end: start must be before end');
  });

  it('an unknown method is UNKNOWN_METHOD, a missing job NOT_FOUND', async () => {
    expect(await dispatch(s, 'system.reboot', {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_METHOD' } });
    expect(await dispatch(s, 'jobs.get', { id: 'nope' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', details: { id: 'nope' } } });
    expect(await dispatch(s, '__proto__', {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_METHOD' } });
  });

  it('valid calls answer with outputs that satisfy their own schema', async () => {
    for (const m of ['system.info', 'system.health', 'jobs.list'] as const) {
      const res = await dispatch(s, m, undefined);
      expect(res.ok).toBe(true);
      if (res.ok) expect(methods[m].output.safeParse(res.result).success).toBe(true);
    }
  });

  it('system.health reports every embedded service as ok with a latency', async () => {
    const res = await dispatch(s, 'system.health', {});
    if (!res.ok) throw new Error(res.error.message);
    const h = res.result as { status: string; services: { name: string; kind: string; status: string; latency_ms: number | null }[] };
    expect(h.status).toBe('ok');
    expect(h.services.map((x) => x.name)).toEqual(['workspace', 'app state', 'offline store', 'online store', 'stream log', 'model registry']);
    for (const svc of h.services) {
      expect(svc.status).toBe('ok');
      expect(svc.latency_ms).toBeGreaterThanOrEqual(0);
    }
  });
});
