/**
 * Opaque page tokens: base64url of the next offset and a hash of the query, so that a token handed to a
 * different search is refused instead of silently returning the wrong page.
 */
import { createHash } from 'node:crypto';
import { AppError } from '../../../platform/errors.js';

const hashOf = (query: unknown): string => createHash('sha1').update(JSON.stringify(query)).digest('base64url').slice(0, 12);

export function makePageToken(offset: number, query: unknown): string {
  return Buffer.from(JSON.stringify({ o: offset, h: hashOf(query) })).toString('base64url');
}

/** The offset a token stands for; 0 without a token. */
export function offsetOf(token: string | undefined | null, query: unknown): number {
  if (!token) return 0;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }
  const t = parsed as { o?: unknown; h?: unknown } | null;
  if (!t || typeof t !== 'object' || !Number.isSafeInteger(t.o) || (t.o as number) < 0 || typeof t.h !== 'string') {
    throw new AppError('INVALID_PARAMETER_VALUE', `page_token '${token.slice(0, 40)}' is not a page token this registry issued`, { page_token: token });
  }
  if (t.h !== hashOf(query)) {
    throw new AppError('INVALID_PARAMETER_VALUE', 'page_token belongs to a different search (filter, order_by or scope changed); start again without it', {
      page_token: token,
    });
  }
  return t.o as number;
}

/** One page out of `rows` fetched with LIMIT max+1: the extra row only tells that there is more. */
export function pageOf<T>(rows: T[], offset: number, max: number, query: unknown): { items: T[]; next_page_token: string | null } {
  const more = rows.length > max;
  return { items: more ? rows.slice(0, max) : rows, next_page_token: more ? makePageToken(offset + max, query) : null };
}
