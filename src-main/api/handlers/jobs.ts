import type { jobsMethods } from '../methods/jobs.js';
import type { HandlersFor } from '../handler-types.js';

export const jobsHandlers: HandlersFor<keyof typeof jobsMethods> = {
  'jobs.list': (i, s) => s.jobs.list(i),
  'jobs.get': (i, s) => s.jobs.get(i.id),
  'jobs.cancel': (i, s) => s.jobs.cancel(i.id),
};
