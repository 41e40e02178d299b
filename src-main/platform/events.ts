/**
 * The in-process hub for contract events. Engines publish here; the transports (IPC, WebSocket) forward
 * every event to their clients, so adding an event to the contract needs no transport change.
 */
import { EventEmitter } from 'node:events';
import type { EventName, EventPayload } from '../api/contract.js';

export type AnyEvent = { [E in EventName]: { event: E; payload: EventPayload<E> } }[EventName];

export class EventHub {
  private readonly emitter = new EventEmitter();

  constructor() {
    // Many sockets may listen at once; each is one listener.
    this.emitter.setMaxListeners(0);
  }

  publish<E extends EventName>(event: E, payload: EventPayload<E>): void {
    this.emitter.emit('event', { event, payload } as AnyEvent);
  }

  subscribe(listener: (e: AnyEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}
