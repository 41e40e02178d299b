/**
 * Electron entry: lifecycle, the window, IPC. Everything else lives in plain-Node modules (engines,
 * platform, api) so the same code runs headless under `taxi-mlops serve`.
 */
import path from 'node:path';
import { app, BrowserWindow } from 'electron';
import { openServices, type Services } from './platform/services.js';
import { initWorkspace } from './platform/workspace.js';
import { createMainWindow } from './desktop/window.js';
import { registerIpc } from './desktop/ipc.js';

let services: Services | null = null;

async function boot(): Promise<void> {
  const root = process.env.TAXI_WORKSPACE ?? path.join(app.getPath('userData'), 'workspace');
  initWorkspace(root);
  services = await openServices({ workspace: root, mode: 'desktop' });
  const win = createMainWindow();
  const unregister = registerIpc(win, () => services!);
  win.on('closed', unregister);
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    const win = BrowserWindow.getAllWindows()[0];
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });
  app.whenReady().then(boot).catch((e: unknown) => {
    console.error('startup failed', e);
    app.exit(1);
  });
  app.on('window-all-closed', () => app.quit());
  let closing = false;
  app.on('before-quit', (e) => {
    if (closing || !services) return;
    // Finish or cancel jobs and close the stores before the process ends.
    e.preventDefault();
    closing = true;
    void services.close().finally(() => app.quit());
  });
}
