/**
 * The workspace on disk: config.yaml, the SQLite databases, the Parquet offline store, artifacts, logs.
 * `initWorkspace` creates one; `openWorkspace` resolves the paths of an existing one and loads its config.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppError } from './errors.js';
import { DEFAULT_CONFIG_YAML, activeProfile, loadConfig, type Config, type Profile } from './config.js';

export interface WorkspacePaths {
  root: string;
  config: string;
  appDb: string;
  registryDb: string;
  onlineDb: string;
  streamsDb: string;
  offlineDir: string;
  /** Accepted trips as Parquet, partitioned by month: trips/month=YYYY-MM/*.parquet */
  tripsDir: string;
  /** Rejected rows, one CSV per import with row number, column and reason. */
  rejectsDir: string;
  artifactsDir: string;
  logsDir: string;
  /** Scratch space for atomic writes (staged then renamed into place). */
  tmpDir: string;
}

export interface Workspace {
  paths: WorkspacePaths;
  config: Config;
  profile: Profile & { name: string };
}

export function workspacePaths(root: string, config?: Config): WorkspacePaths {
  const abs = path.resolve(root);
  const offline = path.resolve(abs, config?.offline_store.path ?? 'offline');
  const profile = config ? config.profiles[config.active_profile] : undefined;
  const file = (p: string | undefined, fallback: string): string => path.resolve(abs, p ?? fallback);
  return {
    root: abs,
    config: path.join(abs, 'config.yaml'),
    appDb: path.join(abs, 'app.db'),
    registryDb: file(profile?.registry.type === 'sqlite' ? profile.registry.path : undefined, 'registry.db'),
    onlineDb: file(profile?.online_store.type === 'sqlite' ? profile.online_store.path : undefined, 'online.db'),
    streamsDb: file(profile?.bus.type === 'local' ? profile.bus.path : undefined, 'streams.db'),
    offlineDir: offline,
    tripsDir: path.join(offline, 'trips'),
    rejectsDir: path.join(abs, 'rejects'),
    artifactsDir: path.join(abs, 'artifacts'),
    logsDir: path.join(abs, 'logs'),
    tmpDir: path.join(abs, 'tmp'),
  };
}

/** Default workspace: the CLI's --workspace, else TAXI_WORKSPACE, else ~/.taxi-mlops. */
export function defaultWorkspaceDir(): string {
  return process.env.TAXI_WORKSPACE ? path.resolve(process.env.TAXI_WORKSPACE) : path.join(os.homedir(), '.taxi-mlops');
}

function ensureDirs(p: WorkspacePaths): void {
  for (const d of [p.root, p.offlineDir, p.tripsDir, p.rejectsDir, p.artifactsDir, p.logsDir, p.tmpDir]) {
    fs.mkdirSync(d, { recursive: true });
  }
}

export interface InitResult {
  workspace: Workspace;
  created: boolean;
}

/** Creates the folders and a default config.yaml; an existing config is kept as it is. */
export function initWorkspace(root: string): InitResult {
  const abs = path.resolve(root);
  if (fs.existsSync(abs) && !fs.statSync(abs).isDirectory()) {
    throw new AppError('INVALID_INPUT', `workspace path ${abs} exists and is not a folder`, { path: abs });
  }
  const configFile = path.join(abs, 'config.yaml');
  const created = !fs.existsSync(configFile);
  fs.mkdirSync(abs, { recursive: true });
  if (created) {
    // Written to a temp file and renamed, so a crash never leaves a half config.
    const tmp = `${configFile}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, DEFAULT_CONFIG_YAML, { mode: 0o600 });
    fs.renameSync(tmp, configFile);
  }
  const workspace = openWorkspace(abs);
  return { workspace, created };
}

export function openWorkspace(root: string): Workspace {
  const abs = path.resolve(root);
  const configFile = path.join(abs, 'config.yaml');
  if (!fs.existsSync(configFile)) {
    throw new AppError('NOT_FOUND', `no workspace at ${abs} (config.yaml missing); run "taxi-mlops init --workspace ${abs}"`, {
      workspace: abs,
    });
  }
  const config = loadConfig(configFile);
  const paths = workspacePaths(abs, config);
  ensureDirs(paths);
  return { paths, config, profile: activeProfile(config) };
}
