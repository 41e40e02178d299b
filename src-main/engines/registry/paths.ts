/**
 * Artifact paths and the URIs that name them, shared by both stores and the MLflow routes. A path is
 * always relative to a run's artifact root; anything that could step outside it is refused before it
 * reaches a file system or a remote server.
 */
import { AppError } from '../../platform/errors.js';

/**
 * A clean '/'-separated relative path ('' for the root). Refuses '..' segments, absolute paths, drive
 * letters, backslashes and NUL, naming `where` (the field) in the message.
 */
export function safeArtifactPath(raw: string | undefined | null, where = 'path'): string {
  const p = (raw ?? '').trim();
  if (p === '' || p === '.' || p === '/') return '';
  const bad = (why: string): AppError =>
    new AppError('INVALID_PARAMETER_VALUE', `${where} '${p}' is not a valid artifact path: ${why}`, { [where]: p });
  if (p.includes('\0')) throw bad('it contains a NUL character');
  if (p.includes('\\')) throw bad('use / to separate folders');
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p)) throw bad('absolute paths are not allowed');
  const parts = p.split('/').filter((s) => s !== '' && s !== '.');
  if (parts.some((s) => s === '..')) throw bad("'..' is not allowed");
  return parts.join('/');
}

export const joinArtifactPath = (...parts: string[]): string => parts.filter((s) => s !== '').join('/');

/** runs:/<run_id>/<path> → its parts; null when the URI is not a runs: URI. */
export function parseRunsUri(uri: string): { runId: string; path: string } | null {
  const m = /^runs:\/+([^/]+)(?:\/(.*))?$/.exec(uri);
  if (!m) return null;
  return { runId: m[1]!, path: safeArtifactPath(m[2] ?? '', 'source') };
}

/** The artifact URI of a run in the layout MLflow's proxied artifact store uses. */
export const runArtifactUri = (experimentId: string, runId: string): string => `mlflow-artifacts:/${experimentId}/${runId}/artifacts`;
export const experimentArtifactLocation = (experimentId: string): string => `mlflow-artifacts:/${experimentId}`;

/**
 * A path under the artifact proxy (`<experiment_id>/<run_id>/artifacts/<path>`) split into the run and
 * the path inside its artifact root; null when it does not name a run's artifacts.
 */
export function parseProxyPath(raw: string): { experimentId: string; runId: string; path: string } | null {
  const p = safeArtifactPath(raw);
  const m = /^([^/]+)\/([^/]+)\/artifacts(?:\/(.*))?$/.exec(p);
  if (!m) return null;
  return { experimentId: m[1]!, runId: m[2]!, path: m[3] ?? '' };
}
