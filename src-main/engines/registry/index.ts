/**
 * The registry backend of the active profile: the embedded SQLite store (registry.db + workspace
 * artifacts) or a remote MLflow tracking server. `getRegistry` keeps one open per Services.
 */
import { resolveSecret } from '../../platform/secrets.js';
import type { Services } from '../../platform/services.js';
import type { Workspace } from '../../platform/workspace.js';
import { MlflowRestStore } from './mlflow-rest/store.js';
import { SqliteRegistryStore } from './sqlite/store.js';
import type { RegistryStore } from './types.js';

export type { RegistryStore } from './types.js';

export async function openRegistryStore(workspace: Workspace): Promise<RegistryStore> {
  const r = workspace.profile.registry;
  if (r.type === 'sqlite') return new SqliteRegistryStore(workspace.paths);
  const token = resolveSecret(r.token, `profiles.${workspace.profile.name}.registry.token`);
  return new MlflowRestStore({ trackingUri: r.tracking_uri, ...(token ? { token } : {}) });
}

export function getRegistry(s: Services): Promise<RegistryStore> {
  return s.resource('registry', () => openRegistryStore(s.workspace), (r) => r.close());
}
