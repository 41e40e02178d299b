/**
 * A terminal progress bar that follows a job: percent, rate and ETA from the job's own progress view.
 * Falls back to one line per few seconds when stderr is not a terminal (CI logs stay readable).
 */
import cliProgress from 'cli-progress';
import type { Job } from '../api/contract.js';

const fmtRate = (rate: number | null, unit: string): string =>
  rate === null ? '' : `${rate >= 1000 ? `${(rate / 1000).toFixed(1)}k` : rate.toFixed(0)} ${unit}/s`;
const fmtEta = (s: number | null): string =>
  s === null ? '' : s >= 3600 ? `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m` : s >= 60 ? `${Math.floor(s / 60)}m${Math.round(s % 60)}s` : `${Math.round(s)}s`;

export interface JobBar {
  update(job: Job): void;
  stop(): void;
}

export function jobBar(title: string, stream: NodeJS.WriteStream = process.stderr): JobBar {
  if (!stream.isTTY) {
    let last = 0;
    let lastStatus = '';
    return {
      update(job) {
        const now = Date.now();
        if (job.status === lastStatus && (job.status !== 'running' || now - last < 2000)) return;
        last = now;
        lastStatus = job.status;
        const p = job.progress;
        stream.write(`${title}: ${job.status} ${p.done}${p.total ? `/${p.total}` : ''} ${p.unit}${p.percent !== null ? ` (${p.percent}%)` : ''} ${fmtRate(p.rate, p.unit)}\n`);
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: `${title} |{bar}| {percentage}% {value}/{total} {unit} {rate} ETA {eta_h}`,
      hideCursor: true,
      stream,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(job) {
      const p = job.progress;
      const total = p.total ?? Math.max(p.done, 1);
      const payload = { unit: p.unit, rate: fmtRate(p.rate, p.unit), eta_h: fmtEta(p.eta_s) };
      if (!started) {
        bar.start(total, p.done, payload);
        started = true;
      }
      bar.setTotal(total);
      bar.update(p.done, payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
