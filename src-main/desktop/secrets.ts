/**
 * The desktop keyring: secret values encrypted with Electron's safeStorage (the OS keychain's key:
 * Keychain on macOS, DPAPI on Windows, libsecret/kwallet on Linux) and kept as base64 blobs in one JSON
 * file under the app's user-data folder. Plain text never reaches the disk: when the OS offers no real
 * encryption (Linux without a keyring falls back to a hard-coded key, "basic_text"), storing is refused
 * and the message says to use TAXI_SECRET_<NAME> instead.
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

/** Why safeStorage cannot protect a value here, or null when it can. */
export function encryptionProblem(): string | null {
  if (!safeStorage.isEncryptionAvailable()) return 'the operating system offers no encryption to this app (safeStorage unavailable)';
  if (process.platform === 'linux' && safeStorage.getSelectedStorageBackend() === 'basic_text') {
    return 'no keyring (gnome-keyring or kwallet) is running, so values could only be obfuscated';
  }
  return null;
}

export function createKeyring(file: string): SecretStore {
  return {
    kind: 'keychain',
    location: file,
    get(name) {
      const blob = read(file).secrets[name];
      if (blob === undefined) return undefined;
      try {
        return safeStorage.decryptString(Buffer.from(blob, 'base64'));
      } catch (e) {
        throw new AppError('INVALID_CONFIG', `secret "${name}" in ${file} cannot be decrypted (${(e as Error).message}); store it again in Settings`, { secret: name, file });
      }
    },
    set(name, value) {
      const problem = encryptionProblem();
      if (problem) {
        throw new AppError('UNAVAILABLE', `cannot store secret "${name}": ${problem}; set ${envNameOf(name)} in the environment instead`, { secret: name });
      }
      const data = read(file);
      data.secrets[name] = safeStorage.encryptString(value).toString('base64');
      write(file, data);
    },
    delete(name) {
      const data = read(file);
      if (!(name in data.secrets)) return;
      delete data.secrets[name];
      write(file, data);
    },
  };
}
