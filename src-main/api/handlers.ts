/**
 * Method → service call. Inputs arrive already parsed by the contract (see dispatch.ts); handlers only
 * compose services and never touch transport concerns.
 */
import os from 'node:os';
import type { MethodName, Output, ParsedInput } from './contract.js';
import { checkHealth, overallStatus } from '../engines/monitoring/health.js';
import type { Services } from '../platform/services.js';
import { APP_NAME, APP_VERSION } from '../platform/version.js';

export type Handlers = { [M in MethodName]: (input: ParsedInput<M>, s: Services) => Promise<Output<M>> | Output<M> };

export const handlers: Handlers = {
  'system.info': (_i, s) => ({
    app: APP_NAME,
    version: APP_VERSION,
    node: process.versions.node,
    platform: os.platform(),
    arch: os.arch(),
    pid: process.pid,
    uptime_s: Math.round((Date.now() - s.startedAt) / 100) / 10,
    workspace: s.workspace.paths.root,
    profile: s.workspace.profile.name,
    profile_kind: s.workspace.profile.kind,
    mode: s.mode,
  }),
  'system.health': async (_i, s) => {
    const services = await checkHealth(s.workspace.paths, s.workspace.profile);
    return { status: overallStatus(services), checked_at: new Date().toISOString(), profile: s.workspace.profile.name, services };
  },
  'data.import': (i, s) => s.jobs.start('data.import', i),
  'data.generate': (i, s) => s.jobs.start('data.generate', i),
  'data.summary': async (_i, s) => (await import('../engines/data/store.js')).summarizeTripStore(s.workspace),
  'jobs.list': (i, s) => s.jobs.list(i),
  'jobs.get': (i, s) => s.jobs.get(i.id),
  'jobs.cancel': (i, s) => s.jobs.cancel(i.id),
};
