#!/usr/bin/env node
// The installed CLI runs the built bundle; `npm run cli` runs the TypeScript source instead.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const built = fileURLToPath(new URL('../out/main/cli.js', import.meta.url));
if (!existsSync(built)) {
  process.stderr.write('taxi-mlops: the app is not built; run "npm run build" (or use "npm run cli -- <command>")\n');
  process.exit(1);
}
// The bundle runs its own main() when it sees it was started as taxi-mlops.
await import(built);
