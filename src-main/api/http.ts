/**
 * The contract over HTTP and WebSocket, for the browser console and REST clients:
 *   POST /api/rpc/<method>   body: the method's JSON input → { ok, result } | { ok: false, error }
 *   GET  /api/contract       the methods and events this server speaks
 *   GET  /api/events         WebSocket; every contract event as { event, payload }
 *   GET  /                   the built console (out/renderer)
 * Binds to 127.0.0.1 unless told otherwise; any other address requires a bearer token.
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
  bodyLimitBytes?: number;
}

export interface HttpServer {
  url: string;
  host: string;
  port: number;
  app: FastifyInstance;
  close(): Promise<void>;
}

const STATUS_OF: Record<string, number> = {
  INVALID_INPUT: 400,
  INVALID_PARAMETER_VALUE: 400,
  INVALID_FILE: 400,
  INVALID_CONFIG: 400,
  UNAUTHENTICATED: 401,
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
const PROTECTED = ['/api/', '/ajax-api/', '/mlflow', '/kafka', '/get-online-features', '/push', '/materialize'];
export const isProtected = (url: string): boolean => PROTECTED.some((p) => url.startsWith(p));

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
    const res = await dispatch(s, req.params.method, req.body ?? undefined);
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
  const s = opts.services;
  const app = Fastify({
    bodyLimit: opts.bodyLimitBytes ?? 16 * 1024 * 1024,
    requestTimeout: 120_000,
    logger: false,
  });
  app.addHook('onRequest', async (req, reply) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.header(k, v);
    if (token && isProtected(req.url) && !tokenMatches(bearerOf(req), token)) {
      return reply.code(401).send({ ok: false, error: { code: 'UNAUTHENTICATED', message: 'missing or wrong bearer token' } });
    }
  });
  app.addHook('onResponse', async (req, reply) => {
    s.log.api.info({ method: req.method, url: req.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100 }, 'http');
  });
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    // Fastify's own errors (bad JSON, body too large) become the same typed shape as ours.
    const status = err.statusCode ?? 500;
    const code = status === 413 ? 'INVALID_INPUT' : status === 400 ? 'INVALID_INPUT' : status < 500 ? 'INVALID_INPUT' : 'INTERNAL';
    return reply.code(status).send({ ok: false, error: { code, message: err.message, details: { reason: err.code ?? null } } });
  });
  await app.register(fastifyWebsocket, { options: { maxPayload: 64 * 1024 } });
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
    close: () => app.close(),
  };
}
