/**
 * Tails and subscriptions a bus has handed out and not yet seen stopped, so that closing the bus stops
 * them. Shared by both buses: a reader leaves the set when it is stopped, by whoever stops it.
 */
export type Stoppable = { stop(): Promise<void> };

export function trackReader<T extends Stoppable>(open: Set<Stoppable>, reader: T): T {
  const entry = { stop: () => reader.stop() };
  open.add(entry);
  const stop = reader.stop.bind(reader);
  reader.stop = async () => {
    open.delete(entry);
    await stop();
  };
  return reader;
}
