/**
 * The stream engine's entry: `openBus` builds the Bus the workspace's active profile names (embedded
 * log or Kafka) with the platform topics' schemas; `getBus` holds one per Services and makes sure the
 * platform topics exist on first use.
 */
import { createLogger, type Logger } from '../../platform/logging.js';
import type { Services } from '../../platform/services.js';
import type { Workspace } from '../../platform/workspace.js';
import { KafkaBus } from './kafka/bus.js';
import { LocalBus } from './local/bus.js';
import { ensurePlatformTopics, schemaLookup } from './topics.js';
import type { Bus } from './types.js';

export type { Bus } from './types.js';
export * from './types.js';
export { ensurePlatformTopics, platformTopics, schemaLookup, DEAD_LETTER_HEADERS, MAX_MESSAGE_BYTES, type PlatformTopic, type TopicSchema } from './topics.js';
export { partitionForKey, murmur2 } from './partitioner.js';

export interface OpenBusOptions {
  logger?: Logger;
}

export function openBus(ws: Workspace, opts: OpenBusOptions = {}): Bus {
  const logger = opts.logger ?? createLogger(ws.paths.logsDir, 'streams');
  const schemas = schemaLookup(ws.config);
  const bus = ws.profile.bus;
  if (bus.type === 'local') return LocalBus.open({ file: ws.paths.streamsDb, schemas, logger });
  return new KafkaBus({ config: bus, where: `profiles.${ws.profile.name}.bus`, schemas, logger });
}

/** Opens the bus and creates the platform topics that are missing. */
export async function openPlatformBus(ws: Workspace, opts: OpenBusOptions = {}): Promise<Bus> {
  const bus = openBus(ws, opts);
  try {
    await ensurePlatformTopics(bus, ws.config);
    return bus;
  } catch (e) {
    await bus.close();
    throw e;
  }
}

/** The services' bus, opened once (and reopened after a profile switch closes the resources). */
export function getBus(s: Services): Promise<Bus> {
  return s.resource('bus', () => openPlatformBus(s.workspace), (b) => b.close());
}
