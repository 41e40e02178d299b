/**
 * The application menu and the About dialog. Tabs are reached with Ctrl/Cmd+1..8 inside the page; the
 * menu adds what only the shell can do: open the workspace and log folders, reload, zoom, full screen.
 */
import { app, dialog, Menu, shell, type BrowserWindow, type MenuItemConstructorOptions } from 'electron';
import { APP_NAME, APP_VERSION } from '../platform/version.js';

export interface MenuContext {
  window: () => BrowserWindow | null;
  workspace: () => { root: string; logsDir: string; profile: string };
  dev: boolean;
}

export function aboutDetail(ctx: MenuContext): string {
  const ws = ctx.workspace();
  return [
    `Version ${APP_VERSION}`,
    `Electron ${process.versions.electron ?? '?'} · Chromium ${process.versions.chrome ?? '?'} · Node ${process.versions.node}`,
    `Workspace ${ws.root}`,
    `Profile ${ws.profile}`,
    'Apache-2.0. Trip data: City of Chicago (data.cityofchicago.org).',
  ].join('\n');
}

export async function showAbout(ctx: MenuContext): Promise<void> {
  const win = ctx.window();
  const opts = { type: 'info' as const, title: `About ${APP_NAME}`, message: APP_NAME, detail: aboutDetail(ctx), buttons: ['OK'] };
  await (win ? dialog.showMessageBox(win, opts) : dialog.showMessageBox(opts));
}

export function menuTemplate(ctx: MenuContext): MenuItemConstructorOptions[] {
  const isMac = process.platform === 'darwin';
  const about: MenuItemConstructorOptions = { label: `About ${APP_NAME}`, click: () => void showAbout(ctx) };
  const folders: MenuItemConstructorOptions[] = [
    { label: 'Open Workspace Folder', click: () => void shell.openPath(ctx.workspace().root) },
    { label: 'Open Logs Folder', click: () => void shell.openPath(ctx.workspace().logsDir) },
  ];
  return [
    ...(isMac ? [{ label: APP_NAME, submenu: [about, { type: 'separator' }, { role: 'hide' }, { role: 'hideOthers' }, { type: 'separator' }, { role: 'quit' }] } as MenuItemConstructorOptions] : []),
    { label: 'File', submenu: [...folders, { type: 'separator' }, isMac ? { role: 'close' } : { role: 'quit' }] },
    { label: 'Edit', submenu: [{ role: 'undo' }, { role: 'redo' }, { type: 'separator' }, { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'selectAll' }] },
    {
      label: 'View',
      submenu: [
        { role: 'reload' },
        ...(ctx.dev ? [{ role: 'toggleDevTools' } as MenuItemConstructorOptions] : []),
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    { label: 'Window', submenu: [{ role: 'minimize' }, { role: 'zoom' }, ...(isMac ? [{ role: 'front' } as MenuItemConstructorOptions] : [])] },
    { label: 'Help', submenu: isMac ? folders.slice(1) : [about, { type: 'separator' }, ...folders.slice(1)] },
  ];
}

export function installMenu(ctx: MenuContext): Menu {
  app.setAboutPanelOptions({ applicationName: APP_NAME, applicationVersion: APP_VERSION, copyright: 'Apache-2.0' });
  const menu = Menu.buildFromTemplate(menuTemplate(ctx));
  Menu.setApplicationMenu(menu);
  return menu;
}
