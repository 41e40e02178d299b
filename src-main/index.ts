/**
 * Electron entry: one instance, one window. Everything else lives in plain-Node modules (engines,
 * platform, api) so the same code runs headless under `taxi-mlops serve`; desktop/ holds the shell.
 */
import path from 'node:path';
import { app, BrowserWindow, dialog } from 'electron';
import { handleQuit, startDesktop, type DesktopApp } from './desktop/app.js';

let desktop: DesktopApp | null = null;

if (!app.requestSingleInstanceLock()) {
  // Another instance owns the workspace (its SQLite files and jobs); it is brought to the front instead.
  app.quit();
} else {
  app.on('second-instance', () => {
    const win = BrowserWindow.getAllWindows()[0];
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });
  handleQuit(() => desktop);
  app
    .whenReady()
    .then(async () => {
      const userData = app.getPath('userData');
      desktop = await startDesktop({
        userData,
        workspace: process.env.TAXI_WORKSPACE ?? path.join(userData, 'workspace'),
        devUrl: app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL,
      });
    })
    .catch((e: unknown) => {
      dialog.showErrorBox('Chicago Taxi MLOps Console could not start', e instanceof Error ? e.message : String(e));
      app.exit(1);
    });
  app.on('window-all-closed', () => app.quit());
}
