/**
 * The main window's size and position, saved on move/resize/close and restored at start. A saved
 * position that no longer lies on any display (a monitor unplugged) is dropped, keeping only the size.
 */
import fs from 'node:fs';
import path from 'node:path';
import { screen, type BrowserWindow } from 'electron';

export interface WindowState {
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
}

export const DEFAULT_STATE: WindowState = { width: 1440, height: 900, maximized: false };
const MIN = { width: 960, height: 600 };

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function visibleOnSomeDisplay(s: WindowState): boolean {
  if (!isNum(s.x) || !isNum(s.y)) return false;
  // At least a 100×50 corner of the title bar must be on a display's work area.
  return screen.getAllDisplays().some(({ workArea: a }) => s.x! + 100 > a.x && s.x! < a.x + a.width - 100 && s.y! >= a.y - 10 && s.y! < a.y + a.height - 50);
}

export function loadWindowState(file: string): WindowState {
  let raw: Partial<WindowState>;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<WindowState>;
  } catch {
    return { ...DEFAULT_STATE };
  }
  const state: WindowState = {
    width: isNum(raw.width) ? Math.max(MIN.width, Math.round(raw.width)) : DEFAULT_STATE.width,
    height: isNum(raw.height) ? Math.max(MIN.height, Math.round(raw.height)) : DEFAULT_STATE.height,
    maximized: raw.maximized === true,
    ...(isNum(raw.x) && isNum(raw.y) ? { x: Math.round(raw.x), y: Math.round(raw.y) } : {}),
  };
  if (!visibleOnSomeDisplay(state)) {
    delete state.x;
    delete state.y;
  }
  return state;
}

export function saveWindowState(file: string, state: WindowState): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state));
  fs.renameSync(tmp, file);
}

/** Keeps the file current while the window lives; writes are debounced, the last one happens on close. */
export function trackWindowState(win: BrowserWindow, file: string): void {
  let timer: NodeJS.Timeout | null = null;
  const capture = (): WindowState => ({ ...win.getNormalBounds(), maximized: win.isMaximized() });
  const save = (): void => {
    timer = null;
    if (!win.isDestroyed()) saveWindowState(file, capture());
  };
  const later = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(save, 500);
  };
  win.on('resize', later);
  win.on('move', later);
  win.on('close', () => {
    if (timer) clearTimeout(timer);
    saveWindowState(file, capture());
  });
}
