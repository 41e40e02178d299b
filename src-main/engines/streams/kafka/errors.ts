/** kafkajs errors as AppErrors naming the brokers and what was being done. */
import { AppError, type ErrorCode } from '../../../platform/errors.js';

interface KafkaJsErrorLike {
  name?: string;
  type?: string;
  message?: string;
  retriable?: boolean;
}

const CODE_OF_TYPE: Record<string, ErrorCode> = {
  UNKNOWN_TOPIC_OR_PARTITION: 'NOT_FOUND',
  GROUP_ID_NOT_FOUND: 'NOT_FOUND',
  TOPIC_ALREADY_EXISTS: 'ALREADY_EXISTS',
  NON_EMPTY_GROUP: 'CONFLICT',
  UNKNOWN_MEMBER_ID: 'CONFLICT',
  REBALANCE_IN_PROGRESS: 'CONFLICT',
  INVALID_TOPIC_EXCEPTION: 'INVALID_INPUT',
  INVALID_PARTITIONS: 'INVALID_INPUT',
  INVALID_REPLICATION_FACTOR: 'INVALID_INPUT',
  INVALID_CONFIG: 'INVALID_INPUT',
  POLICY_VIOLATION: 'INVALID_INPUT',
  MESSAGE_TOO_LARGE: 'INVALID_INPUT',
  RECORD_LIST_TOO_LARGE: 'INVALID_INPUT',
  TOPIC_AUTHORIZATION_FAILED: 'UNAVAILABLE',
  GROUP_AUTHORIZATION_FAILED: 'UNAVAILABLE',
  SASL_AUTHENTICATION_FAILED: 'UNAVAILABLE',
};

/** The kafkajs error type (UNKNOWN_TOPIC_OR_PARTITION…) of an error or of its cause. */
export function kafkaErrorType(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let depth = 0; cur && depth < 5; depth++) {
    const x = cur as KafkaJsErrorLike & { cause?: unknown; originalError?: unknown };
    if (x.type) return x.type;
    cur = x.cause ?? x.originalError;
  }
  return undefined;
}

export function asAppError(e: unknown, what: string, brokers: readonly string[], details: Record<string, unknown> = {}): AppError {
  if (e instanceof AppError) return e;
  const x = (e ?? {}) as KafkaJsErrorLike;
  const type = kafkaErrorType(e);
  const connection = /Connection|Broker|NoBrokerAvailable|NumberOfRetriesExceeded|RequestTimeout|Timeout/.test(x.name ?? '');
  const code: ErrorCode = (type ? CODE_OF_TYPE[type] : undefined) ?? (connection ? 'UNAVAILABLE' : 'INTERNAL');
  const where = connection ? ` (brokers ${brokers.join(', ')})` : '';
  return new AppError(code, `${what}: ${x.message ?? String(e)}${where}`, { ...details, kafka_error: type ?? x.name ?? null, brokers }, { cause: e });
}
