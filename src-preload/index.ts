/**
 * The renderer is sandboxed and isolated: this bridge is its only way to main. It exposes `window.api`
 * (invoke + subscribe) and nothing else, and refuses names the contract does not declare so a compromised
 * renderer cannot reach arbitrary IPC channels.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import {
  ipcEventChannel,
  ipcInvokeChannel,
  isEventName,
  isMethodName,
  type ApiResult,
  type EventName,
  type EventPayload,
  type Input,
  type MethodName,
  type Output,
  type WindowApi,
} from '../src-main/api/contract';

const refused = (code: string, message: string): ApiResult<never> => ({ ok: false, error: { code, message } });

async function invoke<M extends MethodName>(method: M, input?: Input<M>): Promise<ApiResult<Output<M>>> {
  // Names arrive from page code at runtime, so the static type is no guarantee.
  if (typeof method !== 'string' || !isMethodName(method)) {
    return refused('UNKNOWN_METHOD', `unknown method: ${String(method)}`);
  }
  try {
    return (await ipcRenderer.invoke(ipcInvokeChannel, method, input)) as ApiResult<Output<M>>;
  } catch (err) {
    // ipcRenderer.invoke rejects only when main has no handler or it threw past its own error mapping.
    return refused('INTERNAL', err instanceof Error ? err.message : String(err));
  }
}

function subscribe<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
  if (typeof event !== 'string' || !isEventName(event) || typeof listener !== 'function') {
    throw new Error(`unknown event: ${String(event)}`);
  }
  const channel = ipcEventChannel(event);
  // The IpcRendererEvent carries the sender; never hand it to page code.
  const forward = (_e: IpcRendererEvent, payload: EventPayload<E>): void => listener(payload);
  ipcRenderer.on(channel, forward);
  return () => {
    ipcRenderer.removeListener(channel, forward);
  };
}

const api: WindowApi = { invoke, subscribe };

contextBridge.exposeInMainWorld('api', api);
