/**
 * settings.* and logs.*: connection profiles (list, edit, test, switch without a restart), the desktop
 * app's local API switch, and the workspace logs with a live tail.
 */
import { z } from 'zod';
import { empty, method } from './common.js';
import { ProfileSchema } from '../../platform/profile-schema.js';

export const PROFILE_NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/;
export const SECRET_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

const ProfileName = z.string().regex(PROFILE_NAME, 'profile names are 1-40 lowercase letters, digits, "-" or "_"');
const SecretName = z.string().regex(SECRET_NAME_RE, 'secret names are letters, digits, ".", "_" or "-" (at most 100)');

export const SecretStatusSchema = z.object({
  name: z.string(),
  /** Key path in config.yaml that names the secret, e.g. profiles.cluster.online_store.password. */
  used_by: z.string(),
  status: z.enum(['set', 'not_set']),
  source: z.enum(['keychain', 'env', 'file']).nullable(),
});
export type SecretStatus = z.infer<typeof SecretStatusSchema>;

export const ProfileViewSchema = z.object({
  name: z.string(),
  active: z.boolean(),
  kind: z.enum(['embedded', 'cluster']),
  description: z.string().nullable(),
  profile: ProfileSchema,
  secrets: z.array(SecretStatusSchema),
});
export type ProfileView = z.infer<typeof ProfileViewSchema>;

export const SecretStoreInfoSchema = z.object({
  kind: z.enum(['keychain', 'file']).nullable(),
  writable: z.boolean(),
  /** Where secrets go when saved here, or how to provide them when they cannot be saved here. */
  hint: z.string(),
});

export const ServiceTestSchema = z.object({
  service: z.enum(['online_store', 'bus', 'registry']),
  kind: z.enum(['sqlite', 'redis', 'local', 'kafka', 'mlflow']),
  target: z.string(),
  status: z.enum(['ok', 'down']),
  latency_ms: z.number().nullable(),
  message: z.string(),
  code: z.string().nullable(),
});
export type ServiceTest = z.infer<typeof ServiceTestSchema>;

export const LogLevelSchema = z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);
export type LogLevel = z.infer<typeof LogLevelSchema>;

export const LogEntrySchema = z.object({
  file: z.string(),
  time: z.string().nullable(),
  level: LogLevelSchema.nullable(),
  subsystem: z.string().nullable(),
  msg: z.string(),
  /** The entry's other fields (already redacted when written). */
  fields: z.record(z.string(), z.unknown()),
});
export type LogEntry = z.infer<typeof LogEntrySchema>;

export const LogFileSchema = z.object({
  name: z.string(),
  /** app, api, features, streams…; "report" for the self-test report. */
  subsystem: z.string(),
  size: z.number().int(),
  modified: z.string(),
  rotated: z.boolean(),
});

export const LocalApiSchema = z.object({
  /** False where the API is already served (taxi-mlops serve) or in the CLI. */
  available: z.boolean(),
  enabled: z.boolean(),
  running: z.boolean(),
  host: z.string(),
  port: z.number().int(),
  url: z.string().nullable(),
  token_set: z.boolean(),
  message: z.string(),
});

export const settingsMethods = {
  'settings.profiles': method({
    description: 'Connection profiles with the status of their secrets (never their values).',
    input: empty,
    output: z.object({ active: z.string(), profiles: z.array(ProfileViewSchema), secret_store: SecretStoreInfoSchema }),
  }),
  'settings.profile.save': method({
    description: 'Create or replace a profile in config.yaml; secret values go to the keychain (or TAXI_SECRETS_FILE), never into the config.',
    input: z
      .object({
        name: ProfileName,
        profile: ProfileSchema,
        /** Values for the secrets the profile names; null removes a stored value. */
        secrets: z.record(SecretName, z.string().min(1).max(65_536).nullable()).default({}),
      })
      .strict(),
    output: ProfileViewSchema,
  }),
  'settings.profile.delete': method({
    description: 'Remove a profile from config.yaml (not the active one).',
    input: z.object({ name: ProfileName }).strict(),
    output: z.object({ deleted: z.string() }),
  }),
  'settings.profile.test': method({
    description: 'Connect to each service of a profile (saved, or a draft) and report latency or a clear reason.',
    input: z
      .object({
        name: ProfileName.optional(),
        /** An unsaved draft to test instead of the saved profile; its secrets must already be stored. */
        profile: ProfileSchema.optional(),
        timeout_ms: z.number().int().min(200).max(30_000).default(5000),
      })
      .strict()
      .refine((i) => i.name !== undefined || i.profile !== undefined, { message: 'give a profile name or a draft profile' }),
    output: z.object({ profile: z.string().nullable(), ok: z.boolean(), services: z.array(ServiceTestSchema) }),
  }),
  'settings.profile.activate': method({
    description: 'Make a profile active: engines are closed and reopen on the new profile, without a restart.',
    input: z.object({ name: ProfileName }).strict(),
    output: z.object({
      active: z.string(),
      previous: z.string(),
      kind: z.enum(['embedded', 'cluster']),
      closed_resources: z.array(z.string()),
      running_jobs: z.number().int().describe('jobs still running; they finish on the profile they started with'),
      took_ms: z.number(),
    }),
  }),
  'settings.local_api': method({
    description: 'The desktop app\'s HTTP API (MLflow and Feast endpoints for notebooks): read, or switch on/off. Off by default; a token is required off loopback.',
    input: z
      .object({
        enabled: z.boolean().optional(),
        host: z.string().min(1).max(255).optional(),
        port: z.number().int().min(0).max(65_535).optional(),
        /** Stored in the keychain; null removes it. */
        token: z.string().min(16, 'a token has at least 16 characters').max(512).nullable().optional(),
      })
      .strict()
      .default({}),
    output: LocalApiSchema,
  }),
  'logs.files': method({
    description: 'The log files under the workspace logs/ folder (live and rotated) and the self-test report.',
    input: empty,
    output: z.object({ dir: z.string(), files: z.array(LogFileSchema) }),
  }),
  'logs.tail': method({
    description: 'The last entries of a log file, filtered by minimum level and text; with follow, new entries arrive as logs.line events.',
    input: z
      .object({
        file: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'a file name from logs.files'),
        limit: z.number().int().min(1).max(5000).default(500),
        level: LogLevelSchema.optional(),
        text: z.string().max(200).optional(),
        follow: z.boolean().default(true),
      })
      .strict(),
    output: z.object({
      file: z.string(),
      entries: z.array(LogEntrySchema),
      /** Entries scanned (before the filters) and whether older ones were not read. */
      scanned: z.number().int(),
      truncated: z.boolean(),
      following: z.boolean(),
    }),
  }),
} as const;

export const settingsEvents = {
  'settings.changed': z.object({
    reason: z.enum(['activated', 'saved', 'deleted', 'local_api']),
    active_profile: z.string(),
    kind: z.enum(['embedded', 'cluster']),
    profile: z.string().nullable().describe('the profile saved or deleted'),
  }),
  'logs.line': z.object({ file: z.string(), entries: z.array(LogEntrySchema) }),
} as const;
