/**
 * kafkajs client settings from the cluster profile's `bus` block: brokers, client id, SASL (plain,
 * scram-sha-256, scram-sha-512; the password from the secret store) and TLS (CA, client certificate and
 * key). kafkajs's own log lines go to streams.log through pino, quietly (warnings and up).
 */
import fs from 'node:fs';
import { logLevel, type KafkaConfig, type logCreator, type SASLOptions } from 'kafkajs';
import type tls from 'node:tls';
import type { z } from 'zod';
import type { BusSchema } from '../../../platform/config.js';
import { AppError } from '../../../platform/errors.js';
import type { Logger } from '../../../platform/logging.js';
import { resolveSecret } from '../../../platform/secrets.js';

export type KafkaBusConfig = Extract<z.infer<typeof BusSchema>, { type: 'kafka' }>;

function readFile(file: string, where: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    throw new AppError('INVALID_CONFIG', `${where}: cannot read ${file} (${code})`, { file, where });
  }
}

export function saslOf(sasl: KafkaBusConfig['sasl'], where: string): SASLOptions | undefined {
  if (!sasl) return undefined;
  const password = resolveSecret(sasl.password, `${where}.sasl.password`)!;
  return { mechanism: sasl.mechanism, username: sasl.username, password } as SASLOptions;
}

export function tlsOf(t: KafkaBusConfig['tls'], where: string): tls.ConnectionOptions | undefined {
  if (!t?.enabled) return undefined;
  const options: tls.ConnectionOptions = { rejectUnauthorized: t.reject_unauthorized };
  if (t.ca_file) options.ca = [readFile(t.ca_file, `${where}.tls.ca_file`)];
  if (t.cert_file) options.cert = readFile(t.cert_file, `${where}.tls.cert_file`);
  if (t.key) options.key = resolveSecret(t.key, `${where}.tls.key`);
  if (options.cert && !options.key) {
    throw new AppError('INVALID_CONFIG', `${where}.tls: cert_file is set but key is not; a client certificate needs its private key ({ secret: NAME })`, { where });
  }
  return options;
}

const PINO_LEVEL: Record<number, 'warn' | 'info' | 'debug' | 'trace'> = {
  [logLevel.ERROR]: 'warn',
  [logLevel.WARN]: 'info',
  [logLevel.INFO]: 'debug',
  [logLevel.DEBUG]: 'trace',
};

/** kafkajs → pino. kafkajs calls transient broker trouble ERROR; we report failures ourselves, so one level down. */
export function pinoLogCreator(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const { message, ...extra } = log;
      logger[PINO_LEVEL[level] ?? 'debug']({ kafkajs: namespace, ...extra }, message);
    };
}

/** `where` names the config block in messages, e.g. `profiles.cluster.bus`. */
export function kafkaConfigOf(bus: KafkaBusConfig, logger: Logger, where = 'bus'): KafkaConfig {
  const ssl = tlsOf(bus.tls, where);
  const sasl = saslOf(bus.sasl, where);
  return {
    clientId: bus.client_id,
    brokers: bus.brokers,
    connectionTimeout: 3000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 300, retries: 5 },
    logLevel: logLevel.WARN,
    logCreator: pinoLogCreator(logger),
    ...(ssl ? { ssl } : {}),
    ...(sasl ? { sasl } : {}),
  };
}
