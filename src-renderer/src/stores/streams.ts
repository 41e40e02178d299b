/**
 * What the Streams tab shows: topics, the selected topic's partitions, the message browser, the live tail,
 * consumer groups and the processor. Held here rather than in the tab so switching tabs keeps the
 * operator's place (a running tail keeps counting while another tab is open).
 */
import { create } from 'zustand';
import { call, on, toApiError, type ApiError, type EventPayload, type Input, type Output } from '../api/client';
import { idle, remoteLoader, type Remote } from './async';

export type TopicSummary = Output<'streams.topics.list'>['topics'][number];
export type TopicDescription = Output<'streams.topics.describe'>;
export type StreamMessage = Output<'streams.browse'>['messages'][number];
export type GroupSummary = Output<'streams.groups.list'>['groups'][number];
export type GroupDescription = Output<'streams.groups.describe'>;
export type ResetResult = Output<'streams.groups.reset'>;
export type ResetInput = Input<'streams.groups.reset'>;
export type BrowseFrom = NonNullable<Input<'streams.browse'>['from']>;
export type BrowseFilter = NonNullable<Input<'streams.browse'>['filter']>;

/** What the browser asks for; `limit` may exceed one call's 1,000: the store pages until it has them. */
export interface BrowseQuery {
  topic: string;
  partition: number | null;
  from: BrowseFrom;
  limit: number;
  filter: BrowseFilter | null;
}

export interface BrowseState {
  query: BrowseQuery | null;
  messages: StreamMessage[];
  scanned: number;
  reachedEnd: boolean;
  loading: boolean;
  /** Messages fetched so far while paging a large request, for the progress line. */
  progress: number;
  error: ApiError | null;
  tookMs: number | null;
}

/** Most tail messages kept on screen; older ones scroll out (the count keeps going). */
export const TAIL_KEEP = 5000;
const RATE_WINDOW_MS = 5000;
/** The server ends a tail after this; the UI restarts nothing on its own, it says the tail ended. */
const TAIL_MAX_SECONDS = 3600;
const PAGE = 1000;

export interface TailState {
  tailId: string | null;
  topic: string | null;
  partition: number | null;
  starting: boolean;
  paused: boolean;
  messages: StreamMessage[];
  /** Held while paused; shown on resume. */
  pending: StreamMessage[];
  received: number;
  dropped: number;
  /** Arrival times (ms) and counts of recent batches, for the rate. */
  recent: { at: number; n: number }[];
  ended: boolean;
  error: ApiError | null;
}

export interface ProduceState {
  busy: boolean;
  error: ApiError | null;
  /** Field → message from the server's schema check of the last attempt. */
  problems: { field: string; message: string }[];
  last: Output<'streams.produce'> | null;
}

interface StreamsState {
  topics: Remote<TopicSummary[]>;
  topic: Remote<TopicDescription>;
  groups: Remote<GroupSummary[]>;
  group: Remote<GroupDescription>;
  browse: BrowseState;
  tail: TailState;
  produce: ProduceState;
  refreshTopics(): Promise<void>;
  loadTopic(name: string): Promise<void>;
  refreshGroups(): Promise<void>;
  loadGroup(name: string): Promise<void>;
  /** Actions resolve with the error (shown next to the form that caused it), or null when done. */
  createTopic(input: Input<'streams.topics.create'>): Promise<ApiError | null>;
  deleteTopic(name: string): Promise<ApiError | null>;
  runBrowse(q: BrowseQuery): Promise<void>;
  cancelBrowse(): void;
  startTail(topic: string, partition: number | null): Promise<void>;
  stopTail(): Promise<void>;
  setPaused(paused: boolean): void;
  clearTail(): void;
  produceMessages(input: Input<'streams.produce'>): Promise<boolean>;
  clearProduce(): void;
  resetOffsets(input: ResetInput): Promise<ResetResult | ApiError>;
}

const idleBrowse: BrowseState = { query: null, messages: [], scanned: 0, reachedEnd: false, loading: false, progress: 0, error: null, tookMs: null };
const idleTail: TailState = {
  tailId: null,
  topic: null,
  partition: null,
  starting: false,
  paused: false,
  messages: [],
  pending: [],
  received: 0,
  dropped: 0,
  recent: [],
  ended: false,
  error: null,
};

/** Messages per second over the last few seconds of arrivals. */
export function tailRate(recent: TailState['recent'], now: number): number {
  const since = now - RATE_WINDOW_MS;
  let n = 0;
  for (const r of recent) if (r.at >= since) n += r.n;
  return n / (RATE_WINDOW_MS / 1000);
}

const byTime = (a: StreamMessage, b: StreamMessage): number => a.timestamp_ms - b.timestamp_ms || a.partition - b.partition || a.offset - b.offset;

const keepLast = <T>(xs: T[], n: number): T[] => (xs.length > n ? xs.slice(xs.length - n) : xs);

/**
 * Pages one partition forward from an offset until `want` messages matched or its end. A call returns
 * at most 1,000, so a 100k-message browse is ~100 calls; `onPage` reports progress between them.
 */
async function pagePartition(
  q: BrowseQuery,
  partition: number,
  start: number,
  want: number,
  isCancelled: () => boolean,
  onPage: (n: number, scanned: number) => void,
): Promise<{ messages: StreamMessage[]; scanned: number; reachedEnd: boolean }> {
  const out: StreamMessage[] = [];
  let offset = start;
  let scanned = 0;
  for (;;) {
    const r = await call('streams.browse', {
      topic: q.topic,
      partition,
      from: { offset },
      limit: Math.min(PAGE, want - out.length),
      ...(q.filter ? { filter: q.filter } : {}),
    });
    for (const m of r.messages) out.push(m);
    scanned += r.scanned;
    onPage(r.messages.length, r.scanned);
    const next = r.next.find((n) => n.partition === partition)?.offset;
    if (r.reached_end || out.length >= want || next === undefined || next <= offset || isCancelled()) {
      return { messages: out, scanned, reachedEnd: r.reached_end };
    }
    offset = next;
  }
}

/** Requests in flight per partition when offsets can be computed ahead (no filter). */
const PARALLEL_PAGES = 3;

/**
 * Without a filter, a partition's pages are known in advance (offset ranges of 1,000 from the start to
 * the high offset), so several are read at once. Offsets can have gaps (Kafka transaction markers,
 * compaction): each page keeps only messages inside its own range, so none is counted twice.
 */
async function pageRanges(
  q: BrowseQuery,
  partition: number,
  start: number,
  high: number,
  want: number,
  isCancelled: () => boolean,
  onPage: (n: number, scanned: number) => void,
): Promise<{ messages: StreamMessage[]; scanned: number; reachedEnd: boolean }> {
  const end = Math.min(high, start + want);
  const pages: number[] = [];
  for (let o = start; o < end; o += PAGE) pages.push(o);
  const results: StreamMessage[][] = new Array<StreamMessage[]>(pages.length);
  let scanned = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < pages.length && !isCancelled()) {
      const i = next++;
      const from = pages[i] as number;
      const to = Math.min(end, from + PAGE);
      const r = await call('streams.browse', { topic: q.topic, partition, from: { offset: from }, limit: to - from });
      const mine = r.messages.filter((m) => m.offset < to);
      results[i] = mine;
      scanned += r.scanned;
      onPage(mine.length, r.scanned);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_PAGES, pages.length) }, worker));
  return { messages: results.flatMap((r) => r ?? []), scanned, reachedEnd: end >= high };
}

export const useStreamsStore = create<StreamsState>()((set, get) => {
  const loadTopics = remoteLoader(() => get().topics, (topics) => set({ topics }));
  const loadTopicDesc = remoteLoader(() => get().topic, (topic) => set({ topic }));
  const loadGroups = remoteLoader(() => get().groups, (groups) => set({ groups }));
  const loadGroupDesc = remoteLoader(() => get().group, (group) => set({ group }));
  let browseGeneration = 0;
  let offTail: (() => void) | null = null;

  const onTail = (e: EventPayload<'streams.tail'>): void => {
    const t = get().tail;
    if (e.tail_id !== t.tailId) return;
    const now = Date.now();
    const recent = [...t.recent.filter((r) => r.at >= now - RATE_WINDOW_MS), { at: now, n: e.messages.length + e.dropped }];
    const next: Partial<TailState> = {
      received: t.received + e.messages.length + e.dropped,
      dropped: t.dropped + e.dropped,
      recent,
    };
    if (e.messages.length > 0) {
      if (t.paused) next.pending = keepLast([...t.pending, ...e.messages], TAIL_KEEP);
      else next.messages = keepLast([...t.messages, ...e.messages], TAIL_KEEP);
    }
    if (e.ended) {
      next.ended = true;
      next.tailId = null;
      if (e.error) next.error = toApiError(new Error(e.error));
    }
    set({ tail: { ...t, ...next } });
  };

  return {
    topics: idle(),
    topic: idle(),
    groups: idle(),
    group: idle(),
    browse: idleBrowse,
    tail: idleTail,
    produce: { busy: false, error: null, problems: [], last: null },

    refreshTopics: () => loadTopics(async () => (await call('streams.topics.list')).topics),
    loadTopic: (name) => {
      // Another topic's partitions must not show under this one's name while loading.
      if (get().topic.data?.name !== name) set({ topic: { ...idle(), loading: true } });
      return loadTopicDesc(() => call('streams.topics.describe', { name }));
    },
    refreshGroups: () => loadGroups(async () => (await call('streams.groups.list')).groups),
    loadGroup: (name) => {
      if (get().group.data?.group !== name) set({ group: { ...idle(), loading: true } });
      return loadGroupDesc(() => call('streams.groups.describe', { group: name }));
    },

    createTopic: async (input) => {
      try {
        await call('streams.topics.create', input);
      } catch (err) {
        return toApiError(err);
      }
      await get().refreshTopics();
      return null;
    },
    deleteTopic: async (name) => {
      try {
        await call('streams.topics.delete', { name });
      } catch (err) {
        return toApiError(err);
      }
      if (get().tail.topic === name) await get().stopTail();
      await get().refreshTopics();
      return null;
    },

    runBrowse: async (q) => {
      const mine = ++browseGeneration;
      const isCancelled = (): boolean => mine !== browseGeneration;
      const started = performance.now();
      set({ browse: { ...idleBrowse, query: q, loading: true } });
      const progress = (n: number, scanned: number): void => {
        if (isCancelled()) return;
        const b = get().browse;
        set({ browse: { ...b, progress: b.progress + n, scanned: b.scanned + scanned } });
      };
      try {
        let messages: StreamMessage[];
        let scanned = 0;
        let reachedEnd = true;
        if (q.limit <= PAGE && (q.from === 'latest' || q.from === 'earliest' || q.partition !== null)) {
          // One call does it: the server merges partitions by time itself.
          const r = await call('streams.browse', {
            topic: q.topic,
            ...(q.partition !== null ? { partition: q.partition } : {}),
            from: q.from,
            limit: q.limit,
            ...(q.filter ? { filter: q.filter } : {}),
          });
          messages = r.messages;
          scanned = r.scanned;
          reachedEnd = r.reached_end;
        } else {
          // Larger, or an offset/time on every partition: page each partition from its own start, merge by time.
          const desc = await call('streams.topics.describe', { name: q.topic });
          const parts = desc.partition_info.filter((p) => q.partition === null || p.partition === q.partition);
          const starts = await Promise.all(
            parts.map(async (p) => {
              if (q.from === 'earliest') return p.low;
              if (q.from === 'latest') return Math.max(p.low, p.high - q.limit);
              if ('offset' in q.from) return Math.max(p.low, q.from.offset);
              // A time: the server resolves it to this partition's first offset at or after it.
              const r = await call('streams.browse', { topic: q.topic, partition: p.partition, from: q.from, limit: 1 });
              return r.messages[0]?.offset ?? p.high;
            }),
          );
          const results = await Promise.all(
            parts.map((p, i) =>
              q.filter
                ? pagePartition(q, p.partition, starts[i] ?? p.low, q.limit, isCancelled, progress)
                : pageRanges(q, p.partition, starts[i] ?? p.low, p.high, q.limit, isCancelled, progress),
            ),
          );
          messages = results.flatMap((r) => r.messages).sort(byTime);
          messages = q.from === 'latest' ? keepLast(messages, q.limit) : messages.slice(0, q.limit);
          scanned = results.reduce((s, r) => s + r.scanned, 0);
          reachedEnd = results.every((r) => r.reachedEnd);
        }
        if (isCancelled()) return;
        set({ browse: { query: q, messages, scanned, reachedEnd, loading: false, progress: messages.length, error: null, tookMs: performance.now() - started } });
      } catch (err) {
        if (isCancelled()) return;
        set({ browse: { ...get().browse, loading: false, error: toApiError(err) } });
      }
    },
    cancelBrowse: () => {
      browseGeneration += 1;
      set({ browse: { ...get().browse, loading: false } });
    },

    startTail: async (topic, partition) => {
      await get().stopTail();
      set({ tail: { ...idleTail, topic, partition, starting: true } });
      offTail ??= on('streams.tail', onTail);
      try {
        const r = await call('streams.tail.start', { topic, max_seconds: TAIL_MAX_SECONDS, ...(partition !== null ? { partition } : {}) });
        set({ tail: { ...get().tail, tailId: r.tail_id, starting: false } });
      } catch (err) {
        set({ tail: { ...get().tail, starting: false, error: toApiError(err) } });
      }
    },
    stopTail: async () => {
      const id = get().tail.tailId;
      if (!id) return;
      set({ tail: { ...get().tail, tailId: null, ended: true } });
      try {
        await call('streams.tail.stop', { tail_id: id });
      } catch (err) {
        set({ tail: { ...get().tail, error: toApiError(err) } });
      }
    },
    setPaused: (paused) => {
      const t = get().tail;
      if (paused) set({ tail: { ...t, paused } });
      else set({ tail: { ...t, paused, pending: [], messages: keepLast([...t.messages, ...t.pending], TAIL_KEEP) } });
    },
    clearTail: () => set({ tail: { ...get().tail, messages: [], pending: [], received: 0, dropped: 0, recent: [] } }),

    produceMessages: async (input) => {
      set({ produce: { ...get().produce, busy: true, error: null, problems: [] } });
      try {
        const last = await call('streams.produce', input);
        set({ produce: { busy: false, error: null, problems: [], last } });
        return true;
      } catch (err) {
        const e = toApiError(err);
        const raw = e.details?.problems;
        const problems = Array.isArray(raw)
          ? raw.filter((p): p is { field: string; message: string } => typeof p === 'object' && p !== null && typeof (p as { field?: unknown }).field === 'string')
          : [];
        set({ produce: { busy: false, error: e, problems, last: null } });
        return false;
      }
    },
    clearProduce: () => set({ produce: { busy: false, error: null, problems: [], last: null } }),

    resetOffsets: async (input) => {
      let r: ResetResult;
      try {
        r = await call('streams.groups.reset', input);
      } catch (err) {
        return toApiError(err);
      }
      if (r.applied) await Promise.all([get().loadGroup(input.group), get().refreshGroups()]);
      return r;
    },
  };
});
