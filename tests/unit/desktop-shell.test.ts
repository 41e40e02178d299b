/**
 * The Electron layer with the `electron` stand-in (tests/stand-ins/electron.ts): secure webPreferences,
 * CSP, navigation and new windows blocked, every contract method reachable over IPC from the app's main
 * frame and refused from anywhere else, the preload bridge end to end, saved window bounds, the About
 * dialog, and a clean shutdown with a job running.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('../stand-ins/electron.js'));

const electron = await import('../stand-ins/electron.js');
const { BrowserWindow, Menu, WebContents, WebFrameMain, app, dialog, exposed, ipcMain, session, shell, standIn } = electron;
const { startDesktop } = await import('../../src-main/desktop/app.js');
const { ipcInvokeChannel, methodNames } = await import('../../src-main/api/contract.js');
const { loadWindowState } = await import('../../src-main/desktop/window-state.js');
const { CONTENT_SECURITY_POLICY } = await import('../../src-main/desktop/security.js');
const { setSecretStore } = await import('../../src-main/platform/secrets.js');

type Desktop = Awaited<ReturnType<typeof startDesktop>>;
type Result = { ok: true; result: unknown } | { ok: false; error: { code: string; message: string } };

let root: string;
let userData: string;
let desktop: Desktop;
let win: InstanceType<typeof BrowserWindow>;

const invoke = (frame: { sender: unknown; senderFrame: unknown }, method: unknown, input?: unknown): Promise<Result> =>
  ipcMain.handlers.get(ipcInvokeChannel)!(frame as never, method, input) as Promise<Result>;
const fromApp = (): { sender: unknown; senderFrame: unknown } => ({ sender: win.webContents, senderFrame: win.webContents.mainFrame });

beforeAll(async () => {
  standIn.reset();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'taxi-desktop-'));
  userData = path.join(root, 'user-data');
  desktop = await startDesktop({ userData, workspace: path.join(root, 'workspace'), outDir: path.join(root, 'out') });
  win = BrowserWindow.all[0]!;
}, 60_000);

afterAll(async () => {
  await desktop?.shutdown('test');
  setSecretStore(null);
  fs.rmSync(root, { recursive: true, force: true });
});

describe('window and session', () => {
  it('creates one window with the secure webPreferences', () => {
    expect(BrowserWindow.all).toHaveLength(1);
    const wp = win.options.webPreferences!;
    expect(wp).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
    expect(wp.preload).toBe(path.join(root, 'out', 'preload', 'index.cjs'));
    // No option anywhere turns a protection back off.
    expect(JSON.stringify(win.options)).not.toMatch(/"(enableRemoteModule|nodeIntegration)":true/);
    expect(win.loaded).toEqual([{ kind: 'file', target: path.join(root, 'out', 'renderer', 'index.html') }]);
  });

  it('sets a strict CSP header on every response, and index.html carries a policy as strict', async () => {
    const headers = await session.defaultSession.headersFor('file:///anything', { 'X-Other': ['kept'] });
    expect(headers['X-Other']).toEqual(['kept']);
    const csp = headers['Content-Security-Policy']?.[0] ?? '';
    expect(csp).toBe(CONTENT_SECURITY_POLICY);
    const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
    expect(directives['default-src']).toEqual(["'self'"]);
    expect(directives['script-src']).toEqual(["'self'"]);
    expect(directives['object-src']).toEqual(["'none'"]);
    expect(directives['connect-src']).toEqual(["'self'"]);
    expect(csp).not.toMatch(/unsafe-eval|https?:|\*/);
    const html = fs.readFileSync(path.resolve(import.meta.dirname, '../../src-renderer/index.html'), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1] ?? '';
    expect(meta).toMatch(/script-src 'self'(;|$)/);
    expect(meta).toMatch(/object-src 'none'/);
    expect(meta).not.toMatch(/unsafe-eval|https?:|\*/);
  });

  it('refuses every permission request and check', async () => {
    const granted = await new Promise<boolean>((r) => session.defaultSession.permissionHandler!(win.webContents, 'media', r));
    expect(granted).toBe(false);
    expect(session.defaultSession.permissionCheckHandler!(win.webContents, 'notifications')).toBe(false);
  });

  it('blocks navigation away from the app and every new window; https links go to the browser', () => {
    const appUrl = win.webContents.getURL();
    expect(appUrl).toMatch(/^file:\/\/.*\/renderer\/index\.html$/);
    expect(win.webContents.emitPreventable('will-navigate', `${appUrl}#/settings`)).toBe(false);
    expect(win.webContents.emitPreventable('will-navigate', 'https://evil.example/')).toBe(true);
    expect(win.webContents.emitPreventable('will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(win.webContents.emitPreventable('will-redirect', 'http://127.0.0.1:9/')).toBe(true);
    expect(win.webContents.emitPreventable('will-attach-webview', {}, {})).toBe(true);
    expect(win.webContents.windowOpenHandler!({ url: 'https://mlflow.org/docs' })).toEqual({ action: 'deny' });
    expect(win.webContents.windowOpenHandler!({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(win.webContents.windowOpenHandler!({ url: 'javascript:alert(1)' })).toEqual({ action: 'deny' });
    expect(shell.opened).toEqual(['https://evil.example/', 'https://mlflow.org/docs']);
  });

  it('guards web contents created later (devtools, other windows) the same way', () => {
    const later = new WebContents(session.defaultSession);
    app.emit('web-contents-created', {}, later);
    expect(later.emitPreventable('will-navigate', 'http://127.0.0.1:8000/')).toBe(true);
    expect(later.emitPreventable('will-attach-webview', {}, {})).toBe(true);
    expect(later.windowOpenHandler!({ url: 'http://example.org/' })).toEqual({ action: 'deny' });
  });
});

describe('IPC', () => {
  it('reaches every contract method from the app frame, each input parsed by its schema', async () => {
    expect(methodNames.length).toBeGreaterThan(30);
    for (const m of methodNames) {
      // A number is no method's input: every method answers from its schema, without running anything.
      const r = await invoke(fromApp(), m, 12345);
      expect(r.ok, m).toBe(false);
      if (!r.ok) expect([m, r.error.code]).toEqual([m, 'INVALID_INPUT']);
    }
    const unknown = await invoke(fromApp(), 'system.shutdown', {});
    expect(unknown.ok === false && unknown.error.code).toBe('UNKNOWN_METHOD');
    const info = await invoke(fromApp(), 'system.info', {});
    expect(info.ok && (info.result as { mode: string }).mode).toBe('desktop');
  });

  it('refuses a subframe, another window, a foreign page in the window, and a missing frame', async () => {
    const main = win.webContents.mainFrame;
    const iframe = new WebFrameMain(main.processId, main.url, main);
    const other = new BrowserWindow({});
    await other.loadFile(path.join(root, 'out', 'renderer', 'index.html'));
    const cases = [
      { sender: win.webContents, senderFrame: iframe },
      { sender: other.webContents, senderFrame: other.webContents.mainFrame },
      { sender: win.webContents, senderFrame: new WebFrameMain(main.processId + 1, main.url) },
      { sender: win.webContents, senderFrame: null },
    ];
    for (const c of cases) {
      const r = await invoke(c, 'system.info', {});
      expect(r).toEqual({ ok: false, error: { code: 'FORBIDDEN', message: 'IPC from an unexpected frame' } });
    }
    // The window's own main frame showing some other page is no longer the app.
    const appUrl = win.webContents.getURL();
    win.webContents.navigated('https://evil.example/');
    try {
      expect((await invoke(fromApp(), 'system.info', {})).ok).toBe(false);
    } finally {
      win.webContents.navigated(appUrl);
    }
    expect((await invoke(fromApp(), 'system.info', {})).ok).toBe(true);
    other.close();
  });

  it('the preload bridge exposes invoke + subscribe only, round-trips calls and forwards events', async () => {
    standIn.attachRenderer(win.webContents);
    await import('../../src-preload/index.js');
    const api = exposed.get('api') as {
      invoke(m: string, i?: unknown): Promise<Result>;
      subscribe(e: string, l: (p: unknown) => void): () => void;
    };
    expect(Object.keys(api).sort()).toEqual(['invoke', 'subscribe']);
    const r = await api.invoke('settings.profiles');
    expect(r.ok && (r.result as { active: string }).active).toBe('local');
    expect(await api.invoke('no.such.method')).toMatchObject({ ok: false, error: { code: 'UNKNOWN_METHOD' } });
    expect(() => api.subscribe('not.an.event', () => undefined)).toThrow(/unknown event/);
    const seen: unknown[] = [];
    const off = api.subscribe('settings.changed', (p) => seen.push(p));
    const act = await api.invoke('settings.profile.activate', { name: 'local' });
    expect(act.ok).toBe(true);
    expect(seen).toEqual([{ reason: 'activated', active_profile: 'local', kind: 'embedded', profile: 'local' }]);
    off();
    await api.invoke('settings.profile.activate', { name: 'local' });
    expect(seen).toHaveLength(1);
  });
});

describe('menu, about, window state', () => {
  it('has an application menu whose About shows version, runtime and workspace', async () => {
    const menu = Menu.current!;
    expect(menu.template.map((i) => i.label)).toEqual(expect.arrayContaining(['File', 'Edit', 'View', 'Window', 'Help']));
    const about = menu.find(['Help', 'About Chicago Taxi MLOps Console']) ?? menu.find(['Chicago Taxi MLOps Console', 'About Chicago Taxi MLOps Console']);
    expect(about?.click).toBeTypeOf('function');
    about!.click!();
    await vi.waitFor(() => expect(dialog.shown).toHaveLength(1));
    const shown = dialog.shown[0]!;
    expect(shown.message).toBe('Chicago Taxi MLOps Console');
    expect(String(shown.detail)).toContain('Version 0.1.0');
    expect(String(shown.detail)).toContain(path.join(root, 'workspace'));
    // No developer tools outside `npm run dev`.
    expect(JSON.stringify(menu.template)).not.toContain('toggleDevTools');
  });

  it('saves the window bounds on close and restores them; a position off every display is dropped', () => {
    const file = path.join(userData, 'window-state.json');
    win.setBounds({ x: 200, y: 150, width: 1280, height: 800 });
    win.close();
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ x: 200, y: 150, width: 1280, height: 800, maximized: false });
    expect(loadWindowState(file)).toEqual({ x: 200, y: 150, width: 1280, height: 800, maximized: false });
    fs.writeFileSync(file, JSON.stringify({ x: 5000, y: 3000, width: 300, height: 200, maximized: true }));
    expect(loadWindowState(file)).toEqual({ width: 960, height: 600, maximized: true });
    fs.writeFileSync(file, '{ not json');
    expect(loadWindowState(file)).toEqual({ width: 1440, height: 900, maximized: false });
  });
});

describe('shutdown', () => {
  it('cancels a running job, closes the stores, and is idempotent', async () => {
    const s = desktop.services;
    const job = s.jobs.start('data.generate', { rows: 5_000_000, seed: 1 });
    // Past its setup (native DuckDB calls cannot be interrupted), inside the loop that checks its signal.
    await vi.waitFor(() => expect(s.jobs.get(job.id).progress.done).toBeGreaterThan(0), { timeout: 20_000 });
    const t0 = Date.now();
    await Promise.all([desktop.shutdown('test'), desktop.shutdown('again')]);
    // Cancelled cooperatively (well inside the manager's 5 s grace), not terminated.
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(s.appDb.open).toBe(false);
    // Reopened after the fact, the job's record says it ended, and how.
    const { openDatabase } = await import('../../src-main/platform/db/sqlite.js');
    const { APP_MIGRATIONS } = await import('../../src-main/platform/db/app-schema.js');
    const db = openDatabase(s.workspace.paths.appDb, 'app.db', APP_MIGRATIONS);
    try {
      const row = db.prepare('SELECT status FROM jobs WHERE id = ?').get(job.id) as { status: string };
      expect(row.status).toBe('cancelled');
    } finally {
      db.close();
    }
  }, 60_000);
});
