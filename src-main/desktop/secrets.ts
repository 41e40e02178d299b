/**
 * The desktop keyring: secret values encrypted with Electron's safeStorage (the OS keychain's key:
 * Keychain on macOS, DPAPI on Windows, libsecret/kwallet on Linux) and kept as base64 blobs in one JSON
 * file under the app's user-data folder. Plain text never reaches the disk: when the OS offers no real
 * encryption (Linux without a keyring falls back to a hard-coded key, "basic_text"), storing is refused
 * and the message says to use TAXI_SECRET_<NAME> instead.
 *
 * Values are decrypted once at start (`load`) and held in memory, because engines resolve secrets
 * synchronously; encryption uses the asynchronous safeStorage API where Electron has it (the synchronous
 * one is deprecated since Electron 45).
 */
import fs from 'node:fs';
import path from 'node:path';
import { safeStorage } from 'electron';
import { AppError } from '../platform/errors.js';
import { envNameOf, type SecretStore } from '../platform/secrets.js';

interface KeyringFile {
  version: 1;
  secrets: Record<string, string>;
}

export interface Keyring extends SecretStore {
  /** Decrypts what the file holds into memory; call once after the app is ready. */
  load(): Promise<void>;
}

function read(file: string): KeyringFile {
  try {
    const data = JSON.parse(fs.readFileSync(file, 'utf8')) as KeyringFile;
    return data && data.version === 1 && typeof data.secrets === 'object' ? data : { version: 1, secrets: {} };
  } catch {
    return { version: 1, secrets: {} };
  }
}

function write(file: string, data: KeyringFile): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

const hasAsync = (): boolean => typeof safeStorage.encryptStringAsync === 'function' && typeof safeStorage.decryptStringAsync === 'function';

async function encrypt(value: string): Promise<Buffer> {
  return hasAsync() ? safeStorage.encryptStringAsync(value) : safeStorage.encryptString(value);
}

async function decrypt(blob: Buffer): Promise<{ value: string; reEncrypt: boolean }> {
  if (!hasAsync()) return { value: safeStorage.decryptString(blob), reEncrypt: false };
  const r = await safeStorage.decryptStringAsync(blob);
  return { value: r.result, reEncrypt: r.shouldReEncrypt };
}

/** Why safeStorage cannot protect a value here, or null when it can. */
export async function encryptionProblem(): Promise<string | null> {
  const available = typeof safeStorage.isAsyncEncryptionAvailable === 'function' ? await safeStorage.isAsyncEncryptionAvailable() : safeStorage.isEncryptionAvailable();
  if (!available) return 'the operating system offers no encryption to this app (safeStorage unavailable)';
  if (process.platform === 'linux' && safeStorage.getSelectedStorageBackend() === 'basic_text') {
    return 'no keyring (gnome-keyring or kwallet) is running, so values could only be obfuscated';
  }
  return null;
}

export function createKeyring(file: string): Keyring {
  const values = new Map<string, string>();
  const unreadable = new Map<string, string>();
  return {
    kind: 'keychain',
    location: file,
    async load() {
      values.clear();
      unreadable.clear();
      const data = read(file);
      let changed = false;
      for (const [name, blob] of Object.entries(data.secrets)) {
        try {
          const { value, reEncrypt } = await decrypt(Buffer.from(blob, 'base64'));
          values.set(name, value);
          // The OS rotated its key: store the value under the new one.
          if (reEncrypt) {
            data.secrets[name] = (await encrypt(value)).toString('base64');
            changed = true;
          }
        } catch (e) {
          unreadable.set(name, (e as Error).message);
        }
      }
      if (changed) write(file, data);
    },
    get(name) {
      const why = unreadable.get(name);
      if (why !== undefined) {
        throw new AppError('INVALID_CONFIG', `secret "${name}" in ${file} cannot be decrypted (${why}); store it again in Settings`, { secret: name, file });
      }
      return values.get(name);
    },
    async set(name, value) {
      const problem = await encryptionProblem();
      if (problem) {
        throw new AppError('UNAVAILABLE', `cannot store secret "${name}": ${problem}; set ${envNameOf(name)} in the environment instead`, { secret: name });
      }
      const blob = (await encrypt(value)).toString('base64');
      const data = read(file);
      data.secrets[name] = blob;
      write(file, data);
      values.set(name, value);
      unreadable.delete(name);
    },
    delete(name) {
      values.delete(name);
      unreadable.delete(name);
      const data = read(file);
      if (!(name in data.secrets)) return;
      delete data.secrets[name];
      write(file, data);
    },
  };
}
