/**
 * Connection profiles: which online store, bus and registry the app uses. Pure zod (no Node imports), so
 * the API contract can declare profile editing with the very schema config.yaml is checked against.
 */
import { z } from 'zod';

/** A reference to a secret kept outside the config file (OS keychain, environment, or a 0600 file). */
export const SecretRefSchema = z
  .object({ secret: z.string().min(1).describe('name of the secret in the keychain / TAXI_SECRET_<NAME> env var') })
  .strict();

export const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port');

export const TlsSchema = z
  .object({
    enabled: z.boolean().default(false),
    ca_file: z.string().optional(),
    cert_file: z.string().optional(),
    key: SecretRefSchema.optional(),
    reject_unauthorized: z.boolean().default(true),
  })
  .strict();

export const OnlineStoreSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('sqlite'), path: z.string().default('online.db') }).strict(),
  z
    .object({
      type: z.literal('redis'),
      connection_string: z.string().regex(/^rediss?:\/\//, 'expected redis://host:port or rediss://host:port'),
      mode: z.enum(['standalone', 'cluster', 'sentinel']).default('standalone'),
      sentinel_master: z.string().optional(),
      password: SecretRefSchema.optional(),
      tls: TlsSchema.optional(),
      key_ttl_seconds: z.number().int().positive().optional(),
    })
    .strict(),
]);

export const BusSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('local'), path: z.string().default('streams.db') }).strict(),
  z
    .object({
      type: z.literal('kafka'),
      brokers: z.array(hostPort).min(1),
      client_id: z.string().default('taxi-mlops'),
      sasl: z
        .object({
          mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
          username: z.string(),
          password: SecretRefSchema,
        })
        .strict()
        .optional(),
      tls: TlsSchema.optional(),
    })
    .strict(),
]);

export const RegistrySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('sqlite'), path: z.string().default('registry.db') }).strict(),
  z
    .object({
      type: z.literal('mlflow'),
      tracking_uri: z.string().url(),
      token: SecretRefSchema.optional(),
    })
    .strict(),
]);

export const ProfileSchema = z
  .object({
    kind: z.enum(['embedded', 'cluster']),
    description: z.string().optional(),
    online_store: OnlineStoreSchema,
    bus: BusSchema,
    registry: RegistrySchema,
  })
  .strict();
export type Profile = z.infer<typeof ProfileSchema>;
