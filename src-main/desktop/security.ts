/**
 * The Electron security checklist, in one place: the renderer's webPreferences, a strict
 * Content-Security-Policy sent as a response header (index.html carries the same policy in a meta tag
 * for file:// loads, which have no headers), no permission grants, no navigation away from the app, no
 * new windows, no <webview>. External https links open in the user's browser, never inside the app.
 */
import type { BrowserWindow, Session, WebContents, WebPreferences } from 'electron';
import { shell } from 'electron';

/** No remote content: scripts, styles, images and connections stay on the app's own origin. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  // ECharts sets inline styles on its elements.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-src 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function secureWebPreferences(preload: string): WebPreferences {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
  };
}

/** Sets the CSP header on every response and refuses every permission request (camera, notifications…). */
export function lockDownSession(ses: Session, opts: { devServer?: string | undefined } = {}): void {
  // The dev server's hot reload needs its websocket; a packaged app talks over IPC only.
  const csp = opts.devServer ? CONTENT_SECURITY_POLICY.replace("connect-src 'self'", `connect-src 'self' ${new URL(opts.devServer).origin.replace(/^http/, 'ws')}`) : CONTENT_SECURITY_POLICY;
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [csp] } });
  });
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
}

/** Same document: same origin for http(s), same file for file:// (hash and query may differ). */
export function isAppUrl(url: string, appUrl: string): boolean {
  let u: URL;
  let a: URL;
  try {
    u = new URL(url);
    a = new URL(appUrl);
  } catch {
    return false;
  }
  if (u.protocol !== a.protocol) return false;
  if (a.protocol === 'file:') return decodeURIComponent(u.pathname) === decodeURIComponent(a.pathname);
  return u.origin === a.origin;
}

/** Navigation stays on the app's page; window.open and target=_blank never make a window. */
export function guardContents(contents: WebContents, appUrl: () => string): void {
  contents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  const block = (e: { preventDefault(): void }, url: string): void => {
    if (!isAppUrl(url, appUrl())) {
      e.preventDefault();
      if (url.startsWith('https://')) void shell.openExternal(url);
    }
  };
  contents.on('will-navigate', block);
  contents.on('will-redirect', block);
  contents.on('will-attach-webview', (e) => e.preventDefault());
}

export function guardWindow(win: BrowserWindow, appUrl: () => string): void {
  guardContents(win.webContents, appUrl);
}
