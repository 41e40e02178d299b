/**
 * A stand-in for the `electron` module, for the desktop tests only (Electron's binary cannot run here).
 * It models just what the app touches — BrowserWindow and its webContents/frames, session headers and
 * permissions, ipcMain/ipcRenderer wired to each other in-process, contextBridge, Menu, dialog, shell,
 * screen, app, safeStorage — and records calls so tests can assert on them. Tests load it with
 * `vi.mock('electron', () => import('../stand-ins/electron.js'))`.
 */
import { EventEmitter } from 'node:events';
import path from 'node:path';
import os from 'node:os';
import { pathToFileURL } from 'node:url';

type Listener = (...args: never[]) => unknown;

let nextId = 1;

export class WebFrameMain {
  readonly routingId = nextId++;
  constructor(
    readonly processId: number,
    public url: string,
    readonly parent: WebFrameMain | null = null,
  ) {}
  get top(): WebFrameMain {
    return this.parent ? this.parent.top : this;
  }
}

export interface WindowOpenResponse {
  action: 'allow' | 'deny';
}

export class WebContents extends EventEmitter {
  readonly id = nextId++;
  readonly mainFrame: WebFrameMain;
  readonly sent: { channel: string; args: unknown[] }[] = [];
  windowOpenHandler: ((d: { url: string }) => WindowOpenResponse) | null = null;
  private url = '';
  destroyed = false;

  constructor(readonly session: Session) {
    super();
    this.mainFrame = new WebFrameMain(nextId++, '');
  }
  getURL(): string {
    return this.url;
  }
  /** Test hook: the page committed a navigation to url. */
  navigated(url: string): void {
    this.url = url;
    this.mainFrame.url = url;
  }
  setWindowOpenHandler(h: (d: { url: string }) => WindowOpenResponse): void {
    this.windowOpenHandler = h;
  }
  send(channel: string, ...args: unknown[]): void {
    this.sent.push({ channel, args });
    if (renderer.contents === this) for (const l of renderer.listeners.get(channel) ?? []) l({ sender: this }, ...args);
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  /** Emits like Electron: a preventable event object first. Returns whether a listener prevented it. */
  emitPreventable(event: string, ...args: unknown[]): boolean {
    let prevented = false;
    this.emit(event, { preventDefault: () => (prevented = true) }, ...args);
    return prevented;
  }
  openDevTools(): void {}
}

export interface BrowserWindowOptions {
  width?: number;
  height?: number;
  x?: number;
  y?: number;
  webPreferences?: Record<string, unknown>;
  [k: string]: unknown;
}

export class BrowserWindow extends EventEmitter {
  static readonly all: BrowserWindow[] = [];
  static getAllWindows(): BrowserWindow[] {
    return BrowserWindow.all.filter((w) => !w.destroyed);
  }
  readonly id = nextId++;
  readonly webContents: WebContents;
  readonly loaded: { kind: 'file' | 'url'; target: string }[] = [];
  private bounds: { x: number; y: number; width: number; height: number };
  private maximized = false;
  private minimized = false;
  destroyed = false;
  shown = false;

  constructor(readonly options: BrowserWindowOptions = {}) {
    super();
    this.webContents = new WebContents(session.defaultSession);
    this.bounds = { x: options.x ?? 100, y: options.y ?? 100, width: options.width ?? 800, height: options.height ?? 600 };
    BrowserWindow.all.push(this);
  }
  loadFile(file: string): Promise<void> {
    this.loaded.push({ kind: 'file', target: file });
    this.webContents.navigated(pathToFileURL(path.resolve(file)).toString());
    return Promise.resolve();
  }
  loadURL(url: string): Promise<void> {
    this.loaded.push({ kind: 'url', target: url });
    this.webContents.navigated(url);
    return Promise.resolve();
  }
  getBounds(): { x: number; y: number; width: number; height: number } {
    return { ...this.bounds };
  }
  getNormalBounds(): { x: number; y: number; width: number; height: number } {
    return { ...this.bounds };
  }
  setBounds(b: Partial<{ x: number; y: number; width: number; height: number }>): void {
    this.bounds = { ...this.bounds, ...b };
    this.emit('resize');
  }
  isMaximized(): boolean {
    return this.maximized;
  }
  maximize(): void {
    this.maximized = true;
  }
  isMinimized(): boolean {
    return this.minimized;
  }
  restore(): void {
    this.minimized = false;
  }
  focus(): void {}
  show(): void {
    this.shown = true;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  close(): void {
    this.emit('close', { preventDefault: () => undefined });
    this.destroyed = true;
    this.webContents.destroyed = true;
    this.emit('closed');
  }
}

export class Session {
  headersListener: ((details: { url: string; responseHeaders?: Record<string, string[]> }, cb: (r: { responseHeaders?: Record<string, string[]>; cancel?: boolean }) => void) => void) | null = null;
  permissionHandler: ((wc: unknown, permission: string, cb: (granted: boolean) => void) => void) | null = null;
  permissionCheckHandler: ((wc: unknown, permission: string) => boolean) | null = null;
  readonly webRequest = {
    onHeadersReceived: (l: Session['headersListener']): void => {
      this.headersListener = l;
    },
  };
  setPermissionRequestHandler(h: Session['permissionHandler']): void {
    this.permissionHandler = h;
  }
  setPermissionCheckHandler(h: Session['permissionCheckHandler']): void {
    this.permissionCheckHandler = h;
  }
  /** Test hook: the headers a response would carry after the app's listener ran. */
  headersFor(url: string, headers: Record<string, string[]> = {}): Promise<Record<string, string[]>> {
    return new Promise((resolve) => {
      if (!this.headersListener) return resolve(headers);
      this.headersListener({ url, responseHeaders: headers }, (r) => resolve(r.responseHeaders ?? headers));
    });
  }
}

export const session = { defaultSession: new Session() };

// ---------- IPC, wired in-process ----------

type InvokeHandler = (e: { sender: WebContents; senderFrame: WebFrameMain | null }, ...args: unknown[]) => unknown;

export const ipcMain = {
  handlers: new Map<string, InvokeHandler>(),
  handle(channel: string, h: InvokeHandler): void {
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, h);
  },
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  },
};

/** Which page the stand-in renderer (preload) runs in, and from which frame it sends. */
const renderer = {
  contents: null as WebContents | null,
  frame: null as WebFrameMain | null,
  listeners: new Map<string, Set<(...a: unknown[]) => void>>(),
};

export const standIn = {
  /** Makes ipcRenderer speak from this frame of these contents (default: the main frame). */
  attachRenderer(contents: WebContents, frame: WebFrameMain = contents.mainFrame): void {
    renderer.contents = contents;
    renderer.frame = frame;
  },
  reset(): void {
    ipcMain.handlers.clear();
    renderer.contents = null;
    renderer.frame = null;
    renderer.listeners.clear();
    exposed.clear();
    BrowserWindow.all.length = 0;
    session.defaultSession = new Session();
    app.reset();
    Menu.current = null;
    dialog.shown.length = 0;
    shell.opened.length = 0;
    safeStorage.calls.length = 0;
    safeStorage.available = true;
    safeStorage.backend = 'gnome_libsecret';
  },
};

export const ipcRenderer = {
  async invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    const h = ipcMain.handlers.get(channel);
    if (!h) throw new Error(`Error invoking remote method '${channel}': Error: No handler registered for '${channel}'`);
    if (!renderer.contents) throw new Error('stand-in: no renderer attached');
    // Structured clone, like Electron's IPC: no functions or class instances cross.
    return structuredClone(await h({ sender: renderer.contents, senderFrame: renderer.frame }, ...structuredClone(args)));
  },
  on(channel: string, l: (...a: unknown[]) => void): void {
    if (!renderer.listeners.has(channel)) renderer.listeners.set(channel, new Set());
    renderer.listeners.get(channel)!.add(l);
  },
  removeListener(channel: string, l: (...a: unknown[]) => void): void {
    renderer.listeners.get(channel)?.delete(l);
  },
};

export const exposed = new Map<string, unknown>();
export const contextBridge = {
  exposeInMainWorld(key: string, api: unknown): void {
    exposed.set(key, api);
  },
};

// ---------- app, menu, dialogs ----------

class App extends EventEmitter {
  paths = new Map<string, string>();
  lockHeld = true;
  quitCalls = 0;
  exitCode: number | null = null;
  aboutOptions: Record<string, unknown> | null = null;
  reset(): void {
    this.removeAllListeners();
    this.paths.clear();
    this.lockHeld = true;
    this.quitCalls = 0;
    this.exitCode = null;
    this.aboutOptions = null;
  }
  getPath(name: string): string {
    return this.paths.get(name) ?? path.join(os.tmpdir(), `electron-stand-in-${name}`);
  }
  setPath(name: string, p: string): void {
    this.paths.set(name, p);
  }
  getVersion(): string {
    return '0.1.0';
  }
  getName(): string {
    return 'Chicago Taxi MLOps Console';
  }
  isPackaged = false;
  requestSingleInstanceLock(): boolean {
    return this.lockHeld;
  }
  whenReady(): Promise<void> {
    return Promise.resolve();
  }
  quit(): void {
    this.quitCalls++;
  }
  exit(code = 0): void {
    this.exitCode = code;
  }
  setAboutPanelOptions(o: Record<string, unknown>): void {
    this.aboutOptions = o;
  }
}
export const app = new App();

export interface MenuItemOptions {
  label?: string;
  role?: string;
  type?: string;
  accelerator?: string;
  submenu?: MenuItemOptions[];
  click?: (...a: unknown[]) => unknown;
  visible?: boolean;
  enabled?: boolean;
}

export class Menu {
  static current: Menu | null = null;
  constructor(readonly template: MenuItemOptions[]) {}
  static buildFromTemplate(template: MenuItemOptions[]): Menu {
    return new Menu(template);
  }
  static setApplicationMenu(m: Menu | null): void {
    Menu.current = m;
  }
  /** Test hook: the item at a path of labels, e.g. ['Help', 'About …']. */
  find(labels: string[]): MenuItemOptions | undefined {
    let items: MenuItemOptions[] | undefined = this.template;
    let found: MenuItemOptions | undefined;
    for (const l of labels) {
      found = items?.find((i) => (i.label ?? i.role) === l);
      items = found?.submenu;
    }
    return found;
  }
}

export const dialog = {
  shown: [] as Record<string, unknown>[],
  showMessageBox(_win: unknown, opts?: Record<string, unknown>): Promise<{ response: number }> {
    dialog.shown.push((opts ?? _win) as Record<string, unknown>);
    return Promise.resolve({ response: 0 });
  },
  showErrorBox(title: string, content: string): void {
    dialog.shown.push({ title, content, type: 'error' });
  },
};

export const shell = {
  opened: [] as string[],
  openExternal(url: string): Promise<void> {
    shell.opened.push(url);
    return Promise.resolve();
  },
  openPath(p: string): Promise<string> {
    shell.opened.push(p);
    return Promise.resolve('');
  },
};

export const screen = {
  displays: [{ id: 1, workArea: { x: 0, y: 0, width: 1920, height: 1080 }, bounds: { x: 0, y: 0, width: 1920, height: 1080 } }],
  getAllDisplays(): { id: number; workArea: { x: number; y: number; width: number; height: number } }[] {
    return screen.displays;
  },
};

// ---------- safeStorage ----------

const MAGIC = Buffer.from('v10');

/**
 * Reversible but not plain: each byte XORed and prefixed like Chromium's OSCrypt, so a leaked plain value
 * is found by a grep and an encrypted one is not.
 */
export const safeStorage = {
  available: true,
  backend: 'gnome_libsecret' as 'basic_text' | 'gnome_libsecret' | 'kwallet' | 'unknown',
  calls: [] as { op: 'encrypt' | 'decrypt'; plain: string }[],
  isEncryptionAvailable(): boolean {
    return safeStorage.available;
  },
  getSelectedStorageBackend(): string {
    return safeStorage.backend;
  },
  encryptString(plain: string): Buffer {
    if (!safeStorage.available) throw new Error('Error while encrypting the text provided to safeStorage.encryptString. Encryption is not available.');
    safeStorage.calls.push({ op: 'encrypt', plain });
    const body = Buffer.from(plain, 'utf8').map((b) => b ^ 0xa5);
    return Buffer.concat([MAGIC, body]);
  },
  decryptString(buf: Buffer): string {
    if (!buf.subarray(0, 3).equals(MAGIC)) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
    const plain = Buffer.from(buf.subarray(3).map((b) => b ^ 0xa5)).toString('utf8');
    safeStorage.calls.push({ op: 'decrypt', plain });
    return plain;
  },
  isAsyncEncryptionAvailable(): Promise<boolean> {
    return Promise.resolve(safeStorage.available);
  },
  async encryptStringAsync(plain: string): Promise<Buffer> {
    return safeStorage.encryptString(plain);
  },
  async decryptStringAsync(buf: Buffer): Promise<{ result: string; shouldReEncrypt: boolean }> {
    return { result: safeStorage.decryptString(buf), shouldReEncrypt: false };
  },
};

export type IpcMainInvokeEvent = { sender: WebContents; senderFrame: WebFrameMain | null };
export type IpcRendererEvent = { sender: WebContents };
export type MenuItemConstructorOptions = MenuItemOptions;
export type Listener_ = Listener;

export default { app, BrowserWindow, Menu, dialog, ipcMain, ipcRenderer, contextBridge, safeStorage, screen, session, shell };
