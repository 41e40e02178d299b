/**
 * Global test setup: the browser tests serve the built console, so build it once when out/ is missing
 * or older than the sources (CI builds before running the tests; this keeps `npm test` alone honest).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');

function newestMtime(dir: string): number {
  let newest = 0;
  if (!fs.existsSync(dir)) return 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const m = fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs;
    if (m > newest) newest = m;
  }
  return newest;
}

export default function setup(): void {
  fs.mkdirSync(path.join(root, 'tests/output'), { recursive: true });
  // Unit work on engines does not need the console; TAXI_SKIP_BUILD=1 skips the check.
  if (process.env.TAXI_SKIP_BUILD === '1') return;
  const built = path.join(root, 'out/renderer/index.html');
  const stale =
    !fs.existsSync(built) ||
    fs.statSync(built).mtimeMs < Math.max(newestMtime(path.join(root, 'src-renderer')), newestMtime(path.join(root, 'src-main')));
  if (stale) {
    execFileSync('npx', ['electron-vite', 'build'], { cwd: root, stdio: 'inherit' });
  }
}
