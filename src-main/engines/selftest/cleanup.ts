/**
 * Removes what a self-test made. On the embedded profile everything lives in the scratch folder; on a
 * cluster the namespaced topics, consumer group, Redis keys, registered model and experiment are removed
 * from the servers first. Each removal is attempted on its own and reported, so one unreachable service
 * does not keep the others from being cleaned.
 */
import fs from 'node:fs';
import type { Logger } from '../../platform/logging.js';
import type { Workspace } from '../../platform/workspace.js';
import type { ScratchPlan } from './scratch.js';

export async function cleanupScratch(plan: ScratchPlan, ws: Workspace, log: Logger): Promise<string[]> {
  const notes: string[] = [];
  const attempt = async (what: string, fn: () => Promise<string | void>): Promise<void> => {
    try {
      const extra = await fn();
      notes.push(`removed ${what}${extra ? ` (${extra})` : ''}`);
    } catch (e) {
      notes.push(`could not remove ${what}: ${(e as Error).message}`);
      log.warn({ what, err: (e as Error).message }, 'selftest cleanup');
    }
  };
  const p = ws.profile;
  if (p.bus.type === 'kafka') {
    const { openBus } = await import('../streams/index.js');
    const bus = openBus(ws);
    try {
      await attempt(`consumer group ${plan.group}`, () => bus.deleteGroup(plan.group));
      const existing = new Set((await bus.listTopics().catch(() => [])).map((t) => t.name));
      for (const t of Object.values(plan.topics)) if (existing.has(t)) await attempt(`topic ${t}`, () => bus.deleteTopic(t));
    } finally {
      await bus.close().catch(() => undefined);
    }
  }
  // drop() removes everything under the project's key prefix, so only a self-test namespace is dropped.
  if (p.online_store.type === 'redis' && !ws.config.project.includes('_selftest_')) notes.push(`left Redis keys of ${ws.config.project}: not a self-test namespace`);
  else if (p.online_store.type === 'redis') {
    const { openOnlineStore } = await import('../features/online/index.js');
    const store = await openOnlineStore(ws);
    try {
      await attempt(`Redis keys of ${ws.config.project}:*`, async () => `${await store.drop()} rows`);
    } finally {
      await store.close().catch(() => undefined);
    }
  }
  if (p.registry.type === 'mlflow') {
    const { openRegistryStore } = await import('../registry/index.js');
    const r = await openRegistryStore(ws);
    try {
      await attempt(`registered model ${plan.registeredModel}`, () => r.deleteRegisteredModel(plan.registeredModel));
      await attempt(`experiment ${plan.registeredModel}`, async () => r.deleteExperiment((await r.getExperimentByName(plan.registeredModel)).experiment_id));
    } finally {
      await r.close().catch(() => undefined);
    }
  }
  await attempt(`scratch folder ${plan.root}`, async () => fs.rmSync(plan.root, { recursive: true, force: true }));
  return notes;
}
