/**
 * The system monitor of one Services: its call recorder (always on, fed by dispatch) and a sampler opened
 * as a resource on first use, so the CLI and tests that never ask pay nothing and the timer stops with
 * the services.
 */
import type { Services } from '../../../platform/services.js';
import { recorderFor } from './recorder.js';
import { SystemSampler } from './sampler.js';

export const SAMPLER_INTERVAL_MS = 5000;

export async function samplerFor(s: Services): Promise<SystemSampler> {
  return s.resource(
    'system-sampler',
    async () => {
      const sampler = new SystemSampler({ recorder: recorderFor(s), workspace: () => s.workspace }, { intervalMs: SAMPLER_INTERVAL_MS }).start();
      // A first sample at once, so a chart opened right after start has a point (and disk and health).
      await sampler.sample();
      return sampler;
    },
    (sampler) => sampler.stop(),
  );
}
