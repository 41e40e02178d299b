/**
 * MLflow's input rules, checked before anything is written so that a refused request leaves the
 * registry exactly as it was. Messages name the field and the offending value.
 */
import { AppError } from '../../../platform/errors.js';
import { LIMITS, type LogBatchRequest, type Metric, type Tag } from '../types.js';

const invalid = (message: string, details: Record<string, unknown>): AppError => new AppError('INVALID_PARAMETER_VALUE', message, details);

const KEY_CHARS = /^[/\w.\- :]*$/;

/** The same name after POSIX normalisation, so that keys used as file names cannot alias each other. */
function resolvesElsewhere(name: string): boolean {
  const parts: string[] = [];
  for (const seg of name.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..' && parts.length > 0 && parts.at(-1) !== '..') parts.pop();
    else parts.push(seg);
  }
  const norm = (name.startsWith('/') ? '/' : '') + parts.join('/') || '.';
  return norm !== name || norm === '.' || norm.startsWith('..') || norm.startsWith('/');
}

/** A metric, param or tag key. */
export function checkKey(key: unknown, field: string): string {
  if (typeof key !== 'string' || key === '') throw invalid(`${field}: a key name must be provided`, { field });
  if (!KEY_CHARS.test(key)) {
    throw invalid(
      `${field} '${key}' is not valid: names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colons (:) and slashes (/)`,
      { field, key },
    );
  }
  if (resolvesElsewhere(key)) throw invalid(`${field} '${key}' is not valid: it would resolve to another name when treated as a path`, { field, key });
  if (key.length > LIMITS.keyLength) throw invalid(`${field} '${key.slice(0, 40)}…' is longer than ${LIMITS.keyLength} characters`, { field, length: key.length });
  return key;
}

export function checkLength(value: string, limit: number, field: string): string {
  if (value.length > limit) throw invalid(`${field} is ${value.length} characters long; the limit is ${limit}`, { field, length: value.length, limit });
  return value;
}

export function checkParam(key: string, value: string, field = 'param'): void {
  checkKey(key, `${field} key`);
  checkLength(value, LIMITS.paramValueLength, `${field} '${key}' value`);
}

export function checkRunTag(key: string, value: string, field = 'tag'): void {
  checkKey(key, `${field} key`);
  checkLength(value, LIMITS.tagValueLength, `${field} '${key}' value`);
}

export function checkMetric(m: Metric, field = 'metric'): void {
  checkKey(m.key, `${field} key`);
  if (typeof m.value !== 'number') throw invalid(`${field} '${m.key}' value must be a number, got ${JSON.stringify(m.value)}`, { field, key: m.key });
  if (!Number.isSafeInteger(m.timestamp)) throw invalid(`${field} '${m.key}' timestamp must be an integer (ms since epoch), got ${m.timestamp}`, { field, key: m.key });
  if (!Number.isSafeInteger(m.step)) throw invalid(`${field} '${m.key}' step must be an integer, got ${m.step}`, { field, key: m.key });
}

export function checkBatch(req: LogBatchRequest): void {
  const metrics = req.metrics ?? [];
  const params = req.params ?? [];
  const tags = req.tags ?? [];
  const over = (what: string, n: number, limit: number): AppError =>
    invalid(`log-batch: ${n} ${what} in one request; the limit is ${limit}`, { [what]: n, limit });
  if (metrics.length > LIMITS.metricsPerBatch) throw over('metrics', metrics.length, LIMITS.metricsPerBatch);
  if (params.length > LIMITS.paramsPerBatch) throw over('params', params.length, LIMITS.paramsPerBatch);
  if (tags.length > LIMITS.tagsPerBatch) throw over('tags', tags.length, LIMITS.tagsPerBatch);
  const total = metrics.length + params.length + tags.length;
  if (total > LIMITS.entitiesPerBatch) throw over('entities', total, LIMITS.entitiesPerBatch);
  metrics.forEach((m, i) => checkMetric(m, `metrics[${i}]`));
  params.forEach((p, i) => checkParam(p.key, p.value, `params[${i}]`));
  tags.forEach((t, i) => checkRunTag(t.key, t.value, `tags[${i}]`));
  const keys = params.map((p) => p.key);
  const dupes = [...new Set(keys.filter((k, i) => keys.indexOf(k) !== i))];
  if (dupes.length > 0) throw invalid(`log-batch: duplicate param keys ${dupes.map((k) => `'${k}'`).join(', ')} in one request`, { keys: dupes });
}

export function checkExperimentName(name: unknown): string {
  if (typeof name !== 'string' || name.trim() === '') throw invalid(`experiment name must be a non-empty string, got ${JSON.stringify(name)}`, { name });
  return checkLength(name, LIMITS.experimentNameLength, 'experiment name');
}

export function checkExperimentTag(t: Tag): void {
  checkKey(t.key, 'experiment tag key');
  checkLength(t.value, LIMITS.experimentTagValueLength, `experiment tag '${t.key}' value`);
}

export function checkModelName(name: unknown, field = 'name'): string {
  if (typeof name !== 'string' || name.trim() === '') throw invalid(`registered model ${field} must be a non-empty string`, { field });
  if (name.includes('/') || name.includes(':')) throw invalid(`invalid model ${field} '${name}': names cannot contain '/' or ':'`, { field, name });
  if (resolvesElsewhere(name)) throw invalid(`invalid model ${field} '${name}': it would resolve to another name when treated as a path`, { field, name });
  return name;
}

export function checkRegistryTag(key: string, value: string, field: string): void {
  checkKey(key, `${field} key`);
  checkLength(value, LIMITS.registryTagValueLength, `${field} '${key}' value`);
}

export function checkAlias(alias: unknown): string {
  if (typeof alias !== 'string' || alias === '') throw invalid('registered model alias name cannot be empty', { alias });
  if (!/^[\w-]*$/.test(alias)) throw invalid(`invalid alias name '${alias}': names may only contain alphanumerics, underscores (_) and dashes (-)`, { alias });
  if (alias.length > LIMITS.aliasLength) throw invalid(`alias name is longer than ${LIMITS.aliasLength} characters`, { length: alias.length });
  if (alias.toLowerCase() === 'latest') throw invalid("'latest' alias name (case insensitive) is reserved", { alias });
  if (/^[vV]\d+$/.test(alias)) throw invalid(`version alias name '${alias}' is reserved`, { alias });
  return alias;
}

/** A version number as MLflow accepts it: a positive integer, given as a string or a number. */
export function checkVersion(version: unknown): number {
  const n = typeof version === 'number' ? version : typeof version === 'string' && /^\s*\d+\s*$/.test(version) ? Number(version) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw invalid(`model version must be a positive integer, got ${JSON.stringify(version)}`, { version });
  return n;
}

export function checkMaxResults(n: number | undefined, fallback: number, limit: number, what: string): number {
  const v = n ?? fallback;
  if (!Number.isInteger(v) || v < 1 || v > limit) {
    throw invalid(`max_results for ${what} must be an integer between 1 and ${limit}, got ${v}`, { max_results: v, limit });
  }
  return v;
}
