/**
 * The desktop app's life: open the workspace and services, install the keyring, the locked-down session,
 * the menu and the window, wire IPC, restore the local API switch — and on quit, shut everything down in
 * order (local API, then jobs cancelled or finished, then stores and Kafka/Redis connections) before the
 * process ends, so nothing is lost. SQLite runs in WAL mode and Parquet writes are atomic, so a crash
 * loses at most the job that was running, never a store.
 */
import path from 'node:path';
import { app, session } from 'electron';
import { openServices, type Services } from '../platform/services.js';
import { restoreLocalApi, stopLocalApi } from '../platform/local-api.js';
import { setSecretStore } from '../platform/secrets.js';
import { initWorkspace } from '../platform/workspace.js';
import { registerIpc } from './ipc.js';
import { installMenu } from './menu.js';
import { createKeyring } from './secrets.js';
import { guardContents, lockDownSession } from './security.js';
import { createMainWindow, type MainWindow } from './window.js';

export interface DesktopOptions {
  userData: string;
  workspace: string;
  devUrl?: string | undefined;
  outDir?: string;
}

export interface DesktopApp {
  services: Services;
  main: MainWindow;
  /** Idempotent; resolves once everything is closed. */
  shutdown(reason: string): Promise<void>;
}

/** How long jobs get to stop on quit before the process ends anyway. */
export const SHUTDOWN_DEADLINE_MS = 15_000;

export async function startDesktop(opts: DesktopOptions): Promise<DesktopApp> {
  const keyring = createKeyring(path.join(opts.userData, 'secrets.json'));
  await keyring.load();
  setSecretStore(keyring);
  initWorkspace(opts.workspace);
  const services = await openServices({ workspace: opts.workspace, mode: 'desktop' });
  lockDownSession(session.defaultSession, { devServer: opts.devUrl });
  const main = createMainWindow({ stateFile: path.join(opts.userData, 'window-state.json'), devUrl: opts.devUrl, ...(opts.outDir ? { outDir: opts.outDir } : {}) });
  // Any other web contents (devtools, a future window) gets the same navigation and window-open rules.
  app.on('web-contents-created', (_e, contents) => {
    if (contents !== main.win.webContents) guardContents(contents, () => main.appUrl);
  });
  const unregister = registerIpc(main.win, main.appUrl, () => services);
  main.win.on('closed', unregister);
  installMenu({
    window: () => (main.win.isDestroyed() ? null : main.win),
    workspace: () => ({ root: services.workspace.paths.root, logsDir: services.workspace.paths.logsDir, profile: services.workspace.profile.name }),
    dev: !!opts.devUrl,
  });
  void restoreLocalApi(services);

  let closing: Promise<void> | null = null;
  const shutdown = (reason: string): Promise<void> => {
    closing ??= (async () => {
      services.log.app.info({ reason }, 'shutting down');
      const deadline = new Promise<void>((resolve) => setTimeout(resolve, SHUTDOWN_DEADLINE_MS).unref());
      const orderly = (async () => {
        await stopLocalApi(services).catch((e: unknown) => services.log.app.warn({ err: (e as Error).message }, 'local API did not stop cleanly'));
        await services.close();
      })();
      await Promise.race([orderly, deadline]);
    })();
    return closing;
  };
  return { services, main, shutdown };
}

/** Quit waits for shutdown once, then lets the app end; signals and crashes take the same road. */
export function handleQuit(desktop: () => DesktopApp | null): void {
  let done = false;
  app.on('before-quit', (e) => {
    const d = desktop();
    if (done || !d) return;
    e.preventDefault();
    void d.shutdown('quit').finally(() => {
      done = true;
      app.quit();
    });
  });
  const onSignal = (signal: string): void => {
    const d = desktop();
    if (!d) return app.exit(0);
    void d.shutdown(signal).finally(() => app.exit(0));
  };
  process.once('SIGINT', () => onSignal('SIGINT'));
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.on('uncaughtException', (err) => {
    const d = desktop();
    d?.services.log.app.fatal({ err: err.message, stack: err.stack }, 'uncaught exception');
    if (!d) return app.exit(1);
    void d.shutdown('crash').finally(() => app.exit(1));
  });
}
