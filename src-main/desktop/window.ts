/**
 * The main window: restored to its last size and position, locked down by security.ts, loading the
 * built console (or the dev server under `npm run dev`).
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BrowserWindow } from 'electron';
import { guardWindow, secureWebPreferences } from './security.js';
import { loadWindowState, trackWindowState } from './window-state.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface MainWindowOptions {
  /** window-state.json under the app's user-data folder. */
  stateFile: string;
  /** The dev server's URL under `npm run dev`; the built console otherwise. */
  devUrl?: string | undefined;
  /** Folder of the built preload and renderer (out/); default: next to this bundle. */
  outDir?: string;
}

export interface MainWindow {
  win: BrowserWindow;
  /** The URL the app's page has; IPC and navigation are accepted from it only. */
  appUrl: string;
}

export function rendererIndex(outDir: string): string {
  return path.join(outDir, 'renderer', 'index.html');
}

export function createMainWindow(opts: MainWindowOptions): MainWindow {
  const outDir = opts.outDir ?? path.resolve(here, '..');
  const state = loadWindowState(opts.stateFile);
  const win = new BrowserWindow({
    width: state.width,
    height: state.height,
    ...(state.x !== undefined && state.y !== undefined ? { x: state.x, y: state.y } : {}),
    minWidth: 960,
    minHeight: 600,
    show: false,
    title: 'Chicago Taxi MLOps Console',
    backgroundColor: '#0f172a',
    webPreferences: secureWebPreferences(path.join(outDir, 'preload', 'index.cjs')),
  });
  if (state.maximized) win.maximize();
  trackWindowState(win, opts.stateFile);
  const appUrl = opts.devUrl ?? pathToFileURL(rendererIndex(outDir)).toString();
  guardWindow(win, () => appUrl);
  win.once('ready-to-show', () => win.show());
  if (opts.devUrl) void win.loadURL(opts.devUrl);
  else void win.loadFile(rendererIndex(outDir));
  return { win, appUrl };
}
