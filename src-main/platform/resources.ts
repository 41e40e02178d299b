/** Files shipped with the app (sample data, calibration), found from source, from the bundle, or packaged. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from './errors.js';

export function resourcePath(...parts: string[]): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const roots = [
    process.env.TAXI_RESOURCES,
    path.resolve(here, '../../resources'),
    path.resolve(here, '../../../resources'),
    (process as { resourcesPath?: string }).resourcesPath ? path.join((process as { resourcesPath?: string }).resourcesPath!, 'resources') : undefined,
  ].filter((r): r is string => !!r);
  for (const root of roots) {
    const p = path.join(root, ...parts);
    if (fs.existsSync(p)) return p;
  }
  throw new AppError('NOT_FOUND', `bundled resource ${parts.join('/')} not found (looked in ${roots.join(', ')})`);
}
