/**
 * The pipeline forms hold text; the contract's schemas want instants and view lists. These turn drafts
 * into inputs and check them with the contract's own schemas, so the form says what the server would.
 */
import { z } from 'zod';
import { featuresMethods, TransformInputSchema } from '../../../../src-main/api/methods/features';
import { InstantSchema } from '../../../../src-main/engines/features/online-schemas';
import type { Input } from '../../api/client';

export type FieldErrors = Partial<Record<'start' | 'end' | 'views', string>>;

export interface RangeDraft {
  start: string;
  end: string;
  /** Views ticked; all ticked means "every view" and is sent as no list at all. */
  views: string[];
}

export type Checked<T> = { input: T; errors: FieldErrors } | { input: null; errors: FieldErrors };

function errorsOf(issues: readonly { path: readonly PropertyKey[]; message: string }[]): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of issues) {
    const field = issue.path[0];
    if ((field === 'start' || field === 'end' || field === 'views') && !errors[field]) errors[field] = issue.message;
  }
  return errors;
}

const viewsOf = (d: RangeDraft, all: readonly string[]): string[] | undefined =>
  d.views.length === all.length && all.every((v) => d.views.includes(v)) ? undefined : d.views;

const text = (s: string): string | undefined => (s.trim() === '' ? undefined : s.trim());

const noViews = (d: RangeDraft): FieldErrors => (d.views.length === 0 ? { views: 'tick at least one feature view' } : {});

/**
 * Transform takes free text dates in its schema and checks them when the job starts; checking them here
 * with the instant schema of materialize catches a typo before a job is queued.
 */
const TransformRangeSchema = z
  .object({ start: InstantSchema.optional(), end: InstantSchema.optional() })
  .refine((r) => r.start === undefined || r.end === undefined || r.start < r.end, { message: 'start must be before end', path: ['end'] });

export function checkTransform(d: RangeDraft, all: readonly string[]): Checked<Input<'features.transform'>> {
  const raw = { views: viewsOf(d, all), start: text(d.start), end: text(d.end) };
  const input = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined));
  const parsed = TransformInputSchema.safeParse(input);
  const range = TransformRangeSchema.safeParse({ start: raw.start, end: raw.end });
  const errors = { ...(range.success ? {} : errorsOf(range.error.issues)), ...(parsed.success ? {} : errorsOf(parsed.error.issues)), ...noViews(d) };
  return Object.keys(errors).length === 0 ? { input: input as Input<'features.transform'>, errors } : { input: null, errors };
}

export function checkMaterialize(d: RangeDraft, all: readonly string[]): Checked<Input<'features.materialize'>> {
  const input = { start: d.start.trim(), end: d.end.trim(), ...(viewsOf(d, all) ? { views: viewsOf(d, all) } : {}) };
  const parsed = featuresMethods['features.materialize'].input.safeParse(input);
  const errors = { ...(parsed.success ? {} : errorsOf(parsed.error.issues)), ...noViews(d) };
  return Object.keys(errors).length === 0 ? { input, errors } : { input: null, errors };
}

export function checkIncremental(d: RangeDraft, all: readonly string[]): Checked<Input<'features.materializeIncremental'>> {
  const end = text(d.end);
  const views = viewsOf(d, all);
  const input = { ...(end ? { end } : {}), ...(views ? { views } : {}) };
  const parsed = featuresMethods['features.materializeIncremental'].input.safeParse(input);
  const errors = { ...(parsed.success ? {} : errorsOf(parsed.error.issues)), ...noViews(d) };
  return Object.keys(errors).length === 0 ? { input, errors } : { input: null, errors };
}

/** 2026-11-27T10:36Z: minute precision is what a person types, and Z keeps it UTC. */
export const utcMinute = (ms: number): string => `${new Date(ms).toISOString().slice(0, 16)}Z`;

export const utcDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** The next whole minute, so "until now" includes events of the current minute. */
export const nextMinute = (ms: number): number => Math.ceil((ms + 1) / 60_000) * 60_000;
