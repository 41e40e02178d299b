import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initWorkspace, type Workspace } from '../../src-main/platform/workspace.js';

/** A fresh workspace in a temp folder; removed by the returned cleanup. */
export function tempWorkspace(prefix = 'taxi-ws-'): { workspace: Workspace; dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const { workspace } = initWorkspace(dir);
  return { workspace, dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
