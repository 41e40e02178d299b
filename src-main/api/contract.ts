/**
 * The one API contract. Every method and event is declared here once, with zod schemas for input and
 * output. Main (IPC), preload (window.api), the renderer's client and the HTTP/WS server all take their
 * names and types from this table, and every input is parsed against it at the boundary.
 */
import type { z } from 'zod';
import { JobSchema, type ApiErrorShape } from './methods/common.js';
import { systemMethods } from './methods/system.js';
import { dataMethods } from './methods/data.js';
import { jobsMethods } from './methods/jobs.js';
import { featuresMethods } from './methods/features.js';
import { registryEvents, registryMethods } from './methods/registry.js';
import { streamsMethods, TailEventSchema } from './methods/streams.js';
import { modelsMethods } from './methods/models.js';
import { processorMethods } from './methods/processor.js';
import { settingsEvents, settingsMethods } from './methods/settings.js';
import { monitoringEvents, monitoringMethods } from './methods/monitoring.js';
import { selftestMethods } from './methods/selftest.js';
import { systemMetricsMethods } from './methods/system-metrics.js';

export * from './methods/common.js';
export * from './methods/data.js';

// ---------- methods ----------
// Each domain declares its methods in methods/<domain>.ts; this table is the union the app speaks.

export const methods = {
  ...systemMethods,
  ...dataMethods,
  ...jobsMethods,
  ...featuresMethods,
  ...registryMethods,
  ...streamsMethods,
  ...modelsMethods,
  ...processorMethods,
  ...settingsMethods,
  ...monitoringMethods,
  ...systemMetricsMethods,
  ...selftestMethods,
} as const;


export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type Input<M extends MethodName> = z.input<Methods[M]['input']>;
export type ParsedInput<M extends MethodName> = z.output<Methods[M]['input']>;
export type Output<M extends MethodName> = z.output<Methods[M]['output']>;

export const methodNames = Object.keys(methods) as MethodName[];
export const isMethodName = (name: string): name is MethodName => Object.hasOwn(methods, name);

// ---------- events ----------

export const events = {
  'jobs.progress': JobSchema,
  ...registryEvents,
  'streams.tail': TailEventSchema,
  ...settingsEvents,
  ...monitoringEvents,
} as const;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = z.output<Events[E]>;
export const eventNames = Object.keys(events) as EventName[];
export const isEventName = (name: string): name is EventName => Object.hasOwn(events, name);

/** IPC channel names derive from the contract; nothing else may be sent over IPC. */
export const ipcInvokeChannel = 'api:invoke';
export const ipcEventChannel = (e: EventName): string => `api:event:${e}`;

/** The shape of window.api that preload exposes and the renderer client uses. */
export interface WindowApi {
  invoke<M extends MethodName>(method: M, input?: Input<M>): Promise<ApiResult<Output<M>>>;
  subscribe<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}

export type ApiResult<T> = { ok: true; result: T } | { ok: false; error: ApiErrorShape };
