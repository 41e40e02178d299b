/**
 * Calls to a remote MLflow tracking server: JSON in and out, bearer token when configured, MLflow's
 * `{ error_code, message }` answers turned into AppError with the same code, and an unreachable server
 * reported as UNAVAILABLE naming the URI.
 */
import type { Readable } from 'node:stream';
import { AppError, type ErrorCode } from '../../../platform/errors.js';

export interface MlflowHttpOptions {
  trackingUri: string;
  token?: string;
  timeoutMs?: number;
}

type Query = Record<string, string | number | boolean | string[] | undefined>;

/** MLflow's codes we answer in the same terms; the rest are grouped by what the caller can do. */
const SAME_CODES = new Set(['RESOURCE_DOES_NOT_EXIST', 'RESOURCE_ALREADY_EXISTS', 'INVALID_PARAMETER_VALUE']);

function codeOf(status: number, mlflowCode: string | undefined): ErrorCode {
  if (mlflowCode && SAME_CODES.has(mlflowCode)) return mlflowCode as ErrorCode;
  if (mlflowCode === 'ALREADY_EXISTS') return 'RESOURCE_ALREADY_EXISTS';
  if (mlflowCode === 'NOT_FOUND' || status === 404) return 'RESOURCE_DOES_NOT_EXIST';
  if (status === 401 || status === 403) return 'INVALID_CONFIG';
  if (status === 400) return 'INVALID_PARAMETER_VALUE';
  if (status === 503 || status === 502 || status === 504) return 'UNAVAILABLE';
  return 'INTERNAL';
}

export class MlflowHttp {
  readonly base: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;

  constructor(opts: MlflowHttpOptions) {
    this.base = opts.trackingUri.replace(/\/+$/, '');
    this.token = opts.token;
    this.timeoutMs = opts.timeoutMs ?? 60_000;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...extra };
  }

  private url(path: string, query?: Query): string {
    const u = new URL(`${this.base}${path}`);
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v === undefined) continue;
      for (const item of Array.isArray(v) ? v : [v]) u.searchParams.append(k, String(item));
    }
    return u.toString();
  }

  private async send(method: string, path: string, init: { query?: Query; body?: BodyInit | Readable; headers?: Record<string, string> }): Promise<Response> {
    const url = this.url(path, init.query);
    try {
      return await fetch(url, {
        method,
        headers: this.headers(init.headers),
        body: init.body as BodyInit | undefined,
        signal: AbortSignal.timeout(this.timeoutMs),
        // Streams are sent as they are read rather than buffered first.
        ...(init.body && typeof (init.body as Readable).pipe === 'function' ? { duplex: 'half' } : {}),
      } as RequestInit);
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      if (err.name === 'TimeoutError') {
        throw new AppError('TIMEOUT', `MLflow tracking server at ${this.base} did not answer ${method} ${path} within ${this.timeoutMs} ms`, { uri: this.base, path });
      }
      const why = err.cause?.code ?? err.cause?.message ?? err.message;
      throw new AppError('UNAVAILABLE', `MLflow tracking server at ${this.base} is unreachable (${why})`, { uri: this.base, path, reason: why }, { cause: e });
    }
  }

  private async failure(res: Response, method: string, path: string): Promise<AppError> {
    const text = await res.text().catch(() => '');
    let body: { error_code?: string; message?: string } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      // Not JSON (a proxy's HTML page, an empty 502): the status and text are all there is.
    }
    const message = body.message ?? (text.trim().slice(0, 200) || `HTTP ${res.status}`);
    const code = codeOf(res.status, body.error_code);
    const where = code === 'INVALID_CONFIG' ? ` (check the registry token of the active profile)` : '';
    return new AppError(code, `MLflow at ${this.base}: ${message}${where}`, {
      uri: this.base,
      endpoint: `${method} ${path}`,
      status: res.status,
      mlflow_error_code: body.error_code ?? null,
    });
  }

  /** One REST call to /api/2.0/mlflow/<endpoint>; GET sends the request as query parameters. */
  async call<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', endpoint: string, request: Record<string, unknown> = {}): Promise<T> {
    const path = `/api/2.0/mlflow/${endpoint}`;
    const res =
      method === 'GET'
        ? await this.send(method, path, { query: request as Query })
        : await this.send(method, path, { body: JSON.stringify(request), headers: { 'content-type': 'application/json' } });
    if (!res.ok) throw await this.failure(res, method, path);
    const text = await res.text();
    return (text ? JSON.parse(text) : {}) as T;
  }

  /** The artifact proxy: /api/2.0/mlflow-artifacts/artifacts/<path>. */
  async artifact(method: 'GET' | 'PUT', proxyPath: string, body?: Buffer | Uint8Array | Readable): Promise<Buffer> {
    const path = `/api/2.0/mlflow-artifacts/artifacts/${proxyPath.split('/').map(encodeURIComponent).join('/')}`;
    const res = await this.send(method, path, body ? { body: body as BodyInit | Readable, headers: { 'content-type': 'application/octet-stream' } } : {});
    if (!res.ok) throw await this.failure(res, method, path);
    return Buffer.from(await res.arrayBuffer());
  }

  async listArtifacts<T>(proxyPath: string): Promise<T> {
    const path = '/api/2.0/mlflow-artifacts/artifacts';
    const res = await this.send('GET', path, { query: { path: proxyPath } });
    if (!res.ok) throw await this.failure(res, 'GET', path);
    return (await res.json()) as T;
  }
}
