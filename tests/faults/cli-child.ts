/**
 * The CLI as a child process (tsx), for fault tests that kill it mid-job: its output is followed line
 * by line (progress bars end lines with \r) so a test can kill at a chosen progress point.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface CliChild {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first output line `test` accepts; rejects if the process ends first. */
  waitForLine(test: (line: string) => boolean, timeoutMs?: number): Promise<string>;
}

export function startCli(workspace: string, args: string[], env: Record<string, string> = {}, opts: { ulimitFileBlocks?: number } = {}): CliChild {
  const cli = [process.execPath, '--import', 'tsx', path.join(ROOT, 'src-main/cli/index.ts'), '--workspace', workspace, ...args];
  // RLIMIT_FSIZE through the shell's ulimit: writes past the limit fail with EFBIG, as on a full disk
  // (SIGXFSZ is ignored so the process sees the error instead of dying).
  const child =
    opts.ulimitFileBlocks !== undefined
      ? spawn('bash', ['-c', `trap '' XFSZ; ulimit -f ${opts.ulimitFileBlocks}; exec "$@"`, 'bash', ...cli], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(cli[0]!, cli.slice(1), { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const waiters: { test: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  let pending = '';
  const onData = (d: Buffer): void => {
    const text = d.toString('utf8');
    out += text;
    pending += text;
    const parts = pending.split(/[\r\n]/);
    pending = parts.pop() ?? '';
    for (const line of parts) {
      for (const w of [...waiters]) {
        if (w.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    output: () => out,
    exited,
    waitForLine: (test, timeoutMs = 120_000) =>
      new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching line within ${timeoutMs} ms; output so far:\n${out.slice(-2000)}`)), timeoutMs);
        waiters.push({
          test,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
        void exited.then(() => {
          clearTimeout(timer);
          reject(new Error(`the process ended before a matching line; output:\n${out.slice(-2000)}`));
        });
      }),
  };
}

/** Runs the CLI to its end; resolves with exit code and output. */
export async function runCli(workspace: string, args: string[], env: Record<string, string> = {}, opts: { ulimitFileBlocks?: number } = {}): Promise<{ code: number | null; output: string }> {
  const c = startCli(workspace, args, env, opts);
  const { code } = await c.exited;
  return { code, output: c.output() };
}

export const percentOf = (line: string): number | null => {
  const m = /running .*\((\d+(?:\.\d+)?)%\)/.exec(line);
  return m ? Number(m[1]) : null;
};

/**
 * Env that arms a failpoint (src-main/platform/failpoints.ts) in the child, and the test for the line it
 * prints when reached: the child then holds still there until killed, so the kill point is exact rather
 * than a race with progress output. `spec` is `<name>` or `<name>@<n>` (the n-th time it is reached).
 */
export const armFailpoint = (spec: string): Record<string, string> => ({ TAXI_FAILPOINT: spec });
export const failpointReached =
  (spec: string) =>
  (line: string): boolean =>
    line === `failpoint ${spec.split('@')[0]} reached`;
