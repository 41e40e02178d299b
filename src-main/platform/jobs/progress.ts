/**
 * Turns the raw reports a task sends (done/total/unit) into what people read: percent, a smoothed rate
 * and an ETA. Smoothing keeps the ETA from jumping on bursty batches.
 */
import type { JobProgressView } from '../../api/contract.js';
import type { ProgressReport } from './context.js';

export const emptyProgress = (unit = 'items'): JobProgressView => ({
  done: 0,
  total: null,
  unit,
  percent: null,
  rate: null,
  eta_s: null,
  message: null,
});

export class ProgressTracker {
  private lastAt: number | null = null;
  private lastDone = 0;
  private rate: number | null = null;
  private view: JobProgressView = emptyProgress();

  constructor(private readonly now: () => number = Date.now) {}

  update(r: ProgressReport): JobProgressView {
    const t = this.now();
    if (this.lastAt !== null && t > this.lastAt && r.done >= this.lastDone) {
      const instant = ((r.done - this.lastDone) * 1000) / (t - this.lastAt);
      // Exponential smoothing; the first sample seeds it.
      this.rate = this.rate === null ? instant : 0.7 * this.rate + 0.3 * instant;
    }
    if (this.lastAt === null || t > this.lastAt) {
      this.lastAt = t;
      this.lastDone = r.done;
    }
    const total = r.total ?? null;
    const percent = total && total > 0 ? Math.min(100, (100 * r.done) / total) : null;
    const eta = total !== null && this.rate && this.rate > 0 ? Math.max(0, (total - r.done) / this.rate) : null;
    this.view = {
      done: r.done,
      total,
      unit: r.unit,
      percent: percent === null ? null : Math.round(percent * 10) / 10,
      rate: this.rate === null ? null : Math.round(this.rate * 10) / 10,
      eta_s: eta === null ? null : Math.round(eta * 10) / 10,
      message: r.message ?? null,
    };
    return this.view;
  }

  /** The final view of a finished job: 100% when the total was known. */
  finish(): JobProgressView {
    const v = this.view;
    const done = v.total ?? v.done;
    this.view = { ...v, done, percent: v.total !== null || v.percent !== null ? 100 : null, eta_s: 0 };
    return this.view;
  }

  current(): JobProgressView {
    return this.view;
  }
}
