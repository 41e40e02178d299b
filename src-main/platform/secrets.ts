/**
 * Secrets named in config.yaml ({ secret: NAME }) are never stored there. Resolution order:
 * the installed secret store (the desktop app's keychain, holding only encrypted blobs), then
 * TAXI_SECRET_<NAME> in the environment, then a JSON file named by TAXI_SECRETS_FILE that only its
 * owner may read (mode 0600).
 *
 * Writing a secret (Settings → profile editor) goes to the keychain in the desktop app; headless, to the
 * TAXI_SECRETS_FILE when one is named; otherwise it is refused, so a value never lands in a plain file
 * the user did not choose for it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from './errors.js';

export type SecretProvider = (name: string) => string | undefined;

/** A place secrets can be written to, not only read from. */
export interface SecretStore {
  readonly kind: 'keychain' | 'file';
  /** Where it keeps them, for messages (never the values). */
  readonly location: string;
  get(name: string): string | undefined;
  /** May be asynchronous (the keychain encrypts off the main thread); callers await it. */
  set(name: string, value: string): void | Promise<void>;
  delete(name: string): void;
}

export type SecretSource = 'keychain' | 'env' | 'file';

let provider: SecretProvider | null = null;
let store: SecretStore | null = null;

/** The desktop app installs its keychain-backed provider here. */
export function setSecretProvider(p: SecretProvider | null): void {
  provider = p;
}

/** Installs a writable store (the desktop keychain); it also becomes the first place secrets are read from. */
export function setSecretStore(s: SecretStore | null): void {
  store = s;
  provider = s ? (name) => s.get(name) : null;
}

export const envNameOf = (name: string): string => `TAXI_SECRET_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;

export const SECRET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

function checkedSecretsFile(file: string): void {
  const st = fs.statSync(file);
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
    throw new AppError('INVALID_CONFIG', `${file}: secrets file must not be readable by group or others (chmod 600 ${file})`, { file });
  }
}

function readSecretsFile(file: string): Record<string, unknown> {
  if (!fs.existsSync(file)) return {};
  checkedSecretsFile(file);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new AppError('INVALID_CONFIG', `${file}: secrets file is not a JSON object of name → value (${(e as Error).message})`, { file });
  }
}

function fromFile(name: string): string | undefined {
  const file = process.env.TAXI_SECRETS_FILE;
  if (!file) return undefined;
  const v = readSecretsFile(file)[name];
  return typeof v === 'string' ? v : undefined;
}

/** The headless writable store: the 0600 JSON file named by TAXI_SECRETS_FILE, rewritten atomically. */
export function fileSecretStore(file: string): SecretStore {
  const write = (data: Record<string, unknown>): void => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    // Created 0600 before any byte is written, then renamed over the old file.
    fs.writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
    fs.chmodSync(tmp, 0o600);
    fs.renameSync(tmp, file);
  };
  return {
    kind: 'file',
    location: file,
    get: (name) => {
      const v = readSecretsFile(file)[name];
      return typeof v === 'string' ? v : undefined;
    },
    set: (name, value) => write({ ...readSecretsFile(file), [name]: value }),
    delete: (name) => {
      const data = readSecretsFile(file);
      if (!(name in data)) return;
      delete data[name];
      write(data);
    },
  };
}

/** Where new secret values go: the installed store, else TAXI_SECRETS_FILE, else nowhere (null). */
export function writableSecretStore(): SecretStore | null {
  if (store) return store;
  const file = process.env.TAXI_SECRETS_FILE;
  return file ? fileSecretStore(file) : null;
}

/** Which source would answer for a secret, without reading its value out. */
export function secretSource(name: string): SecretSource | null {
  try {
    if (provider?.(name) !== undefined) return store?.kind === 'file' ? 'file' : 'keychain';
    if (process.env[envNameOf(name)] !== undefined) return 'env';
    if (fromFile(name) !== undefined) return 'file';
  } catch {
    // An unreadable store means "not set" here; resolveSecret reports the reason when the secret is used.
  }
  return null;
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
