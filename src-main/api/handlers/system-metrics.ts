import type { HandlersFor } from '../handler-types.js';
import type { systemMetricsMethods } from '../methods/system-metrics.js';
import { recorderFor } from '../../engines/monitoring/system/recorder.js';
import { samplerFor } from '../../engines/monitoring/system/monitor.js';

export const systemMetricsHandlers: HandlersFor<keyof typeof systemMetricsMethods> = {
  'system.metrics': async (i, s) => {
    const sampler = await samplerFor(s);
    const since = i.since ? Date.parse(i.since) : null;
    const samples = since === null ? [...sampler.samples()] : sampler.samples().filter((x) => Date.parse(x.at) > since);
    return {
      at: new Date().toISOString(),
      window_s: i.window_s,
      interval_ms: sampler.intervalMs,
      capacity: sampler.capacity,
      started_at: sampler.startedAt,
      methods: recorderFor(s).stats(i.window_s * 1000, { all: true }),
      samples,
      disk: sampler.lastDisk,
      health: sampler.lastHealth,
    };
  },
};
