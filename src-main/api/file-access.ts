/**
 * Which files a caller may name. Some methods read or write a file path the caller gives (import a CSV,
 * write a training set, generate trips to a file, drift of a trips file). For the desktop app, the CLI
 * and a client on the same machine that is the user's own file system, so any path goes. A client on
 * another machine (the HTTP API exposed with a token) must not turn the server into a file reader or
 * writer for the whole host: its paths must lie under the workspace, or under the folders listed in
 * TAXI_REMOTE_FILE_ROOTS (separated by the platform's path delimiter).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { MethodName } from './contract.js';
import { AppError } from '../platform/errors.js';

export interface Caller {
  /** True for an HTTP request from another machine. */
  remote: boolean;
}

export const LOCAL_CALLER: Caller = { remote: false };

interface NamedPath {
  field: string;
  path: string;
}

type Source = { file?: string } | undefined;
const fromSource = (field: string, s: Source): NamedPath[] => (s && typeof s.file === 'string' ? [{ field: `${field}.file`, path: s.file }] : []);
const fromFormat = (field: string, v: { csv?: string; parquet?: string } | unknown[] | undefined): NamedPath[] => {
  if (!v || Array.isArray(v)) return [];
  const key = v.csv !== undefined ? 'csv' : 'parquet';
  const p = v.csv ?? v.parquet;
  return p === undefined ? [] : [{ field: `${field}.${key}`, path: p }];
};

/** The file paths in a method's (parsed) input. */
const PATHS: Partial<Record<MethodName, (i: never) => NamedPath[]>> = {
  'data.import': (i: { path: string }) => [{ field: 'path', path: i.path }],
  'data.generate': (i: { output?: string }) => (i.output ? [{ field: 'output', path: i.output }] : []),
  'features.getHistorical': (i: { entities: { csv?: string; parquet?: string } | unknown[]; output?: { csv?: string; parquet?: string } }) => [
    ...fromFormat('entities', i.entities),
    ...fromFormat('output', i.output),
  ],
  'monitoring.drift': (i: { reference: Source; current: Source }) => [...fromSource('reference', i.reference), ...fromSource('current', i.current)],
  'monitoring.quality': (i: { source: Source; reference?: Source }) => [...fromSource('source', i.source), ...fromSource('reference', i.reference)],
  'monitoring.correlation': (i: { source: Source; reference?: Source }) => [...fromSource('source', i.source), ...fromSource('reference', i.reference)],
};

export function remoteFileRoots(workspaceRoot: string): string[] {
  const extra = (process.env.TAXI_REMOTE_FILE_ROOTS ?? '').split(path.delimiter).filter((p) => p.trim() !== '');
  return [workspaceRoot, ...extra].map((p) => realOrResolved(path.resolve(p)));
}

/** The real path of `p`, or of its nearest existing parent with the rest appended (a file to be written). */
function realOrResolved(p: string): string {
  let rest = '';
  let at = p;
  for (;;) {
    try {
      return path.join(fs.realpathSync(at), rest);
    } catch {
      const parent = path.dirname(at);
      if (parent === at) return p;
      rest = path.join(path.basename(at), rest);
      at = parent;
    }
  }
}

const inside = (p: string, root: string): boolean => p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);

/** Throws INVALID_INPUT naming the field when a remote caller names a file outside the allowed folders. */
export function checkFileAccess(method: MethodName, input: unknown, caller: Caller, workspaceRoot: string): void {
  if (!caller.remote) return;
  const paths = PATHS[method]?.(input as never) ?? [];
  if (paths.length === 0) return;
  const roots = remoteFileRoots(workspaceRoot);
  for (const { field, path: given } of paths) {
    // A relative path would resolve against the server's working folder, which means nothing to a remote client.
    if (!path.isAbsolute(given)) {
      throw new AppError('INVALID_INPUT', `${field}: ${given} is a relative path; a remote client gives absolute paths under ${roots.join(', ')}`, { method, field, path: given, allowed: roots });
    }
    const real = realOrResolved(given);
    if (!roots.some((r) => inside(real, r))) {
      throw new AppError(
        'INVALID_INPUT',
        `${field}: ${given} is outside the folders a remote client may use (${roots.join(', ')}); put the file in the workspace, or list its folder in TAXI_REMOTE_FILE_ROOTS on the server`,
        { method, field, path: given, allowed: roots },
      );
    }
  }
}
