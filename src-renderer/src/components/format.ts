const intFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const compactFormat = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

export const formatInt = (n: number): string => intFormat.format(n);

export const formatRate = (rate: number | null, unit: string): string =>
  rate === null ? '—' : `${compactFormat.format(rate)} ${unit}/s`;

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  if (seconds < 10) return `${Math.max(0, seconds).toFixed(1)}s`;
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function formatLatency(ms: number | null): string {
  if (ms === null) return '—';
  return ms < 10 ? `${ms.toFixed(2)} ms` : `${Math.round(ms)} ms`;
}

/** Local time, seconds precision: operators compare it with logs, which are local too. */
export function formatTime(iso: string | null): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export function formatDate(iso: string | null): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleDateString(undefined, { dateStyle: 'medium' });
}

export function elapsedSeconds(fromIso: string | null, toIso: string | null): number | null {
  if (!fromIso) return null;
  const from = Date.parse(fromIso);
  const to = toIso ? Date.parse(toIso) : Date.now();
  return Number.isNaN(from) || Number.isNaN(to) ? null : (to - from) / 1000;
}

const sigFormat = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 4 });

/** Statistics span many magnitudes (a tip rate of 0.16, a trip of 13,000 s): four significant digits reads well for both. */
export function formatNumber(n: number | null): string {
  if (n === null || !Number.isFinite(n)) return '—';
  if (Number.isInteger(n)) return intFormat.format(n);
  return Math.abs(n) >= 1e6 ? compactFormat.format(n) : sigFormat.format(n);
}

/**
 * Trip times are UTC-labelled wall-clock times, so they are shown in UTC whatever the browser's zone;
 * the suffix keeps them from being read as local.
 */
export function formatUtc(iso: string | null, opts: { seconds?: boolean } = {}): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, opts.seconds === false ? 16 : 19).replace('T', ' ')} UTC`;
}

/** A length of time in its two largest units (3d 4h, 2h 05m, 45s), for ages, TTLs and intervals. */
export function formatSpan(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return s % 60 === 0 ? `${s / 60}m` : `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  if (s < 86_400) return s % 3600 === 0 ? `${s / 3600}h` : `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  const days = Math.floor(s / 86_400);
  const hours = Math.floor((s % 86_400) / 3600);
  return hours === 0 ? `${days}d` : `${days}d ${hours}h`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
