/**
 * Method → service call, one file per domain under handlers/. Inputs arrive already parsed by the
 * contract (see dispatch.ts); handlers only compose services and never touch transport concerns.
 */
import type { MethodName } from './contract.js';
import type { HandlersFor } from './handler-types.js';
import { dataHandlers } from './handlers/data.js';
import { featuresHandlers } from './handlers/features.js';
import { jobsHandlers } from './handlers/jobs.js';
import { registryHandlers } from './handlers/registry.js';
import { systemHandlers } from './handlers/system.js';
import { streamsHandlers } from './handlers/streams.js';
import { modelsHandlers } from './handlers/models.js';
import { processorHandlers } from './handlers/processor.js';
import { settingsHandlers } from './handlers/settings.js';
import { monitoringHandlers } from './handlers/monitoring.js';
import { selftestHandlers } from './handlers/selftest.js';
import { systemMetricsHandlers } from './handlers/system-metrics.js';

export type Handlers = HandlersFor<MethodName>;

export const handlers: Handlers = {
  ...systemHandlers,
  ...dataHandlers,
  ...jobsHandlers,
  ...featuresHandlers,
  ...registryHandlers,
  ...streamsHandlers,
  ...modelsHandlers,
  ...processorHandlers,
  ...settingsHandlers,
  ...monitoringHandlers,
  ...systemMetricsHandlers,
  ...selftestHandlers,
};
