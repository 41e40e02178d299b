/**
 * The streams side of the contract on the embedded bus, the platform guide's /kafka routes on serve,
 * live tail events over the WebSocket, and the CLI commands (run from source).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ApiResult, MethodName, Output } from '../../src-main/api/contract.js';
import { dispatch } from '../../src-main/api/dispatch.js';
import { startHttpServer, type HttpServer } from '../../src-main/api/http.js';
import type { TailEvent } from '../../src-main/api/methods/streams.js';
import { getBus } from '../../src-main/engines/streams/index.js';
import { openServices, type Services } from '../../src-main/platform/services.js';
import { tempWorkspace } from '../helpers/workspace.js';

const exec = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

let s: Services;
let server: HttpServer;
let dir: string;
let cleanup: () => void;
let staticDir: string;

const trip = (id: string, over: Record<string, unknown> = {}) => ({
  trip_id: id,
  pickup_datetime: '2024-01-01T10:00:00Z',
  dropoff_datetime: '2024-01-01T10:30:00Z',
  pickup_latitude: 41.88,
  pickup_longitude: -87.63,
  dropoff_latitude: 41.89,
  dropoff_longitude: -87.62,
  passenger_count: 2,
  trip_distance: 3.5,
  fare_amount: 12.5,
  ...over,
});

async function ok<M extends MethodName>(method: M, input: unknown): Promise<Output<M>> {
  const r = await dispatch(s, method, input);
  if (!r.ok) throw new Error(`${method}: ${r.error.code}: ${r.error.message}`);
  return r.result as never;
}
const fail = async (method: string, input: unknown) => (await dispatch(s, method, input)) as ApiResult<unknown> & { ok: false };

beforeAll(async () => {
  ({ dir, cleanup } = tempWorkspace('taxi-streams-api-'));
  s = await openServices({ workspace: dir, mode: 'server' });
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

describe('streams.* contract methods (embedded bus)', () => {
  it('creates the platform topics on first use, each raw-side topic with its schema', async () => {
    const list = await ok('streams.topics.list', {});
    expect(list.topics.map((t) => t.name)).toEqual(['taxi-alerts', 'taxi-features', 'taxi-model-metrics', 'taxi-predictions', 'taxi-raw-data', 'taxi-raw-data-dlq']);
    const raw = await ok('streams.topics.describe', { name: 'taxi-raw-data' });
    expect(raw.schema).toMatchObject({ title: 'Trip message' });
    expect(raw.schema!.json_schema).toMatchObject({ type: 'object', required: expect.arrayContaining(['trip_id', 'pickup_datetime']) });
    expect((await ok('streams.topics.describe', { name: 'taxi-predictions' })).schema!.json_schema).toMatchObject({ required: expect.arrayContaining(['model_version', 'latency_ms']) });
  });

  it('produces with the schema checked: a bad batch names the message and field and writes nothing', async () => {
    const good = await ok('streams.produce', { topic: 'taxi-raw-data', messages: [{ key: 'a-1', value: trip('a-1') }, { key: 'a-2', value: trip('a-2'), headers: { origin: 'api' } }] });
    expect(good.offsets).toHaveLength(2);
    const bad = await fail('streams.produce', { topic: 'taxi-raw-data', messages: [{ key: 'b-1', value: trip('b-1') }, { key: 'b-2', value: trip('b-2', { fare_amount: -3 }) }] });
    expect(bad.error).toMatchObject({ code: 'INVALID_INPUT', details: { index: 1, field: 'fare_amount' } });
    expect(bad.error.message).toMatch(/taxi-raw-data: message 1: fare_amount/);
    const notJson = await fail('streams.produce', { topic: 'taxi-raw-data', messages: [{ text: 'hello' }] });
    expect(notJson.error.details).toMatchObject({ index: 0, field: '(value)' });
    expect((await ok('streams.topics.describe', { name: 'taxi-raw-data' })).messages).toBe(2);
    await ok('streams.produce', { topic: 'taxi-raw-data', messages: [{ key: 'raw', text: 'not json' }], validate: false });
    const both = await fail('streams.produce', { topic: 'taxi-raw-data', messages: [{ value: 1, text: '1' }] });
    expect(both.error.code).toBe('INVALID_INPUT');
  });

  it('browses with positions and filters, showing JSON, text and binary values', async () => {
    const all = await ok('streams.browse', { topic: 'taxi-raw-data', from: 'earliest', limit: 10 });
    expect(all.messages.map((m) => m.key).sort()).toEqual(['a-1', 'a-2', 'raw']);
    const a2 = all.messages.find((m) => m.key === 'a-2')!;
    expect(a2).toMatchObject({ encoding: 'json', headers: { origin: 'api' }, json: { trip_id: 'a-2', fare_amount: 12.5 } });
    expect(all.messages.find((m) => m.key === 'raw')).toMatchObject({ encoding: 'text', value: 'not json' });
    const filtered = await ok('streams.browse', { topic: 'taxi-raw-data', from: 'earliest', filter: { field: 'trip_id', equals: 'a-1' } });
    expect(filtered.messages.map((m) => m.key)).toEqual(['a-1']);
    const fromTime = await ok('streams.browse', { topic: 'taxi-raw-data', from: { timestamp: new Date(Date.now() + 60_000).toISOString() } });
    expect(fromTime.messages).toEqual([]);
    const bus = await getBus(s);
    await bus.produce('taxi-raw-data-dlq', [{ key: 'x', value: Buffer.from([0xc3, 0x28]), headers: { 'dlq.reason': 'not UTF-8' } }]);
    const dlq = await ok('streams.browse', { topic: 'taxi-raw-data-dlq', from: 'latest', limit: 1 });
    expect(dlq.messages[0]).toMatchObject({ encoding: 'binary', value: Buffer.from([0xc3, 0x28]).toString('base64'), headers: { 'dlq.reason': 'not UTF-8' } });
    expect((await fail('streams.browse', { topic: 'taxi-raw-data', partition: 9 })).error.code).toBe('NOT_FOUND');
    expect((await fail('streams.browse', { topic: 'nope', from: 'earliest' })).error.code).toBe('NOT_FOUND');
  });

  it('creates and deletes topics, refusing duplicates', async () => {
    const d = await ok('streams.topics.create', { name: 'api-topic', partitions: 2, retention_bytes: 1_000_000 });
    expect(d).toMatchObject({ name: 'api-topic', partitions: 2, retention_ms: 604_800_000, retention_bytes: 1_000_000, schema: null });
    expect((await fail('streams.topics.create', { name: 'api-topic' })).error.code).toBe('ALREADY_EXISTS');
    expect((await fail('streams.topics.create', { name: 'bad name' })).error.code).toBe('INVALID_INPUT');
    expect(await ok('streams.topics.delete', { name: 'api-topic' })).toEqual({ deleted: 'api-topic' });
    expect((await fail('streams.topics.describe', { name: 'api-topic' })).error.code).toBe('NOT_FOUND');
  });

  it('live tail: new messages arrive as streams.tail events until stopped, then a last event says it ended', async () => {
    const events: TailEvent[] = [];
    const off = s.events.subscribe((e) => e.event === 'streams.tail' && events.push(e.payload as TailEvent));
    try {
      const t = await ok('streams.tail.start', { topic: 'taxi-raw-data', max_seconds: 60 });
      await ok('streams.produce', { topic: 'taxi-raw-data', messages: [{ key: 'tail-1', value: trip('tail-1') }, { key: 'tail-2', value: trip('tail-2') }] });
      const deadline = Date.now() + 5_000;
      while (events.flatMap((e) => e.messages).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(events.flatMap((e) => e.messages.map((m) => m.key)).sort()).toEqual(['tail-1', 'tail-2']);
      expect(events.every((e) => e.tail_id === t.tail_id && e.topic === 'taxi-raw-data')).toBe(true);
      expect(await ok('streams.tail.stop', { tail_id: t.tail_id })).toEqual({ tail_id: t.tail_id, stopped: true });
      expect(events.at(-1)).toMatchObject({ ended: true, error: null });
      expect((await ok('streams.tail.stop', { tail_id: t.tail_id })).stopped).toBe(false);
    } finally {
      off();
    }
  });

  it('consumer groups: list, describe with lag, reset (dry run and applied), delete', async () => {
    const bus = await getBus(s);
    let seen = 0;
    const sub = await bus.consume({ group: 'api-group', topics: ['taxi-raw-data'], fromBeginning: true, handler: async (b) => void (seen += b.messages.length) });
    const total = (await ok('streams.topics.describe', { name: 'taxi-raw-data' })).messages;
    while (seen < total) await new Promise((r) => setTimeout(r, 20));
    const active = await ok('streams.groups.describe', { group: 'api-group' });
    expect(active).toMatchObject({ state: 'Stable', lag: 0 });
    expect((await fail('streams.groups.reset', { group: 'api-group', topic: 'taxi-raw-data', to: 'earliest' })).error.code).toBe('CONFLICT');
    await sub.stop();
    expect((await ok('streams.groups.list', {})).groups).toEqual([expect.objectContaining({ group: 'api-group', state: 'Empty', members: 0, lag: 0 })]);
    const dry = await ok('streams.groups.reset', { group: 'api-group', topic: 'taxi-raw-data', to: 'earliest', dry_run: true });
    expect(dry.applied).toBe(false);
    expect((await ok('streams.groups.describe', { group: 'api-group' })).lag).toBe(0);
    const applied = await ok('streams.groups.reset', { group: 'api-group', topic: 'taxi-raw-data', to: { timestamp: 0 } });
    expect(applied.applied).toBe(true);
    expect((await ok('streams.groups.describe', { group: 'api-group' })).lag).toBe(total);
    await ok('streams.groups.reset', { group: 'api-group', topic: 'taxi-raw-data', to: { offset: 1 }, partitions: [applied.offsets.find((o) => o.to < 99)!.partition] });
    expect(await ok('streams.groups.delete', { group: 'api-group' })).toEqual({ deleted: 'api-group' });
    expect((await fail('streams.groups.describe', { group: 'api-group' })).error.code).toBe('NOT_FOUND');
  });

  it('starts a replay job', async () => {
    const job = await ok('streams.replay', { source: 'synthetic', rate: 0, limit: 200, topic: 'taxi-raw-data' });
    expect(job.kind).toBe('streams.replay');
    const done = await s.jobs.wait(job.id);
    expect(done.status).toBe('succeeded');
    expect((done.result as { published: number }).published).toBeGreaterThan(190);
  });
});

describe("the platform guide's /kafka routes and the WebSocket", () => {
  const http = async (method: string, url: string, body?: unknown) => {
    const res = await fetch(`${server.url}${url}`, { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('GET /kafka/topics lists topic names with details', async () => {
    const r = await http('GET', '/kafka/topics');
    expect(r.status).toBe(200);
    expect(r.body.topics).toEqual(expect.arrayContaining(['taxi-raw-data', 'taxi-predictions']));
    expect((r.body.details as { name: string; partitions: number }[]).find((t) => t.name === 'taxi-raw-data')).toMatchObject({ partitions: 3 });
  });

  it('POST /kafka/topics creates a topic (the old field names work); a duplicate is 409 with detail', async () => {
    const r = await http('POST', '/kafka/topics', { topic_name: 'guide-topic', num_partitions: 2, replication_factor: 1 });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ status: 'created', topic: { name: 'guide-topic', partitions: 2 } });
    const again = await http('POST', '/kafka/topics', { topic_name: 'guide-topic' });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'ALREADY_EXISTS', detail: expect.stringContaining('guide-topic') });
  });

  it('POST /kafka/messages sends the guide\'s message format; a bad one is 400 naming the field', async () => {
    const r = await http('POST', '/kafka/messages', { topic: 'taxi-raw-data', key: 'trip_001', message: trip('trip_001') });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'sent', topic: 'taxi-raw-data', count: 1 });
    const many = await http('POST', '/kafka/messages', { topic: 'guide-topic', messages: [{ key: 'k', value: { a: 1 } }, { b: 2 }] });
    expect(many.body).toMatchObject({ status: 'sent', count: 2 });
    const bad = await http('POST', '/kafka/messages', { topic: 'taxi-raw-data', message: { trip_id: 'x' } });
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toMatch(/message 0: pickup_datetime/);
    expect((await http('POST', '/kafka/messages', { topic: 'no-such-topic', message: {} })).status).toBe(404);
  });

  it('forwards streams.tail events to WebSocket clients', async () => {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/events`);
    const got: { event: string; payload: TailEvent }[] = [];
    ws.on('message', (data) => got.push(JSON.parse(String(data)) as { event: string; payload: TailEvent }));
    await new Promise((r) => ws.once('open', r));
    const res = await fetch(`${server.url}/api/rpc/streams.tail.start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ topic: 'guide-topic' }) });
    const { result } = (await res.json()) as { result: { tail_id: string } };
    await http('POST', '/kafka/messages', { topic: 'guide-topic', key: 'ws', message: { hello: 'socket' } });
    const deadline = Date.now() + 5_000;
    while (!got.some((e) => e.event === 'streams.tail' && e.payload.messages.length > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    ws.close();
    await fetch(`${server.url}/api/rpc/streams.tail.stop`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tail_id: result.tail_id }) });
    const tail = got.find((e) => e.event === 'streams.tail' && e.payload.messages.length > 0)!;
    expect(tail.payload).toMatchObject({ tail_id: result.tail_id, messages: [{ key: 'ws', json: { hello: 'socket' } }] });
  });
});

describe('taxi-mlops streams commands (from source)', () => {
  const cli = async (...args: string[]) => {
    try {
      const r = await exec(process.execPath, ['--import', 'tsx', path.join(root, 'src-main/cli/index.ts'), '--workspace', dir, ...args], { cwd: root, timeout: 120_000 });
      return { code: 0, ...r };
    } catch (e) {
      const x = e as { code: number; stdout: string; stderr: string };
      return { code: x.code, stdout: x.stdout, stderr: x.stderr };
    }
  };

  it('topics, produce, browse, consume, groups and replay', async () => {
    // The CLI opens the same workspace as the server; both write streams.db through SQLite's locking.
    const created = await cli('topics', 'create', 'cli-topic', '--partitions', '2', '--retention-ms', '3600000');
    expect(created.stdout).toContain('created topic cli-topic (2 partitions, retention 1h)');
    const produced = await cli('produce', 'cli-topic', '{"trip_id":"c-1","fare":9}', '--key', 'c-1', '--header', 'src=cli');
    expect(produced.stdout).toMatch(/produced 1 message to cli-topic \(partition \d, offset 0\)/);
    const refused = await cli('produce', 'taxi-raw-data', '{"trip_id":"c-2"}');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/taxi-mlops: INVALID_INPUT: taxi-raw-data: message 0: pickup_datetime/);
    const browsed = await cli('browse', 'cli-topic', '--from', 'earliest', '--field', 'fare=9');
    expect(browsed.stdout).toMatch(/^\d:0 \S+ key=c-1 {"src":"cli"} {"trip_id":"c-1","fare":9}$/m);
    const consumed = await cli('--json', 'consume', 'cli-topic', '--group', 'cli-group', '--from-beginning', '--max', '1');
    expect(JSON.parse(consumed.stdout.trim().split('\n')[0]!)).toMatchObject({ key: 'c-1', json: { fare: 9 } });
    const groups = await cli('groups', 'list');
    expect(groups.stdout).toMatch(/cli-group\s+Empty\s+0 members\s+lag\s+0\s+cli-topic/);
    const reset = await cli('groups', 'reset', 'cli-group', '--topic', 'cli-topic', '--to', 'earliest', '--dry-run');
    expect(reset.stdout).toContain('would reset (dry run) cli-group on cli-topic');
    const described = await cli('topics', 'describe', 'taxi-raw-data');
    expect(described.stdout).toMatch(/schema: Trip message/);
    const replayed = await cli('replay', '--source', 'synthetic', '--rate', '0', '--limit', '50', '--topic', 'cli-topic');
    expect(replayed.code).toBe(0);
    expect(replayed.stdout).toMatch(/published (49|50) trips to cli-topic/);
    expect(replayed.stderr).toMatch(/Replay synthetic/);
  }, 240_000);
});
