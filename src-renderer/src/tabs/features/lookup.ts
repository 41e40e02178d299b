/**
 * The online lookup playground's request: which join keys a view or feature service needs, and the
 * entity rows typed into one box per key, checked before anything is sent.
 */
import { featuresMethods } from '../../../../src-main/api/methods/features';
import type { FeatureList, LookupTarget, OnlineRequest } from '../../stores/features';

export interface KeySpec {
  join_key: string;
  type: FeatureList['views'][number]['join_key_type'];
  views: string[];
}

/** The views a service reads, from its "view:feature" references. */
const viewsOfService = (list: FeatureList, name: string): string[] => {
  const service = list.services.find((s) => s.name === name);
  return [...new Set((service?.features ?? []).map((f) => f.split(':')[0]!))];
};

export function keysOf(target: LookupTarget, list: FeatureList): KeySpec[] {
  const names = target.kind === 'view' ? [target.name] : viewsOfService(list, target.name);
  const keys = new Map<string, KeySpec>();
  for (const name of names) {
    const view = list.views.find((v) => v.name === name);
    if (!view) continue;
    const spec = keys.get(view.join_key) ?? { join_key: view.join_key, type: view.join_key_type, views: [] };
    spec.views.push(view.name);
    keys.set(view.join_key, spec);
  }
  return [...keys.values()];
}

/** Ids never contain spaces or commas, so either separates entity rows. */
export const splitValues = (text: string): string[] => text.split(/[\s,]+/).filter((v) => v !== '');

type Value = string | number | boolean;

function valueOf(raw: string, spec: KeySpec): Value | { error: string } {
  if (spec.type === 'int') return /^-?\d+$/.test(raw) ? Number(raw) : { error: `"${raw}" is not a whole number (${spec.join_key} is an int)` };
  if (spec.type === 'double') return Number.isFinite(Number(raw)) ? Number(raw) : { error: `"${raw}" is not a number (${spec.join_key} is a double)` };
  if (spec.type === 'bool') return raw === 'true' ? true : raw === 'false' ? false : { error: `"${raw}" is not true or false (${spec.join_key} is a bool)` };
  return raw;
}

export interface LookupCheck {
  request: OnlineRequest | null;
  /** Per join key, plus `form` for what belongs to no single box. */
  errors: Record<string, string>;
  rows: number;
}

export function checkLookup(target: LookupTarget, keys: KeySpec[], drafts: Record<string, string>, fullNames: boolean): LookupCheck {
  const errors: Record<string, string> = {};
  const entities: Record<string, Value[]> = {};
  for (const spec of keys) {
    const raw = splitValues(drafts[spec.join_key] ?? '');
    if (raw.length === 0) {
      errors[spec.join_key] = `enter at least one ${spec.join_key}`;
      continue;
    }
    const values: Value[] = [];
    for (const r of raw) {
      const v = valueOf(r, spec);
      if (typeof v === 'object') {
        errors[spec.join_key] ??= v.error;
      } else values.push(v);
    }
    entities[spec.join_key] = values;
  }
  const counts = keys.map((k) => entities[k.join_key]?.length ?? 0);
  const rows = Math.max(0, ...counts);
  if (Object.keys(errors).length === 0 && new Set(counts).size > 1) {
    const first = keys[0]!;
    for (const k of keys.slice(1)) {
      if (entities[k.join_key]!.length !== entities[first.join_key]!.length) {
        errors[k.join_key] = `${entities[k.join_key]!.length} value(s), but ${first.join_key} has ${entities[first.join_key]!.length}: give one per entity row`;
      }
    }
  }
  if (Object.keys(errors).length > 0) return { request: null, errors, rows };
  const request = {
    entities,
    ...(target.kind === 'view' ? { features: [`${target.name}:*`] } : { feature_service: target.name }),
    full_feature_names: fullNames,
  };
  const parsed = featuresMethods['features.getOnline'].input.safeParse(request);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { request: null, errors: { form: `${issue.path.join('.') || 'request'}: ${issue.message}` }, rows };
  }
  return { request, errors, rows };
}

export const targetKey = (t: LookupTarget): string => `${t.kind}:${t.name}`;

export function targetOf(key: string): LookupTarget {
  const i = key.indexOf(':');
  return { kind: key.slice(0, i) === 'service' ? 'service' : 'view', name: key.slice(i + 1) };
}
