/**
 * Secrets named in config.yaml ({ secret: NAME }) are never stored there. Resolution order:
 * an in-memory provider (the desktop app's OS keychain), then TAXI_SECRET_<NAME> in the environment,
 * then a JSON file named by TAXI_SECRETS_FILE that only its owner may read (mode 0600).
 */
import fs from 'node:fs';
import { AppError } from './errors.js';

export type SecretProvider = (name: string) => string | undefined;

let provider: SecretProvider | null = null;

/** The desktop app installs its keychain-backed provider here. */
export function setSecretProvider(p: SecretProvider | null): void {
  provider = p;
}

export const envNameOf = (name: string): string => `TAXI_SECRET_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;

function fromFile(name: string): string | undefined {
  const file = process.env.TAXI_SECRETS_FILE;
  if (!file) return undefined;
  const st = fs.statSync(file);
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
    throw new AppError('INVALID_CONFIG', `${file}: secrets file must not be readable by group or others (chmod 600 ${file})`, { file });
  }
  const data = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  const v = data[name];
  return typeof v === 'string' ? v : undefined;
}

export function resolveSecret(ref: { secret: string } | undefined, where: string): string | undefined {
  if (!ref) return undefined;
  const value = provider?.(ref.secret) ?? process.env[envNameOf(ref.secret)] ?? fromFile(ref.secret);
  if (value === undefined) {
    throw new AppError(
      'INVALID_CONFIG',
      `${where}: secret "${ref.secret}" is not set (store it in Settings, or set ${envNameOf(ref.secret)}, or put it in the file named by TAXI_SECRETS_FILE)`,
      { secret: ref.secret, where },
    );
  }
  return value;
}
