/**
 * Run artifacts as files under <workspace>/artifacts, laid out as MLflow's proxied artifact store lays
 * them out (<experiment_id>/<run_id>/artifacts/<path>), so that `mlflow-artifacts:/…` URIs map straight
 * onto folders. Files are written to a temp file and renamed into place: a failed or cut-off upload
 * leaves nothing behind and a reader never sees half a file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../../../platform/errors.js';
import { joinArtifactPath, safeArtifactPath } from '../paths.js';
import type { ArtifactBody, FileInfo } from '../types.js';

const PROXY_SCHEME = 'mlflow-artifacts:';

/**
 * Largest artifact accepted (TAXI_MAX_ARTIFACT_BYTES, default 2 GiB). Uploads stream to disk, so no
 * request body limit applies to them; without a cap one client could fill the workspace's disk.
 */
export function maxArtifactBytes(): number {
  const v = Number(process.env.TAXI_MAX_ARTIFACT_BYTES);
  return Number.isSafeInteger(v) && v > 0 ? v : 2 * 1024 ** 3;
}

const sizeText = (n: number): string => (n >= 1024 ** 2 ? `${(n / 1024 ** 2).toFixed(n % 1024 ** 2 ? 1 : 0)} MiB` : `${n} bytes`);

export function artifactTooLarge(rel: string, max: number, size?: number): AppError {
  const got = size === undefined ? 'more than that' : sizeText(size);
  return new AppError('INVALID_PARAMETER_VALUE', `artifact '${rel}' is larger than the ${sizeText(max)} limit (${got}); raise TAXI_MAX_ARTIFACT_BYTES to accept it`, {
    path: rel,
    max_bytes: max,
    ...(size === undefined ? {} : { bytes: size }),
  });
}

/** Passes bytes through and fails the stream once more than `max` have gone by. */
function byteLimit(max: number, rel: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > max) done(artifactTooLarge(rel, max));
      else done(null, chunk);
    },
  });
}

export class ArtifactFiles {
  constructor(
    private readonly root: string,
    private readonly tmpDir: string,
    private readonly maxBytes = maxArtifactBytes(),
  ) {}

  /** The folder an artifact URI names; only URIs inside this workspace's artifact store are accepted. */
  folderOf(artifactUri: string): string {
    if (!artifactUri.startsWith(PROXY_SCHEME)) {
      throw new AppError(
        'INVALID_PARAMETER_VALUE',
        `artifact location '${artifactUri}' is outside this registry: the embedded registry keeps artifacts under the workspace (mlflow-artifacts:/…)`,
        { artifact_uri: artifactUri },
      );
    }
    const rel = safeArtifactPath(artifactUri.slice(PROXY_SCHEME.length).replace(/^\/+/, ''), 'artifact_uri');
    return path.join(this.root, ...rel.split('/').filter(Boolean));
  }

  private fileOf(folder: string, rel: string): string {
    return rel === '' ? folder : path.join(folder, ...rel.split('/'));
  }

  async write(folder: string, relPath: string, body: ArtifactBody): Promise<number> {
    const rel = safeArtifactPath(relPath);
    if (rel === '') throw new AppError('INVALID_PARAMETER_VALUE', 'artifact path must name a file, got the artifact root', { path: relPath });
    const target = this.fileOf(folder, rel);
    if (fs.existsSync(target) && fs.statSync(target).isDirectory()) {
      throw new AppError('INVALID_PARAMETER_VALUE', `artifact path '${rel}' is a folder; upload files inside it instead`, { path: rel });
    }
    fs.mkdirSync(this.tmpDir, { recursive: true });
    const tmp = path.join(this.tmpDir, `artifact-${process.pid}-${randomBytes(6).toString('hex')}.part`);
    try {
      if (!(body instanceof Readable) && body.length > this.maxBytes) throw artifactTooLarge(rel, this.maxBytes, body.length);
      const source = body instanceof Readable ? body : Readable.from([Buffer.from(body)]);
      await pipeline(source, byteLimit(this.maxBytes, rel), fs.createWriteStream(tmp, { flags: 'wx' }));
      try {
        fs.mkdirSync(path.dirname(target), { recursive: true });
      } catch (e) {
        throw new AppError('INVALID_PARAMETER_VALUE', `artifact path '${rel}' runs through a file, not a folder`, { path: rel }, { cause: e });
      }
      const size = fs.statSync(tmp).size;
      fs.renameSync(tmp, target);
      return size;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }

  /** Direct children of a folder (sorted by name); a file or a missing path lists nothing, as in MLflow. */
  list(folder: string, relPath: string | undefined): FileInfo[] {
    const rel = safeArtifactPath(relPath);
    const dir = this.fileOf(folder, rel);
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return [];
    }
    return entries
      .filter((e) => e.isFile() || e.isDirectory())
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((e) => ({
        path: joinArtifactPath(rel, e.name),
        is_dir: e.isDirectory(),
        file_size: e.isDirectory() ? null : fs.statSync(path.join(dir, e.name)).size,
      }));
  }

  exists(folder: string, relPath: string): boolean {
    return fs.existsSync(this.fileOf(folder, safeArtifactPath(relPath)));
  }

  read(folder: string, relPath: string, runId: string): Buffer {
    const rel = safeArtifactPath(relPath);
    const file = this.fileOf(folder, rel);
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch {
      throw new AppError('RESOURCE_DOES_NOT_EXIST', `artifact '${rel}' not found in run ${runId}`, { run_id: runId, path: rel });
    }
    if (st.isDirectory()) throw new AppError('INVALID_PARAMETER_VALUE', `artifact '${rel}' of run ${runId} is a folder; list it instead`, { run_id: runId, path: rel });
    // A link placed in a run folder must not serve a file from elsewhere on the machine.
    const real = fs.realpathSync(file);
    const root = fs.realpathSync(this.root);
    if (!real.startsWith(root + path.sep)) {
      throw new AppError('INVALID_PARAMETER_VALUE', `artifact '${rel}' of run ${runId} points outside the artifact store`, { run_id: runId, path: rel });
    }
    return fs.readFileSync(real);
  }
}
