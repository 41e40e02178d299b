import os from 'node:os';
import type { systemMethods } from '../methods/system.js';
import type { HandlersFor } from '../handler-types.js';
import { checkHealth, overallStatus } from '../../engines/monitoring/health.js';
import { APP_NAME, APP_VERSION } from '../../platform/version.js';

export const systemHandlers: HandlersFor<keyof typeof systemMethods> = {
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
};
