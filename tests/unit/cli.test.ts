import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'bin/taxi-mlops.js');
const dirs: string[] = [];
const tmp = (): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'taxi-cli-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, ...env }, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

describe('taxi-mlops CLI (built)', () => {
  it.each([[], ['init'], ['import'], ['generate'], ['serve'], ['jobs'], ['jobs', 'show'], ['demo'], ['summary']])(
    'has --help for "%s"',
    async (...cmd) => {
      const r = await cli([...cmd.flat(), '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Usage: taxi-mlops/m);
    },
  );

  it('init creates a workspace; a second init keeps it', async () => {
    const ws = path.join(tmp(), 'ws');
    const a = await cli(['--workspace', ws, 'init']);
    expect(a.code).toBe(0);
    expect(a.stdout).toContain(`created workspace ${ws}`);
    expect(a.stdout).toMatch(/topics: .*taxi-raw-data.*/);
    expect(fs.existsSync(path.join(ws, 'config.yaml'))).toBe(true);
    const b = await cli(['--workspace', ws, 'init']);
    expect(b.stdout).toContain('already initialised');
  });

  it('names an unknown subcommand of a group and what exists, instead of passing it to the default one', async () => {
    const ws = path.join(tmp(), 'ws');
    await cli(['--workspace', ws, 'init']);
    const r = await cli(['--workspace', ws, 'topics', 'produce']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("unknown command 'produce' for 'topics' (commands: list, create, delete, describe)");
    expect(r.stderr).toContain('did you mean "taxi-mlops produce"');
    expect(r.stderr).not.toContain('too many arguments');
    // The default subcommand still runs on its own, with its options.
    const listed = await cli(['--workspace', ws, 'topics']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('taxi-raw-data');
    const jobs = await cli(['--workspace', ws, 'jobs', '--limit', '1']);
    expect(jobs.code).toBe(0);
  });

  it('serve --init creates a missing workspace and serves it; plain serve names the missing workspace', async () => {
    const ws = path.join(tmp(), 'fresh');
    const refused = await cli(['--workspace', ws, 'serve', '--port', '0']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/taxi-mlops: NOT_FOUND: no workspace at .*fresh/);
    expect(fs.existsSync(ws)).toBe(false);

    const child = spawn(process.execPath, [bin, '--workspace', ws, 'serve', '--init', '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`serve did not start: ${stdout}`)), 60_000);
        child.stdout.on('data', () => {
          const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
        child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${stdout}`)));
      });
      expect(stdout).toContain(`created workspace ${ws}`);
      expect(fs.existsSync(path.join(ws, 'config.yaml'))).toBe(true);
      const info = (await (await fetch(`${url}/api/rpc/system.info`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json()) as { ok: boolean; result: { workspace: string } };
      expect(info).toMatchObject({ ok: true, result: { workspace: ws } });
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });

  it('imports a file with a progress line and a summary, then lists the job', async () => {
    const ws = path.join(tmp(), 'ws');
    await cli(['--workspace', ws, 'init']);
    const sample = path.join(root, 'resources/data/chicago_taxi_trips_sample.csv');
    const r = await cli(['--workspace', ws, 'import', sample]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/rows read 12000, accepted (\d+), rejected (\d+)/);
    const [, acc, rej] = /accepted (\d+), rejected (\d+)/.exec(r.stdout)!;
    expect(Number(acc) + Number(rej)).toBe(12000);
    expect(r.stderr).toMatch(/Import chicago_taxi_trips_sample\.csv: succeeded/);
    const jobs = await cli(['--workspace', ws, '--json', 'jobs', 'list']);
    const list = JSON.parse(jobs.stdout) as { kind: string; status: string }[];
    expect(list[0]).toMatchObject({ kind: 'data.import', status: 'succeeded' });
  });

  it('fails with a non-zero exit and one line naming the problem', async () => {
    const ws = path.join(tmp(), 'ws');
    await cli(['--workspace', ws, 'init']);
    const missing = await cli(['--workspace', ws, 'import', '/no/such/file.csv']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr.trim().split('\n').at(-1)).toMatch(/^taxi-mlops: NOT_FOUND: .*\/no\/such\/file\.csv/);
    const badRows = await cli(['--workspace', ws, 'generate', '--rows', 'many']);
    expect(badRows.code).not.toBe(0);
    expect(badRows.stderr).toContain('--rows must be an integer');
    const noWs = await cli(['--workspace', path.join(tmp(), 'nothing-here'), 'jobs']);
    expect(noWs.code).toBe(1);
    expect(noWs.stderr).toMatch(/taxi-mlops: NOT_FOUND: no workspace at .* run "taxi-mlops init/);
  });

  it('a broken config.yaml stops every command with the file, line and key', async () => {
    const ws = path.join(tmp(), 'ws');
    await cli(['--workspace', ws, 'init']);
    const file = path.join(ws, 'config.yaml');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('materialization_interval: 1800', 'materialization_interval: -5'));
    const r = await cli(['--workspace', ws, 'jobs']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/INVALID_CONFIG: .*config\.yaml:\d+: scheduling\.materialization_interval: /);
  });
});
