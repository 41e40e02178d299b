/**
 * The self-test's scratch workspace: a copy of the operator's config under <workspace>/tmp/selftest-<id>/,
 * with every shared name namespaced so a cluster run never touches the operator's data: the project
 * (Redis key prefix), the topics, the registered model (and so its experiment), plus one alert rule that
 * must fire on a drifted window.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { TOPIC_KEYS } from '../../platform/config.js';
import { AppError } from '../../platform/errors.js';
import type { Workspace } from '../../platform/workspace.js';

export const SELFTEST_ALERT_RULE = 'selftest_drift';

export interface ScratchPlan {
  id: string;
  root: string;
  profile: string;
  project: string;
  topics: Record<string, string>;
  registeredModel: string;
  group: string;
}

export function newSelftestId(): string {
  return `${new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '')}-${crypto.randomBytes(3).toString('hex')}`;
}

/** Writes the scratch config.yaml (0600: it may name secret references, never secret values). */
export function createScratch(ws: Workspace, profile: string | undefined, id: string): ScratchPlan {
  const name = profile ?? ws.config.active_profile;
  if (!ws.config.profiles[name]) {
    throw new AppError('INVALID_INPUT', `profile "${name}" is not defined in ${ws.paths.config} (have: ${Object.keys(ws.config.profiles).join(', ')})`, { profile: name });
  }
  const root = path.join(ws.paths.tmpDir, `selftest-${id}`);
  const suffix = `selftest-${id}`;
  const project = `${ws.config.project}_selftest_${id.replace(/-/g, '_')}`;
  const topics: Record<string, string> = {};
  for (const k of [...TOPIC_KEYS, 'raw_dead_letter'] as const) topics[k] = `${ws.config.topics[k]}-${suffix}`;
  const registeredModel = `${ws.config.models.registered_model}_selftest_${id.replace(/-/g, '_')}`;

  const doc = parseDocument(fs.readFileSync(ws.paths.config, 'utf8'));
  doc.set('project', project);
  doc.set('active_profile', name);
  doc.set('topics', topics);
  doc.setIn(['models', 'registered_model'], registeredModel);
  // Only the rule the self-test checks: the shipped rules would watch data this run does not make.
  doc.setIn(['monitoring', 'alerts', 'rules'], [
    { name: SELFTEST_ALERT_RULE, metric: 'drift.columns_drifted', comparison: '>=', threshold: 1, window: '1h', severity: 'info', description: 'Self-test: a drifted synthetic window must raise this alert' },
  ]);
  fs.mkdirSync(root, { recursive: true });
  fs.writeFileSync(path.join(root, 'config.yaml'), doc.toString(), { mode: 0o600 });
  return { id, root, profile: name, project, topics, registeredModel, group: `taxi-processor-${suffix}` };
}

/** Scratch folders older than this are left over from a run that was killed before it cleaned up. */
export const STALE_SCRATCH_MS = 3_600_000;

/** The plan of an existing scratch folder, read back from its config (to clean up after a killed run). */
export function planOf(ws: Workspace, root: string): ScratchPlan {
  const id = path.basename(root).replace(/^selftest-/, '');
  const c = ws.config;
  return { id, root, profile: c.active_profile, project: c.project, topics: { ...c.topics }, registeredModel: c.models.registered_model, group: `taxi-processor-selftest-${id}` };
}

export function staleScratchRoots(ws: Workspace, now = Date.now()): string[] {
  if (!fs.existsSync(ws.paths.tmpDir)) return [];
  return fs
    .readdirSync(ws.paths.tmpDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name.startsWith('selftest-'))
    .map((d) => path.join(ws.paths.tmpDir, d.name))
    .filter((p) => now - fs.statSync(p).mtimeMs > STALE_SCRATCH_MS);
}
