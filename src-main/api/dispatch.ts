/**
 * The single entry every transport calls: parse the input with the contract, run the handler, and turn
 * any failure into the typed `{ code, message, details }` shape. Also keeps per-method latency samples.
 */
import type { z } from 'zod';
import { isMethodName, methods, type ApiResult, type MethodName, type Output } from './contract.js';
import { handlers } from './handlers.js';
import { errorShape } from '../platform/errors.js';
import type { Services } from '../platform/services.js';
import { formatPath } from '../platform/config.js';
import { recordCall } from '../engines/monitoring/system/recorder.js';
import { checkFileAccess, LOCAL_CALLER, type Caller } from './file-access.js';

export interface InvalidField {
  path: string;
  message: string;
}

export function invalidFields(error: z.ZodError): InvalidField[] {
  return error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
}

function describeInvalid(method: string, fields: InvalidField[]): string {
  const f = fields[0];
  if (!f) return `invalid input for ${method}`;
  const more = fields.length > 1 ? ` (and ${fields.length - 1} more)` : '';
  return `invalid input for ${method}: ${f.path === '(root)' ? '' : `${f.path}: `}${f.message}${more}`;
}

/** `caller` says who asks: a remote HTTP client may only name files under the workspace (file-access.ts). */
export async function dispatch(s: Services, method: string, rawInput: unknown, caller: Caller = LOCAL_CALLER): Promise<ApiResult<unknown>> {
  if (!isMethodName(method)) {
    return { ok: false, error: { code: 'UNKNOWN_METHOD', message: `unknown method "${method}"`, details: { method } } };
  }
  const def = methods[method];
  const parsed = def.input.safeParse(rawInput ?? undefined);
  if (!parsed.success) {
    const fields = invalidFields(parsed.error);
    return { ok: false, error: { code: 'INVALID_INPUT', message: describeInvalid(method, fields), details: { method, fields } } };
  }
  const t0 = performance.now();
  try {
    checkFileAccess(method, parsed.data, caller, s.workspace.paths.root);
    const handler = handlers[method] as (i: unknown, s: Services) => Promise<Output<MethodName>> | Output<MethodName>;
    const result = await handler(parsed.data, s);
    recordCall(s, method, performance.now() - t0, true);
    s.log.api.debug({ method, ms: performance.now() - t0 }, 'ok');
    return { ok: true, result };
  } catch (e) {
    const error = errorShape(e);
    recordCall(s, method, performance.now() - t0, false);
    s.log.api.warn({ method, ms: performance.now() - t0, code: error.code, err: error.message }, 'failed');
    return { ok: false, error };
  }
}
