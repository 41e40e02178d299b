/**
 * Workspace logs: size-based rotation that keeps a few files (and survives several writers), the file
 * list, tails filtered by level and text, and the live follower behind `logs.tail` + `logs.line`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import { dispatch } from '../../src-main/api/dispatch.js';
import { LogFollower, listLogFiles, readTail } from '../../src-main/platform/log-files.js';
import { RotatingFile, rotatedName } from '../../src-main/platform/logging.js';
import { openServices, type Services } from '../../src-main/platform/services.js';
import { tempWorkspace } from '../helpers/workspace.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taxi-logs-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const lines = (file: string): string[] => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);

describe('rotation', () => {
  it('rotates by size, keeps `keep` old files, and loses no line of the kept ones', () => {
    const file = path.join(dir, 'rot', 'app.log');
    const dest = new RotatingFile(file, { maxBytes: 2000, keep: 2 });
    const log = pino({ base: null }, dest);
    for (let i = 0; i < 200; i++) log.info({ i }, 'x'.repeat(20));
    dest.end();
    expect(fs.readdirSync(path.dirname(file)).sort()).toEqual(['app.1.log', 'app.2.log', 'app.log']);
    for (const f of [file, rotatedName(file, 1), rotatedName(file, 2)]) expect(fs.statSync(f).size).toBeLessThan(2000 + 200);
    // The kept files hold the newest lines, contiguous and in order.
    const seq = [rotatedName(file, 2), rotatedName(file, 1), file].flatMap(lines).map((l) => (JSON.parse(l) as { i: number }).i);
    expect(seq.at(-1)).toBe(199);
    expect(seq).toEqual(Array.from({ length: seq.length }, (_, k) => 200 - seq.length + k));
  });

  it('a second writer follows the first one’s rotation instead of writing into the rotated file', async () => {
    const file = path.join(dir, 'two', 'api.log');
    const a = new RotatingFile(file, { maxBytes: 500, keep: 3 });
    const b = new RotatingFile(file, { maxBytes: 500, keep: 3 });
    a.write(`${'a'.repeat(600)}\n`); // a rotates: app.log → api.1.log
    await new Promise((r) => setTimeout(r, 250));
    b.write('b-after-rotation\n');
    a.end();
    b.end();
    expect(lines(file)).toEqual(['b-after-rotation']);
    expect(lines(rotatedName(file, 1))).toEqual(['a'.repeat(600)]);
  });

  it('names rotated files before the extension', () => {
    expect(rotatedName('/x/logs/streams.log', 3)).toBe('/x/logs/streams.3.log');
  });
});

describe('listing and tails', () => {
  const logs = (): string => path.join(dir, 'ws-logs');
  beforeAll(() => {
    fs.mkdirSync(logs(), { recursive: true });
    const app = pino({ base: { subsystem: 'app' }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ dest: path.join(logs(), 'app.log'), sync: true }));
    app.info('services opened');
    app.warn({ resource: 'bus' }, 'resource did not close cleanly');
    app.error({ code: 'UNAVAILABLE' }, 'redis unreachable');
    app.debug('quiet');
    fs.appendFileSync(path.join(logs(), 'app.log'), 'a plain line from elsewhere\n');
    fs.writeFileSync(path.join(logs(), 'streams.log'), '');
    fs.writeFileSync(path.join(logs(), 'app.1.log'), '{"level":30,"msg":"old"}\n');
    fs.writeFileSync(path.join(logs(), 'integration_test_report.json'), '{\n  "passed": 3\n}\n');
    fs.writeFileSync(path.join(logs(), 'notes.txt'), 'not a log');
  });

  it('lists live files first (app, api, features, streams), then the report, then rotated ones', () => {
    const files = listLogFiles(logs());
    expect(files.map((f) => [f.name, f.subsystem, f.rotated])).toEqual([
      ['app.log', 'app', false],
      ['streams.log', 'streams', false],
      ['integration_test_report.json', 'report', false],
      ['app.1.log', 'app', true],
    ]);
    expect(files[0]!.size).toBe(fs.statSync(path.join(logs(), 'app.log')).size);
  });

  it('parses pino lines, keeps other lines as text, and filters by minimum level and text', () => {
    const file = path.join(logs(), 'app.log');
    const all = readTail(file, 'app.log', 100);
    expect(all.entries.map((e) => [e.level, e.msg])).toEqual([
      ['info', 'services opened'],
      ['warn', 'resource did not close cleanly'],
      ['error', 'redis unreachable'],
      [null, 'a plain line from elsewhere'],
    ]);
    expect(all.entries[1]).toMatchObject({ subsystem: 'app', fields: { resource: 'bus' } });
    expect(all.entries[0]!.time).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(readTail(file, 'app.log', 100, { level: 'warn' }).entries.map((e) => e.msg)).toEqual(['resource did not close cleanly', 'redis unreachable']);
    expect(readTail(file, 'app.log', 100, { text: 'UNAVAIL' }).entries.map((e) => e.msg)).toEqual(['redis unreachable']);
    expect(readTail(file, 'app.log', 2).entries.map((e) => e.msg)).toEqual(['redis unreachable', 'a plain line from elsewhere']);
  });

  it('follows appended lines, a rotation, and a file that appears later', async () => {
    const got: { file: string; msg: string }[] = [];
    const f = new LogFollower(logs(), (file, entries) => got.push(...entries.map((e) => ({ file, msg: e.msg }))), 50);
    try {
      fs.appendFileSync(path.join(logs(), 'app.log'), '{"level":30,"msg":"one"}\n{"level":40,"msg":"tw');
      await vi.waitFor(() => expect(got).toEqual([{ file: 'app.log', msg: 'one' }]));
      fs.appendFileSync(path.join(logs(), 'app.log'), 'o"}\n');
      await vi.waitFor(() => expect(got.map((g) => g.msg)).toEqual(['one', 'two']));
      fs.renameSync(path.join(logs(), 'app.log'), path.join(logs(), 'app.2.log'));
      fs.writeFileSync(path.join(logs(), 'app.log'), '{"level":30,"msg":"after rotation"}\n');
      fs.writeFileSync(path.join(logs(), 'features.log'), '{"level":30,"msg":"features hello"}\n');
      await vi.waitFor(() => expect(got.map((g) => g.msg).sort()).toEqual(['after rotation', 'features hello', 'one', 'two']));
    } finally {
      f.close();
    }
  });
});

describe('logs.* over the contract', () => {
  let ws: ReturnType<typeof tempWorkspace>;
  let s: Services;
  beforeAll(async () => {
    ws = tempWorkspace('taxi-logs-api-');
    s = await openServices({ workspace: ws.dir, mode: 'server' });
  });
  afterAll(async () => {
    await s.close();
    ws.cleanup();
  });

  it('lists the workspace logs, tails one, and pushes new lines as logs.line events', async () => {
    const files = await dispatch(s, 'logs.files', {});
    expect(files.ok && (files.result as { files: { name: string }[] }).files.map((f) => f.name)).toContain('app.log');
    const seen: { file: string; msgs: string[] }[] = [];
    s.events.subscribe((e) => {
      if (e.event === 'logs.line') seen.push({ file: e.payload.file, msgs: e.payload.entries.map((x) => x.msg) });
    });
    const tail = await dispatch(s, 'logs.tail', { file: 'app.log', level: 'info' });
    expect(tail.ok).toBe(true);
    if (tail.ok) expect((tail.result as { entries: { msg: string }[] }).entries.map((e) => e.msg)).toContain('services opened');
    s.log.app.warn({ marker: 42 }, 'live line for the tail');
    await vi.waitFor(() => expect(seen.some((x) => x.file === 'app.log' && x.msgs.includes('live line for the tail'))).toBe(true), { timeout: 5000 });
  });

  it('refuses names outside logs/ with a clear error', async () => {
    for (const file of ['../config.yaml', '.hidden.log', 'config.yaml']) {
      const r = await dispatch(s, 'logs.tail', { file });
      expect(r.ok === false && ['INVALID_INPUT', 'NOT_FOUND'].includes(r.error.code), file).toBe(true);
    }
    const missing = await dispatch(s, 'logs.tail', { file: 'nope.log' });
    expect(missing.ok === false && missing.error).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('have: ') });
  });
});
