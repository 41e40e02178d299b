/**
 * The contract over Electron IPC: one invoke channel for every method (input parsed by dispatch) and one
 * channel per contract event. Messages from any frame other than our own window are refused.
 */
import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { ipcEventChannel, ipcInvokeChannel, type ApiResult } from '../api/contract.js';
import { dispatch } from '../api/dispatch.js';
import type { Services } from '../platform/services.js';

function trustedSender(e: IpcMainInvokeEvent, win: BrowserWindow): boolean {
  const url = e.senderFrame?.url ?? '';
  return e.sender.id === win.webContents.id && (url.startsWith('file://') || url.startsWith('http://localhost:'));
}

export function registerIpc(win: BrowserWindow, services: () => Services): () => void {
  ipcMain.handle(ipcInvokeChannel, async (e, method: unknown, input: unknown): Promise<ApiResult<unknown>> => {
    if (!trustedSender(e, win)) return { ok: false, error: { code: 'FORBIDDEN', message: 'IPC from an unexpected frame' } };
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
