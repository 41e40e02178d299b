import type { dataMethods } from '../methods/data.js';
import type { HandlersFor } from '../handler-types.js';

export const dataHandlers: HandlersFor<keyof typeof dataMethods> = {
  'data.import': (i, s) => s.jobs.start('data.import', i),
  'data.generate': (i, s) => s.jobs.start('data.generate', i),
  // Loaded on first use so that starting the app does not load DuckDB.
  'data.summary': async (_i, s) => (await import('../../engines/data/store.js')).summarizeTripStore(s.workspace),
};
