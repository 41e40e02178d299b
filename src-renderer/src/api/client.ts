/**
 * The renderer's only road to server data. Inside Electron it goes through `window.api` (IPC); in a browser
 * it speaks the same contract over HTTP (`POST /api/rpc/<method>`) and a WebSocket (`/api/events`).
 * Callers see one typed surface either way: `call` resolves with the method's output or throws ApiError.
 */
import type {
  ApiErrorShape,
  ApiResult,
  EventName,
  EventPayload,
  Input,
  MethodName,
  Output,
  WindowApi,
} from '../../../src-main/api/contract';

export type {
  DataSummary,
  DriftName,
  EventName,
  EventPayload,
  GenerateInput,
  ImportInput,
  ImportSummary,
  Input,
  Job,
  JobProgressView,
  JobStatus,
  MethodName,
  Output,
} from '../../../src-main/api/contract';

declare global {
  interface Window {
    /** Present only inside Electron, where preload exposes it. */
    api?: WindowApi;
  }
}

export class ApiError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.details = details;
  }
}

export const toApiError = (err: unknown): ApiError =>
  err instanceof ApiError ? err : new ApiError('INTERNAL', err instanceof Error ? err.message : String(err));

/** Long jobs return a job handle at once, so a call that takes this long is stuck, not busy. */
const CALL_TIMEOUT_MS = 30_000;

export type ConnectionState = 'connecting' | 'connected' | 'disconnected';

interface Transport {
  invoke<M extends MethodName>(method: M, input: Input<M> | undefined): Promise<ApiResult<Output<M>>>;
  subscribe<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
  onConnection(listener: (state: ConnectionState) => void): () => void;
}

function ipcTransport(api: WindowApi): Transport {
  return {
    invoke: (method, input) => api.invoke(method, input),
    subscribe: (event, listener) => api.subscribe(event, listener),
    // IPC to our own main process cannot drop while the window exists.
    onConnection: (listener) => {
      listener('connected');
      return () => undefined;
    },
  };
}

function isApiResult(body: unknown): body is ApiResult<unknown> {
  return typeof body === 'object' && body !== null && typeof (body as { ok?: unknown }).ok === 'boolean';
}

const TOKEN_KEY = 'taxi-mlops.token';

/**
 * A server on a non-loopback address wants a bearer token. It arrives once as `?token=` in the console's
 * URL, is kept for the tab's session and removed from the address bar so it is not bookmarked or shared.
 */
function readToken(): string | null {
  try {
    const params = new URLSearchParams(location.search);
    const fromUrl = params.get('token');
    if (fromUrl) {
      sessionStorage.setItem(TOKEN_KEY, fromUrl);
      params.delete('token');
      const query = params.toString();
      history.replaceState(null, '', `${location.pathname}${query ? `?${query}` : ''}${location.hash}`);
      return fromUrl;
    }
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

const authorization = (token: string | null): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});

async function httpInvoke<M extends MethodName>(token: string | null, method: M, input: Input<M> | undefined): Promise<ApiResult<Output<M>>> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), CALL_TIMEOUT_MS);
  let response: Response;
  try {
    response = await fetch(`/api/rpc/${encodeURIComponent(method)}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        ...authorization(token),
      },
      body: JSON.stringify(input ?? {}),
      signal: abort.signal,
    });
  } catch (err) {
    const timedOut = abort.signal.aborted;
    return {
      ok: false,
      error: timedOut
        ? { code: 'TIMEOUT', message: `${method} did not answer within ${CALL_TIMEOUT_MS / 1000} s` }
        : { code: 'UNAVAILABLE', message: `cannot reach the server: ${err instanceof Error ? err.message : String(err)}` },
    };
  } finally {
    clearTimeout(timer);
  }
  const body: unknown = await response.json().catch(() => null);
  if (isApiResult(body)) return body as ApiResult<Output<M>>;
  // A proxy or an older server may answer with something other than the contract's envelope.
  return { ok: false, error: { code: `HTTP_${response.status}`, message: `${method}: unexpected ${response.status} ${response.statusText} response` } };
}

type AnyListener = (payload: unknown) => void;

/** One socket for all events; it reconnects with capped exponential backoff until the page closes. */
function socketEvents(token: string | null): Pick<Transport, 'subscribe' | 'onConnection'> {
  const listeners = new Map<string, Set<AnyListener>>();
  const stateListeners = new Set<(state: ConnectionState) => void>();
  let state: ConnectionState = 'connecting';
  let socket: WebSocket | null = null;
  let attempt = 0;
  let started = false;

  const setState = (next: ConnectionState): void => {
    if (next === state) return;
    state = next;
    for (const l of stateListeners) l(state);
  };

  const dispatch = (raw: unknown): void => {
    if (typeof raw !== 'string') return;
    let message: unknown;
    try {
      message = JSON.parse(raw);
    } catch {
      return;
    }
    if (typeof message !== 'object' || message === null) return;
    const { event, payload } = message as { event?: unknown; payload?: unknown };
    if (typeof event !== 'string') return;
    for (const l of listeners.get(event) ?? []) l(payload);
  };

  const connect = (): void => {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    // Browsers cannot set headers on a WebSocket, so the token travels as a query parameter.
    const query = token ? `?token=${encodeURIComponent(token)}` : '';
    const ws = new WebSocket(`${scheme}://${location.host}/api/events${query}`);
    socket = ws;
    ws.onopen = () => {
      attempt = 0;
      setState('connected');
    };
    ws.onmessage = (e) => dispatch(e.data);
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      setState('disconnected');
      const delay = Math.min(10_000, 500 * 2 ** attempt) * (0.75 + Math.random() * 0.5);
      attempt += 1;
      setTimeout(connect, delay);
    };
    // An error is always followed by close, which owns the retry.
    ws.onerror = () => undefined;
  };

  const start = (): void => {
    if (started) return;
    started = true;
    connect();
  };

  return {
    subscribe: (event, listener) => {
      start();
      const set = listeners.get(event) ?? new Set<AnyListener>();
      listeners.set(event, set);
      const l = listener as AnyListener;
      set.add(l);
      return () => {
        set.delete(l);
      };
    },
    onConnection: (listener) => {
      start();
      stateListeners.add(listener);
      listener(state);
      return () => {
        stateListeners.delete(listener);
      };
    },
  };
}

function browserTransport(): Transport {
  const token = readToken();
  return { invoke: (method, input) => httpInvoke(token, method, input), ...socketEvents(token) };
}

let transport: Transport | null = null;
const current = (): Transport => (transport ??= window.api ? ipcTransport(window.api) : browserTransport());

export const transportKind = (): 'ipc' | 'http' => (window.api ? 'ipc' : 'http');

/** Whether the server wants the console's bearer token (one listening beyond loopback). */
export const serverWantsToken = (): boolean => transportKind() === 'http' && readToken() !== null;

/**
 * GETs a protected file of the server (a report export) with the console's token. A plain link cannot
 * send the token, and putting it in the link's URL would leave it in the browser's history.
 */
export async function fetchServerFile(path: string): Promise<Blob> {
  const token = readToken();
  let response: Response;
  try {
    response = await fetch(path, { headers: authorization(token) });
  } catch (err) {
    throw new ApiError('UNAVAILABLE', `cannot reach the server: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (response.ok) return response.blob();
  const body = (await response.json().catch(() => null)) as { error?: { code?: string; message?: string }; code?: string; message?: string } | null;
  const e = body?.error ?? body;
  throw new ApiError(e?.code ?? `HTTP_${response.status}`, e?.message ?? `${path}: ${response.status} ${response.statusText}`);
}

export async function call<M extends MethodName>(method: M, input?: Input<M>): Promise<Output<M>> {
  let result: ApiResult<Output<M>>;
  try {
    result = await current().invoke(method, input);
  } catch (err) {
    throw toApiError(err);
  }
  if (result.ok) return result.result;
  const e: ApiErrorShape = result.error;
  throw new ApiError(e.code, e.message, e.details);
}

export function on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
  return current().subscribe(event, listener);
}

export function onConnection(listener: (state: ConnectionState) => void): () => void {
  return current().onConnection(listener);
}

/** Schemas the UI validates forms with before sending, so messages match what the server would say. */
export { DriftNameSchema, GenerateInputSchema, ImportInputSchema, ImportLayoutSchema, ImportSummarySchema } from '../../../src-main/api/contract';
