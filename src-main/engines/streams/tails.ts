/**
 * Live tails the console asked for, each forwarding new messages as `streams.tail` events. A screen
 * cannot show thousands of messages a second, so events go out at most every FLUSH_MS with the newest
 * MAX_PER_EVENT messages, and say how many were skipped. Every tail ends by itself after max_seconds
 * so a closed browser tab does not leave one running.
 */
import { randomUUID } from 'node:crypto';
import type { TailEvent } from '../../api/methods/streams.js';
import { viewOf } from './messages.js';
import type { Bus, BusMessage, Tail } from './types.js';

const FLUSH_MS = 100;
const MAX_PER_EVENT = 200;

interface Running {
  topic: string;
  tail: Tail | null;
  buffer: BusMessage[];
  dropped: number;
  flush: NodeJS.Timeout;
  expiry: NodeJS.Timeout;
}

export interface TailStart {
  topic: string;
  partition?: number;
  maxSeconds: number;
}

export class TailRegistry {
  private readonly running = new Map<string, Running>();

  constructor(
    private readonly bus: () => Promise<Bus>,
    private readonly publish: (e: TailEvent) => void,
  ) {}

  async start(req: TailStart): Promise<{ tail_id: string; topic: string; expires_at: string }> {
    const id = randomUUID();
    const bus = await this.bus();
    const r: Running = {
      topic: req.topic,
      tail: null,
      buffer: [],
      dropped: 0,
      flush: setInterval(() => this.flush(id), FLUSH_MS),
      expiry: setTimeout(() => void this.end(id, null), req.maxSeconds * 1000),
    };
    r.expiry.unref();
    this.running.set(id, r);
    try {
      r.tail = await bus.tail({
        topic: req.topic,
        ...(req.partition !== undefined ? { partitions: [req.partition] } : {}),
        onMessages: (messages) => {
          r.buffer.push(...messages);
          if (r.buffer.length > MAX_PER_EVENT) r.dropped += r.buffer.splice(0, r.buffer.length - MAX_PER_EVENT).length;
        },
        onError: (e) => void this.end(id, e.message),
      });
    } catch (e) {
      this.discard(id);
      throw e;
    }
    return { tail_id: id, topic: req.topic, expires_at: new Date(Date.now() + req.maxSeconds * 1000).toISOString() };
  }

  async stop(id: string): Promise<boolean> {
    return this.end(id, null);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.running.keys()].map((id) => this.end(id, null)));
  }

  private flush(id: string): void {
    const r = this.running.get(id);
    if (r && r.buffer.length > 0) this.send(id, r, false, null);
  }

  private send(id: string, r: Running, ended: boolean, error: string | null): void {
    this.publish({ tail_id: id, topic: r.topic, messages: r.buffer.splice(0).map(viewOf), dropped: r.dropped, ended, error });
    r.dropped = 0;
  }

  private async end(id: string, error: string | null): Promise<boolean> {
    const r = this.discard(id);
    if (!r) return false;
    await r.tail?.stop();
    this.send(id, r, true, error);
    return true;
  }

  private discard(id: string): Running | undefined {
    const r = this.running.get(id);
    if (!r) return undefined;
    clearInterval(r.flush);
    clearTimeout(r.expiry);
    this.running.delete(id);
    return r;
  }
}
