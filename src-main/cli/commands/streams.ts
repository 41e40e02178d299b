/** taxi-mlops topics | produce | browse | consume | groups | replay */
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { randomUUID } from 'node:crypto';
import { InvalidArgumentError, type Command } from 'commander';
import type { Input } from '../../api/contract.js';
import { AppError } from '../../platform/errors.js';
import type { Services } from '../../platform/services.js';
import { call, followJob } from '../follow.js';
import { failJob, intArg, out, withServices, type GlobalOpts } from '../common.js';

type Start = Input<'streams.browse'>['from'];

const isJson = (cmd: Command): boolean => cmd.optsWithGlobals<GlobalOpts>().json ?? false;

/** earliest | latest | an offset | a time (ISO 8601). */
function positionArg(name: string, allowLatest = true) {
  return (v: string): NonNullable<Start> => {
    if (v === 'earliest' || (allowLatest && v === 'latest')) return v;
    if (/^\d+$/.test(v)) return { offset: Number(v) };
    if (!Number.isNaN(Date.parse(v))) return { timestamp: new Date(Date.parse(v)).toISOString() };
    throw new InvalidArgumentError(`${name} must be earliest${allowLatest ? ', latest' : ''}, an offset or an ISO time, got "${v}"`);
  };
}

function headerArg(v: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = v.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`--header must be name=value, got "${v}"`);
  return { ...previous, [v.slice(0, eq)]: v.slice(eq + 1) };
}

const fmtRetention = (ms: number | null): string => (ms === null ? 'forever' : ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : `${ms}ms`);

function registerTopics(program: Command): void {
  const topics = program.command('topics').description('list, create, delete and describe topics');
  topics
    .command('list', { isDefault: true })
    .description('topics with partitions, retention and message counts')
    .action(async (_o, cmd: Command) => {
      const r = await withServices(cmd, (s) => call(s, 'streams.topics.list', {}));
      if (isJson(cmd)) return out(JSON.stringify(r.topics, null, 2));
      if (r.topics.length === 0) return out('no topics');
      for (const t of r.topics) {
        out(`${t.name.padEnd(32)} ${String(t.partitions).padStart(3)} partitions  ${String(t.messages).padStart(10)} messages  retention ${fmtRetention(t.retention_ms)}`);
      }
    });
  topics
    .command('create')
    .argument('<name>')
    .description('create a topic')
    .option('--partitions <n>', 'partitions', intArg('--partitions', 1), 3)
    .option('--replication <n>', 'replication factor (Kafka)', intArg('--replication', 1), 1)
    .option('--retention-ms <ms>', 'keep messages this long (default 7 days)', intArg('--retention-ms', 1))
    .option('--retention-bytes <n>', 'keep at most this many bytes per partition', intArg('--retention-bytes', 1))
    .option('--forever', 'keep messages forever')
    .action(async (name: string, o: { partitions: number; replication: number; retentionMs?: number; retentionBytes?: number; forever?: boolean }, cmd: Command) => {
      const input: Input<'streams.topics.create'> = {
        name,
        partitions: o.partitions,
        replication_factor: o.replication,
        ...(o.forever ? { retention_ms: null } : o.retentionMs !== undefined ? { retention_ms: o.retentionMs } : {}),
        ...(o.retentionBytes !== undefined ? { retention_bytes: o.retentionBytes } : {}),
      };
      const d = await withServices(cmd, (s) => call(s, 'streams.topics.create', input));
      out(isJson(cmd) ? JSON.stringify(d, null, 2) : `created topic ${d.name} (${d.partitions} partitions, retention ${fmtRetention(d.retention_ms)})`);
    });
  topics
    .command('delete')
    .argument('<name>')
    .description('delete a topic and its messages')
    .action(async (name: string, _o, cmd: Command) => {
      await withServices(cmd, (s) => call(s, 'streams.topics.delete', { name }));
      out(`deleted topic ${name}`);
    });
  topics
    .command('describe')
    .argument('<name>')
    .description('partitions with low/high offsets, settings, schema')
    .action(async (name: string, _o, cmd: Command) => {
      const d = await withServices(cmd, (s) => call(s, 'streams.topics.describe', { name }));
      if (isJson(cmd)) return out(JSON.stringify(d, null, 2));
      out(`${d.name}: ${d.partitions} partitions, replication ${d.replication_factor}, ${d.messages} messages, retention ${fmtRetention(d.retention_ms)}${d.retention_bytes ? ` / ${d.retention_bytes} bytes` : ''}`);
      if (d.schema) out(`schema: ${d.schema.title} — ${d.schema.description}`);
      for (const p of d.partition_info) out(`  partition ${String(p.partition).padStart(3)}  low ${String(p.low).padStart(10)}  high ${String(p.high).padStart(10)}  leader ${p.leader ?? '-'}`);
    });
}

/** Messages from the arguments, or one per line of a file (`-` = stdin); JSON values, else text. */
async function messagesOf(value: string | undefined, o: ProduceOpts): Promise<Input<'streams.produce'>['messages']> {
  const lines: string[] = [];
  if (o.file) {
    const stream = o.file === '-' ? process.stdin : fs.createReadStream(path.resolve(o.file));
    for await (const line of readline.createInterface({ input: stream, crlfDelay: Infinity })) if (line.trim() !== '') lines.push(line);
  } else if (value !== undefined) lines.push(value);
  else throw new AppError('INVALID_INPUT', 'give a value, or --file FILE (one message per line; - for stdin)');
  return lines.map((line) => {
    let json: unknown;
    let parsed = true;
    try {
      json = JSON.parse(line);
    } catch {
      parsed = false;
    }
    const fromField = o.keyField && parsed && json && typeof json === 'object' ? (json as Record<string, unknown>)[o.keyField] : undefined;
    const key = o.key ?? (fromField === undefined || fromField === null ? undefined : String(fromField));
    return {
      ...(key !== undefined ? { key } : {}),
      ...(parsed ? { value: json } : { text: line }),
      ...(o.header ? { headers: o.header } : {}),
      ...(o.partition !== undefined ? { partition: o.partition } : {}),
    };
  });
}

interface ProduceOpts {
  key?: string;
  keyField?: string;
  header?: Record<string, string>;
  file?: string;
  partition?: number;
  validate: boolean;
}

function registerProduce(program: Command): void {
  program
    .command('produce')
    .description("produce messages to a topic (the topic's schema is checked; a bad batch writes nothing)")
    .argument('<topic>')
    .argument('[value]', 'the message value (JSON, or text)')
    .option('--key <key>', 'message key')
    .option('--key-field <field>', 'take each key from this field of the JSON value (e.g. trip_id)')
    .option('--header <name=value>', 'a header (repeatable)', headerArg)
    .option('--partition <n>', 'write to this partition instead of the key hash', intArg('--partition'))
    .option('--file <file>', 'one message per line (JSON Lines); - for stdin')
    .option('--no-validate', "skip the topic's schema check")
    .action(async (topic: string, value: string | undefined, o: ProduceOpts, cmd: Command) => {
      const messages = await messagesOf(value, o);
      const r = await withServices(cmd, (s) => call(s, 'streams.produce', { topic, messages, validate: o.validate }));
      if (isJson(cmd)) return out(JSON.stringify(r, null, 2));
      const first = r.offsets[0]!;
      out(`produced ${r.offsets.length} message${r.offsets.length > 1 ? 's' : ''} to ${topic}${r.offsets.length === 1 ? ` (partition ${first.partition}, offset ${first.offset})` : ''}`);
    });
}

interface BrowseOpts {
  partition?: number;
  from: NonNullable<Start>;
  limit: number;
  grep?: string;
  field?: string;
}

function filterOf(o: BrowseOpts): Input<'streams.browse'>['filter'] {
  if (!o.grep && !o.field) return undefined;
  const eq = o.field?.indexOf('=') ?? -1;
  const field = o.field ? (eq > 0 ? { field: o.field.slice(0, eq), equals: o.field.slice(eq + 1) } : { field: o.field }) : {};
  return { ...(o.grep ? { text: o.grep } : {}), ...field };
}

function printMessage(m: { partition: number; offset: number; timestamp: string; key: string | null; value: string | null; headers: Record<string, string> }): void {
  const headers = Object.keys(m.headers).length ? ` ${JSON.stringify(m.headers)}` : '';
  out(`${m.partition}:${m.offset} ${m.timestamp} key=${m.key ?? '-'}${headers} ${m.value ?? 'null'}`);
}

function registerBrowse(program: Command): void {
  program
    .command('browse')
    .description('read messages of a topic from an offset, a time or the end, with a filter')
    .argument('<topic>')
    .option('--partition <n>', 'one partition (default: all, merged by time)', intArg('--partition'))
    .option('--from <where>', 'earliest, latest, an offset, or an ISO time', positionArg('--from'), 'latest')
    .option('--limit <n>', 'most messages', intArg('--limit', 1), 20)
    .option('--grep <text>', 'only messages whose key, value or headers contain this text')
    .option('--field <path[=value]>', 'only messages whose JSON value has this field (equal to value)')
    .action(async (topic: string, o: BrowseOpts, cmd: Command) => {
      const filter = filterOf(o);
      const input: Input<'streams.browse'> = {
        topic,
        from: o.from,
        limit: o.limit,
        ...(o.partition !== undefined ? { partition: o.partition } : {}),
        ...(filter ? { filter } : {}),
      };
      const r = await withServices(cmd, (s) => call(s, 'streams.browse', input));
      if (isJson(cmd)) return out(JSON.stringify(r, null, 2));
      for (const m of r.messages) printMessage(m);
      out(`-- ${r.messages.length} message(s), ${r.scanned} read; next: ${r.next.map((n) => `${n.partition}:${n.offset}`).join(' ')}${r.reached_end ? ' (end)' : ''}`);
    });
}

interface ConsumeOpts {
  group?: string;
  fromBeginning?: boolean;
  max?: number;
  idle?: number;
}

async function consumeWith(s: Services, topic: string, o: ConsumeOpts, json: boolean): Promise<number> {
  const { getBus } = await import('../../engines/streams/index.js');
  const { viewOf } = await import('../../engines/streams/messages.js');
  const bus = await getBus(s);
  // Like kafka-console-consumer: without a group, a throwaway one that is deleted at the end.
  const group = o.group ?? `taxi-mlops-cli-${randomUUID().slice(0, 8)}`;
  let seen = 0;
  let lastAt = Date.now();
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  const sub = await bus.consume({
    group,
    topics: [topic],
    fromBeginning: o.fromBeginning ?? false,
    clientId: 'taxi-mlops-cli',
    handler: async (batch) => {
      for (const m of batch.messages) {
        if (o.max !== undefined && seen >= o.max) break;
        const v = viewOf(m);
        if (json) out(JSON.stringify(v));
        else printMessage(v);
        seen++;
      }
      lastAt = Date.now();
      if (o.max !== undefined && seen >= o.max) finish();
    },
  });
  const idle = o.idle ? setInterval(() => Date.now() - lastAt > o.idle! * 1000 && finish(), 200) : undefined;
  process.once('SIGINT', finish);
  sub.done.catch(finish);
  await finished;
  if (idle) clearInterval(idle);
  process.off('SIGINT', finish);
  await sub.stop();
  await sub.done;
  if (!o.group) await bus.deleteGroup(group).catch(() => undefined);
  return seen;
}

function registerConsume(program: Command): void {
  program
    .command('consume')
    .description('consume a topic in a consumer group, committing after each batch is printed (Ctrl-C stops)')
    .argument('<topic>')
    .option('--group <group>', 'consumer group (default: a throwaway one)')
    .option('--from-beginning', 'start at the earliest offset when the group has no committed offset')
    .option('--max <n>', 'stop after this many messages', intArg('--max', 1))
    .option('--idle <seconds>', 'stop after this many seconds without a message', intArg('--idle', 1))
    .action(async (topic: string, o: ConsumeOpts, cmd: Command) => {
      const n = await withServices(cmd, (s) => consumeWith(s, topic, o, isJson(cmd)));
      if (!isJson(cmd)) process.stderr.write(`consumed ${n} message(s)\n`);
    });
}

function registerGroups(program: Command): void {
  const groups = program.command('groups').description('consumer groups: list, describe, reset offsets, delete');
  groups
    .command('list', { isDefault: true })
    .description('groups with state, members and lag')
    .action(async (_o, cmd: Command) => {
      const r = await withServices(cmd, (s) => call(s, 'streams.groups.list', {}));
      if (isJson(cmd)) return out(JSON.stringify(r.groups, null, 2));
      if (r.groups.length === 0) return out('no consumer groups');
      for (const g of r.groups) out(`${g.group.padEnd(36)} ${g.state.padEnd(10)} ${String(g.members).padStart(3)} members  lag ${String(g.lag).padStart(8)}  ${g.topics.join(', ')}`);
    });
  groups
    .command('describe')
    .argument('<group>')
    .description('members, committed offsets and lag per partition')
    .action(async (group: string, _o, cmd: Command) => {
      const d = await withServices(cmd, (s) => call(s, 'streams.groups.describe', { group }));
      if (isJson(cmd)) return out(JSON.stringify(d, null, 2));
      out(`${d.group}: ${d.state}, ${d.members.length} member(s), lag ${d.lag}`);
      for (const m of d.members) out(`  member ${m.member_id} (${m.client_id} @ ${m.host}): ${m.assignments.map((a) => `${a.topic}[${a.partitions.join(',')}]`).join(' ')}`);
      for (const o of d.offsets) out(`  ${o.topic}:${o.partition}  committed ${String(o.committed ?? '-').padStart(10)}  high ${String(o.high).padStart(10)}  lag ${String(o.lag ?? '-').padStart(8)}`);
    });
  groups
    .command('reset')
    .argument('<group>')
    .description('reset offsets on a topic (the group must be inactive)')
    .requiredOption('--topic <topic>', 'topic')
    .requiredOption('--to <where>', 'earliest, latest, an offset, or an ISO time', positionArg('--to'))
    .option('--partition <n...>', 'only these partitions')
    .option('--dry-run', 'show what would change')
    .action(async (group: string, o: { topic: string; to: NonNullable<Start>; partition?: string[]; dryRun?: boolean }, cmd: Command) => {
      const partitions = o.partition?.map((p) => intArg('--partition')(p));
      const r = await withServices(cmd, (s) =>
        call(s, 'streams.groups.reset', { group, topic: o.topic, to: o.to, dry_run: o.dryRun ?? false, ...(partitions ? { partitions } : {}) }),
      );
      if (isJson(cmd)) return out(JSON.stringify(r, null, 2));
      out(`${r.applied ? 'reset' : 'would reset (dry run)'} ${r.group} on ${r.topic}:`);
      for (const x of r.offsets) out(`  partition ${x.partition}: ${x.from ?? '-'} → ${x.to}`);
    });
  groups
    .command('delete')
    .argument('<group>')
    .description('delete an inactive group and its offsets')
    .action(async (group: string, _o, cmd: Command) => {
      await withServices(cmd, (s) => call(s, 'streams.groups.delete', { group }));
      out(`deleted group ${group}`);
    });
}

function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('publish trips to the raw topic at a steady rate')
    .requiredOption('--source <source>', 'sample (the bundled real trips), synthetic, or a CSV file')
    .option('--rate <n>', 'trips per second (0 = as fast as possible)', intArg('--rate', 0), 100)
    .option('--limit <n>', 'trips to publish (default: the whole file, or 10,000 synthetic)', intArg('--limit', 1))
    .option('--seed <s>', 'seed of synthetic trips', intArg('--seed'), 42)
    .option('--topic <topic>', 'topic (default: the raw topic of config.yaml)')
    .action(async (o: { source: string; rate: number; limit?: number; seed: number; topic?: string }, cmd: Command) => {
      const source = o.source === 'sample' || o.source === 'synthetic' ? o.source : path.resolve(o.source);
      const input: Input<'streams.replay'> = {
        source,
        rate: o.rate,
        seed: o.seed,
        ...(o.limit !== undefined ? { limit: o.limit } : {}),
        ...(o.topic ? { topic: o.topic } : {}),
      };
      const json = isJson(cmd);
      await withServices(cmd, async (s) => {
        const done = await followJob(s, await call(s, 'streams.replay', input), json);
        if (done.status !== 'succeeded') failJob(done);
        const r = done.result as { published: number; skipped: number; topic: string; rate_actual: number; duration_ms: number };
        out(json ? JSON.stringify(r, null, 2) : `published ${r.published} trips to ${r.topic} in ${(r.duration_ms / 1000).toFixed(1)} s (${r.rate_actual}/s)${r.skipped ? `, ${r.skipped} refused by the schema` : ''}`);
      });
    });
}

export function registerStreamsCommands(program: Command): void {
  registerTopics(program);
  registerProduce(program);
  registerBrowse(program);
  registerConsume(program);
  registerGroups(program);
  registerReplay(program);
}
