/** The `models:` section of config.yaml with its defaults, for workspaces written before it existed. */
import { ModelsSchema, type Config, type ModelsConfig } from '../../platform/config.js';

export function modelsConfigOf(config: Pick<Config, 'models'> | { models?: ModelsConfig }): ModelsConfig {
  return config.models ?? ModelsSchema.parse({});
}

/** The registered model a task trains into by default: big_tipper gets its own name beside the fare model. */
export function registeredModelFor(cfg: ModelsConfig, task: 'fare' | 'big_tipper'): string {
  return task === 'fare' ? cfg.registered_model : `${cfg.registered_model.replace(/_fare$/, '')}_big_tipper`;
}
