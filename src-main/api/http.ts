/**
 * The contract over HTTP and WebSocket, for the browser console and REST clients:
 *   POST /api/rpc/<method>   body: the method's JSON input → { ok, result } | { ok: false, error }
 *   GET  /api/contract       the methods and events this server speaks
 *   GET  /api/events         WebSocket; every contract event as { event, payload }
 *   GET  /                   the built console (out/renderer)
 * Binds to 127.0.0.1 unless told otherwise; any other address requires a bearer token, and then every
 * route but the console's static files needs it. Browsers get no cross-origin access unless an origin is
 * allowed (TAXI_ALLOWED_ORIGINS), and on loopback a Host header that is not a loopback
 * name is refused (a DNS-rebinding page cannot reach the API). Each route family has a body size limit
 * and a time limit (504 TIMEOUT when its handler takes longer).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import { timingSafeEqual } from 'node:crypto';
import { eventNames, methods, methodNames } from './contract.js';
import { COMPAT_ROUTES } from './compat/index.js';
import { dispatch } from './dispatch.js';
import { AppError } from '../platform/errors.js';
import type { Services } from '../platform/services.js';

export interface HttpServerOptions {
  services: Services;
  host?: string;
  port?: number;
  /** Folder of the built console; default out/renderer next to the app. */
  staticDir?: string;
  /** Required when host is not a loopback address. */
  token?: string;
  /** Default body limit (routes with their own limit keep it unless it is larger). */
  bodyLimitBytes?: number;
  /** Origins (scheme://host[:port]) allowed to call from a browser besides the console's own; default: TAXI_ALLOWED_ORIGINS (comma-separated). */
  allowedOrigins?: string[];
  /** Per-route-family time limits in ms, keyed like ROUTE_LIMITS (e.g. { '/api/rpc/': 5000 }); 0 turns one off. */
  routeTimeoutsMs?: Record<string, number>;
}

export interface HttpServer {
  url: string;
  host: string;
  port: number;
  app: FastifyInstance;
  /** Every route registered (method, URL pattern), for audits such as "every API route needs the token". */
  routes: { method: string; url: string }[];
  close(): Promise<void>;
}

const STATUS_OF: Record<string, number> = {
  INVALID_INPUT: 400,
  INVALID_PARAMETER_VALUE: 400,
  INVALID_FILE: 400,
  INVALID_CONFIG: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  RESOURCE_DOES_NOT_EXIST: 404,
  UNKNOWN_METHOD: 404,
  ALREADY_EXISTS: 409,
  RESOURCE_ALREADY_EXISTS: 409,
  CONFLICT: 409,
  CANCELLED: 409,
  TIMEOUT: 504,
  UNAVAILABLE: 503,
};
export const httpStatusOf = (code: string): number => STATUS_OF[code] ?? 500;

export const isLoopback = (host: string): boolean =>
  host === 'localhost' || host === '::1' || host.startsWith('127.');

/** out/renderer relative to this module, whether it runs from source or from the bundle. */
export function defaultStaticDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const rel of ['../renderer', '../../out/renderer', '../../../out/renderer']) {
    const dir = path.resolve(here, rel);
    if (fs.existsSync(path.join(dir, 'index.html'))) return dir;
  }
  return path.resolve(here, '../../out/renderer');
}

/**
 * Everything but the console's static files needs the token when one is set: our API, MLflow's and
 * Feast's routes and the platform guide's.
 */
const PROTECTED = ['/api/', '/ajax-api/', '/mlflow', '/kafka', '/get-online-features', '/push', '/materialize', '/predict', '/reports'];
export const isProtected = (url: string): boolean => PROTECTED.some((p) => url.startsWith(p));

/** Route patterns of the console's static files (and its deep-link fallback, which has none). */
const STATIC_PATTERNS = new Set(['/*', '/', undefined]);

/**
 * Whether a request needs the token: every registered route does, whatever its prefix (a route another
 * module adds later is covered without a list to update); only GETs of the console's files do not.
 */
function needsToken(req: FastifyRequest): boolean {
  if (isProtected(req.url)) return true;
  if (req.method !== 'GET' && req.method !== 'HEAD') return true;
  return !STATIC_PATTERNS.has(req.routeOptions.url);
}

interface RouteLimit {
  prefix: string;
  bodyLimit: number;
  timeoutMs: number;
}

const MiB = 1024 * 1024;
/**
 * Body and time limits by route family, first match wins. Online reads and predictions are interactive
 * (seconds); contract calls may run a point-in-time join inline; artifact uploads stream large files.
 */
export const ROUTE_LIMITS: readonly RouteLimit[] = [
  { prefix: '/get-online-features', bodyLimit: 4 * MiB, timeoutMs: 30_000 },
  { prefix: '/predict', bodyLimit: 4 * MiB, timeoutMs: 30_000 },
  { prefix: '/push', bodyLimit: 16 * MiB, timeoutMs: 120_000 },
  { prefix: '/materialize', bodyLimit: 64 * 1024, timeoutMs: 30_000 },
  { prefix: '/api/2.0/mlflow-artifacts/', bodyLimit: 16 * MiB, timeoutMs: 600_000 },
  { prefix: '/ajax-api/2.0/mlflow-artifacts/', bodyLimit: 16 * MiB, timeoutMs: 600_000 },
  { prefix: '/api/2.0/mlflow/', bodyLimit: 8 * MiB, timeoutMs: 60_000 },
  { prefix: '/ajax-api/', bodyLimit: 8 * MiB, timeoutMs: 60_000 },
  { prefix: '/mlflow/', bodyLimit: 8 * MiB, timeoutMs: 60_000 },
  { prefix: '/kafka/', bodyLimit: 8 * MiB, timeoutMs: 60_000 },
  { prefix: '/api/rpc/', bodyLimit: 16 * MiB, timeoutMs: 120_000 },
  { prefix: '/reports/', bodyLimit: 64 * 1024, timeoutMs: 60_000 },
];
const DEFAULT_LIMIT: RouteLimit = { prefix: '', bodyLimit: 16 * MiB, timeoutMs: 120_000 };
export const routeLimitOf = (url: string): RouteLimit => ROUTE_LIMITS.find((l) => url.startsWith(l.prefix)) ?? DEFAULT_LIMIT;

/** Whether a peer address is this machine (IPv4 loopback, IPv6 loopback, or IPv4 loopback mapped into IPv6). */
export const isLoopbackAddress = (addr: string | undefined): boolean => !!addr && (addr === '::1' || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(addr));

/** Host names a loopback server answers to; anything else is a page that rebound its DNS name to us. */
const isLoopbackHostHeader = (hostHeader: string | undefined): boolean => {
  if (!hostHeader) return false;
  const name = hostHeader.startsWith('[') ? hostHeader.slice(0, hostHeader.indexOf(']') + 1) : hostHeader.replace(/:\d+$/, '');
  return name === 'localhost' || name === '[::1]' || /^127(\.\d{1,3}){3}$/.test(name);
};

function allowedOriginsOf(opts: HttpServerOptions): Set<string> {
  const list = opts.allowedOrigins ?? (process.env.TAXI_ALLOWED_ORIGINS ?? '').split(',');
  const out = new Set<string>();
  for (const raw of list.map((o) => o.trim()).filter(Boolean)) {
    // A wildcard would hand every web page the API (with the user's token in the console's storage).
    if (raw === '*' || raw === 'null') throw new AppError('INVALID_INPUT', `allowed origin "${raw}" is refused: name each origin (scheme://host:port)`, { origin: raw });
    let origin: string;
    try {
      origin = new URL(raw).origin;
    } catch {
      throw new AppError('INVALID_INPUT', `allowed origin "${raw}" is not a URL origin (scheme://host:port)`, { origin: raw });
    }
    out.add(origin);
  }
  return out;
}

const sameOrigin = (req: FastifyRequest, origin: string): boolean => {
  const host = req.headers.host;
  return !!host && (origin === `http://${host}` || origin === `https://${host}`);
};

const fail = (reply: FastifyReply, status: number, code: string, message: string, details?: Record<string, unknown>) =>
  reply.code(status).send({ ok: false, error: { code, message, ...(details ? { details } : {}) } });

function tokenMatches(given: string | undefined, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function bearerOf(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (h?.startsWith('Bearer ')) return h.slice(7);
  // Browsers cannot set headers on a WebSocket; the console passes the token as a query parameter.
  const q = (req.query as Record<string, string> | undefined)?.token;
  return typeof q === 'string' ? q : undefined;
}

function registerRpc(app: FastifyInstance, s: Services): void {
  app.post<{ Params: { method: string } }>('/api/rpc/:method', async (req, reply) => {
    const res = await dispatch(s, req.params.method, req.body ?? undefined, { remote: !isLoopbackAddress(req.socket.remoteAddress) });
    return reply.code(res.ok ? 200 : httpStatusOf(res.error.code)).send(res);
  });
  app.get('/api/contract', async () => ({
    methods: methodNames.map((name) => ({ name, description: methods[name].description, job: methods[name].job ?? false })),
    events: eventNames,
  }));
  app.get('/api/ping', async () => ({ ok: true }));
}

function registerEvents(app: FastifyInstance, s: Services): void {
  app.get('/api/events', { websocket: true }, (socket) => {
    const unsubscribe = s.events.subscribe((e) => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(e));
    });
    socket.on('close', unsubscribe);
    // Clients send nothing; anything they send is ignored rather than parsed.
    socket.on('message', () => undefined);
  });
}

function registerStatic(app: FastifyInstance, dir: string): void {
  if (!fs.existsSync(path.join(dir, 'index.html'))) {
    app.get('/', async (_req, reply) =>
      reply
        .code(503)
        .type('text/plain')
        .send(`The console is not built (${dir}/index.html missing). Run "npm run build", then reload.`),
    );
    return;
  }
  app.register(fastifyStatic, { root: dir, prefix: '/', index: ['index.html'] });
  app.setNotFoundHandler((req, reply: FastifyReply) => {
    if (req.url.startsWith('/api/')) {
      return reply.code(404).send({ ok: false, error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` } });
    }
    return reply.sendFile('index.html');
  });
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
};

export async function startHttpServer(opts: HttpServerOptions): Promise<HttpServer> {
  const host = opts.host ?? '127.0.0.1';
  const token = opts.token ?? process.env.TAXI_API_TOKEN;
  if (!isLoopback(host) && !token) {
    throw new AppError('INVALID_INPUT', `refusing to listen on ${host} without a token: set --token or TAXI_API_TOKEN (loopback needs none)`, {
      host,
    });
  }
  const allowedOrigins = allowedOriginsOf(opts);
  const loopbackOnly = isLoopback(host);
  const defaultBodyLimit = opts.bodyLimitBytes ?? DEFAULT_LIMIT.bodyLimit;
  const timeoutOf = (url: string): number => {
    const l = routeLimitOf(url);
    return opts.routeTimeoutsMs?.[l.prefix] ?? l.timeoutMs;
  };
  const s = opts.services;
  const app = Fastify({
    bodyLimit: defaultBodyLimit,
    // Whole-request receive time (slow uploads and slowloris); handler time is limited per route below.
    requestTimeout: 600_000,
    routerOptions: { maxParamLength: 2000 },
    logger: false,
  });
  // Each route family gets its body limit; an explicit smaller default (tests, small deployments) wins.
  // Registered before our hooks: its onRequest marks upgrade requests, so that a refused upgrade (401,
  // 403) has its socket destroyed after the answer instead of held open until the client leaves.
  await app.register(fastifyWebsocket, { options: { maxPayload: 64 * 1024 } });
  const routes: { method: string; url: string }[] = [];
  app.addHook('onRoute', (route) => {
    for (const m of [route.method].flat()) routes.push({ method: m, url: route.url });
    if (route.bodyLimit === undefined) route.bodyLimit = Math.min(routeLimitOf(route.url).bodyLimit, defaultBodyLimit);
  });
  app.addHook('onRequest', async (req, reply) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.header(k, v);
    if (loopbackOnly && !isLoopbackHostHeader(req.headers.host)) {
      return fail(reply, 403, 'FORBIDDEN', `host "${req.headers.host ?? ''}" is not this loopback server; open it as http://127.0.0.1:<port>`, { host: req.headers.host ?? null });
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !sameOrigin(req, origin)) {
      if (!allowedOrigins.has(origin)) {
        return fail(reply, 403, 'FORBIDDEN', `cross-origin request from ${origin} refused; allow it with TAXI_ALLOWED_ORIGINS=<origin>[,<origin>…] on the server`, { origin });
      }
      reply.header('access-control-allow-origin', origin);
      reply.header('vary', 'Origin');
      if (req.method === 'OPTIONS') {
        return reply
          .code(204)
          .header('access-control-allow-methods', 'GET, POST, PUT, PATCH, DELETE')
          .header('access-control-allow-headers', 'authorization, content-type')
          .header('access-control-max-age', '600')
          .send();
      }
    }
    if (token && needsToken(req) && !tokenMatches(bearerOf(req), token)) {
      return fail(reply, 401, 'UNAUTHENTICATED', 'missing or wrong bearer token');
    }
    const ms = req.headers.upgrade ? 0 : timeoutOf(req.url);
    if (ms > 0) {
      const timer = setTimeout(() => {
        if (reply.sent) return;
        s.log.api.warn({ method: req.method, url: req.url.split('?')[0], ms }, 'route timed out');
        fail(reply, 504, 'TIMEOUT', `${req.method} ${req.url.split('?')[0]} did not answer within ${ms / 1000} s`, { timeout_ms: ms });
      }, ms);
      timer.unref();
      reply.raw.once('close', () => clearTimeout(timer));
    }
  });
  app.addHook('onResponse', async (req, reply) => {
    s.log.api.info({ method: req.method, url: req.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100 }, 'http');
  });
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    // Fastify's own errors (bad JSON, body too large) become the same typed shape as ours.
    const status = err.statusCode ?? 500;
    // 413 stays INVALID_INPUT (clients already match on it); details.reason says FST_ERR_CTP_BODY_TOO_LARGE.
    const code = status < 500 ? 'INVALID_INPUT' : 'INTERNAL';
    return reply.code(status).send({ ok: false, error: { code, message: err.message, details: { reason: err.code ?? null } } });
  });
  registerRpc(app, s);
  registerEvents(app, s);
  for (const register of COMPAT_ROUTES) await register(app, s);
  registerStatic(app, opts.staticDir ?? defaultStaticDir());
  await app.listen({ host, port: opts.port ?? 8000 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : (opts.port ?? 8000);
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}`,
    host,
    port,
    app,
    routes,
    close: () => app.close(),
  };
}
