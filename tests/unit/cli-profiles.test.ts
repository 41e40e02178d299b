import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../../src-main/cli/index.js';
import { tempWorkspace } from '../helpers/workspace.js';

/** Runs the CLI in this process and returns what it printed and the exit status it asked for. */
async function cli(dir: string, ...args: string[]): Promise<{ stdout: string; exitCode: number | undefined }> {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => (chunks.push(String(c)), true));
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    await buildProgram().exitOverride().parseAsync(['node', 'taxi-mlops', '--workspace', dir, ...args]);
    return { stdout: chunks.join(''), exitCode: process.exitCode };
  } finally {
    spy.mockRestore();
    process.exitCode = before;
  }
}

describe('taxi-mlops profiles', () => {
  let ws: ReturnType<typeof tempWorkspace>;
  beforeAll(() => {
    ws = tempWorkspace('taxi-cli-profiles-');
  });
  afterAll(() => ws.cleanup());
  afterEach(() => vi.restoreAllMocks());

  it('lists the profiles with the active one marked, as text and as JSON', async () => {
    const text = await cli(ws.dir, 'profiles', 'list');
    expect(text.stdout).toMatch(/^\* local\s+embedded/m);
    expect(text.stdout).toMatch(/^ {2}cluster\s+cluster/m);
    const json = JSON.parse((await cli(ws.dir, '--json', 'profiles', 'list')).stdout) as { active: string; profiles: { name: string; active: boolean }[] };
    expect(json.active).toBe('local');
    expect(json.profiles.map((p) => [p.name, p.active])).toEqual([
      ['local', true],
      ['cluster', false],
    ]);
  });

  it("shows one profile's services and refuses an unknown name with the known ones", async () => {
    const r = await cli(ws.dir, 'profiles', 'show', 'cluster');
    expect(r.stdout).toMatch(/online store\s+redis redis:\/\//);
    expect(r.stdout).toMatch(/bus\s+kafka /);
    expect(r.stdout).toMatch(/registry\s+mlflow http/);
    await expect(cli(ws.dir, 'profiles', 'show', 'nope')).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('local, cluster') });
  });

  it('tests the active profile (all reachable, exit 0) and an unreachable one (exit 1, reasons named)', async () => {
    const ok = await cli(ws.dir, 'profiles', 'test');
    expect(ok.exitCode).toBeUndefined();
    expect(ok.stdout).toContain('profile local: all services reachable');
    expect(ok.stdout.match(/^ {2}ok {3}/gm)).toHaveLength(3);
    // The default cluster profile points at ports nothing listens on here (the test services use others).
    const down = await cli(ws.dir, '--json', 'profiles', 'test', 'cluster', '--timeout', '1000');
    expect(down.exitCode).toBe(1);
    const r = JSON.parse(down.stdout) as { ok: boolean; services: { status: string; message: string; code: string | null }[] };
    expect(r.ok).toBe(false);
    for (const svc of r.services) {
      expect(svc.status).toBe('down');
      expect(svc.message).toMatch(/unreachable/);
      expect(svc.code).not.toBeNull();
    }
  });

  it('switches the active profile and back', async () => {
    const use = await cli(ws.dir, 'profiles', 'use', 'cluster');
    expect(use.stdout).toContain('active profile: cluster (cluster), was local');
    expect((await cli(ws.dir, 'profiles', 'list')).stdout).toMatch(/^\* cluster/m);
    expect((await cli(ws.dir, 'profiles', 'use', 'cluster')).stdout).toContain('already active');
    await cli(ws.dir, 'profiles', 'use', 'local');
    expect((await cli(ws.dir, 'profiles', 'list')).stdout).toMatch(/^\* local/m);
    await expect(cli(ws.dir, 'profiles', 'use', 'Bad Name')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
