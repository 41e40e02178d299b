/**
 * Self-test plumbing without the engines: the scratch workspace namespaces every shared name (so a cluster
 * run cannot touch the operator's topics, keys or model) and loads as a valid config; an unknown profile is
 * refused by name; the summary names failures with their code and marks skipped steps.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { SELFTEST_STEPS, type SelftestReport } from '../../src-main/api/methods/selftest.js';
import { createScratch, newSelftestId, SELFTEST_ALERT_RULE } from '../../src-main/engines/selftest/scratch.js';
import { summaryText } from '../../src-main/engines/selftest/summary.js';
import { openWorkspace } from '../../src-main/platform/workspace.js';
import { jobIdOf, jobHref } from '../../src-renderer/src/tabs/jobs/path.js';
import { tempWorkspace } from '../helpers/workspace.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe('self-test scratch workspace', () => {
  it('namespaces project, every topic, the registered model, and keeps only the self-test alert rule', () => {
    const t = tempWorkspace('taxi-selftest-unit-');
    cleanups.push(t.cleanup);
    const id = newSelftestId();
    const plan = createScratch(t.workspace, 'cluster', id);
    const ws = openWorkspace(plan.root);
    const op = t.workspace.config;
    expect(ws.config.active_profile).toBe('cluster');
    expect(ws.profile).toMatchObject(op.profiles.cluster!);
    expect(ws.config.project).not.toBe(op.project);
    expect(ws.config.project.startsWith(`${op.project}_selftest_`)).toBe(true);
    for (const [k, v] of Object.entries(ws.config.topics)) {
      expect(v).not.toBe(op.topics[k as keyof typeof op.topics]);
      expect(v).toContain(id);
      expect(v).toMatch(/^[a-zA-Z0-9._-]+$/);
    }
    expect(new Set(Object.values(ws.config.topics)).size).toBe(6);
    expect(ws.config.models.registered_model).not.toBe(op.models.registered_model);
    expect(ws.config.monitoring.alerts.rules.map((r) => r.name)).toEqual([SELFTEST_ALERT_RULE]);
    expect(plan.root.startsWith(t.workspace.paths.tmpDir)).toBe(true);
    expect(fs.statSync(ws.paths.config).mode & 0o077).toBe(0);
    // The operator's config is untouched.
    expect(openWorkspace(t.dir).config.topics).toEqual(op.topics);
  });

  it('refuses a profile the config does not define, naming the ones it has', () => {
    const t = tempWorkspace('taxi-selftest-unit-');
    cleanups.push(t.cleanup);
    expect(() => createScratch(t.workspace, 'staging', newSelftestId())).toThrow(/profile "staging" is not defined .*local, cluster/);
  });

  it('two ids never collide', () => {
    const ids = new Set(Array.from({ length: 50 }, () => newSelftestId()));
    expect(ids.size).toBe(50);
  });
});

describe('self-test summary', () => {
  const base = (steps: SelftestReport['steps'], status: SelftestReport['status']): SelftestReport => ({
    status,
    started_at: '2026-01-01T00:00:00.000Z',
    finished_at: '2026-01-01T00:01:00.000Z',
    duration_ms: 60_000,
    profile: { name: 'local', kind: 'embedded', online_store: 'sqlite online.db', bus: 'local streams.db', registry: 'sqlite registry.db' },
    namespace: { scratch: '/x', project: 'p', topics: {}, registered_model: 'm', kept: false, cleanup: [] },
    versions: { app: '0.1.0' },
    steps,
    summary: '',
    report_file: '/w/logs/integration_test_report.json',
  });

  it('one line per step: figures when passed, code and message when failed, skipped marked', () => {
    const steps = SELFTEST_STEPS.map((name, i) => ({
      name,
      title: name,
      status: i < 2 ? ('passed' as const) : i === 2 ? ('failed' as const) : ('skipped' as const),
      duration_ms: i < 3 ? 1500 * (i + 1) : 0,
      figures: i === 0 ? { rows_written: 11994, drifted: ['a', 'b'] } : {},
      error: i === 2 ? { code: 'UNAVAILABLE', message: 'Redis at 127.0.0.1:1 refused' } : i > 2 ? { code: 'DEPENDENCY_FAILED', message: 'needs materialize' } : null,
    }));
    const text = summaryText(base(steps, 'failed'));
    const lines = text.split('\n');
    expect(lines).toHaveLength(SELFTEST_STEPS.length + 2);
    expect(lines[1]).toMatch(/^ {2}PASS import +1\.5 s +rows_written=11,994 drifted: a, b$/);
    expect(lines[3]).toMatch(/FAIL materialize +4\.5 s +UNAVAILABLE: Redis at 127\.0\.0\.1:1 refused/);
    expect(lines[4]).toMatch(/SKIP train_linear +DEPENDENCY_FAILED: needs materialize/);
    expect(lines.at(-1)).toBe('FAILED: 2 passed, 1 failed, 7 skipped in 60.0 s — report /w/logs/integration_test_report.json');
  });
});

describe('jobs tab deep link', () => {
  it('reads and writes #/jobs/<id>', () => {
    expect(jobIdOf('#/jobs/abc-1')).toBe('abc-1');
    expect(jobIdOf('#/jobs')).toBeNull();
    expect(jobIdOf('#/features/abc')).toBeNull();
    expect(jobIdOf(jobHref('a b/c'))).toBe('a b/c');
  });
});
