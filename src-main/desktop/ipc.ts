/**
 * The contract over Electron IPC: one invoke channel for every method (input parsed by dispatch against
 * the contract's schema) and one channel per contract event. A message is served only when it comes from
 * our window's main frame while that frame shows the app's own page — not from a subframe, another
 * window, or a page the window was somehow navigated to.
 */
import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { ipcEventChannel, ipcInvokeChannel, type ApiResult } from '../api/contract.js';
import { dispatch } from '../api/dispatch.js';
import type { Services } from '../platform/services.js';
import { isAppUrl } from './security.js';

export function trustedSender(e: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>, win: BrowserWindow, appUrl: string): boolean {
  if (win.isDestroyed() || e.sender.id !== win.webContents.id) return false;
  const frame = e.senderFrame;
  const main = win.webContents.mainFrame;
  if (!frame || frame.parent !== null || frame.processId !== main.processId || frame.routingId !== main.routingId) return false;
  return isAppUrl(frame.url, appUrl);
}

export function registerIpc(win: BrowserWindow, appUrl: string, services: () => Services): () => void {
  ipcMain.handle(ipcInvokeChannel, async (e, method: unknown, input: unknown): Promise<ApiResult<unknown>> => {
    if (!trustedSender(e, win, appUrl)) {
      services().log.app.warn({ url: e.senderFrame?.url ?? null, sender: e.sender.id }, 'IPC refused: not from the app window');
      return { ok: false, error: { code: 'FORBIDDEN', message: 'IPC from an unexpected frame' } };
    }
    if (typeof method !== 'string') return { ok: false, error: { code: 'INVALID_INPUT', message: 'method name must be a string' } };
    return dispatch(services(), method, input);
  });
  const unsubscribe = services().events.subscribe((e) => {
    if (!win.isDestroyed()) win.webContents.send(ipcEventChannel(e.event), e.payload);
  });
  return () => {
    ipcMain.removeHandler(ipcInvokeChannel);
    unsubscribe();
  };
}
