// a namespace import: the bundler keeps only the parts used (`import { z }` kept all of zod, 60 locales included)
import * as z from 'zod';

/**
 * The config file's schema is the type. Unknown fields are preserved on round trip
 * (looseObject) so an older db-sync never deletes settings written by a newer one.
 */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export const SSL_MODES = ['disabled', 'required', 'verify-ca', 'verify-identity'] as const;
export const SYNC_MODES = ['auto', 'binlog', 'poll'] as const;

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const nameSchema = z
  .string()
  .regex(NAME_RE, {
    error: 'expected a name of letters, digits, "_", "." or "-" (max 64, starting with a letter or digit)',
  });

const intIn = (min: number, max: number, what = 'an integer') =>
  z.int({ error: (iss) => `expected ${what} ${min}..${max}, got ${JSON.stringify(iss.input)}` })
    .min(min, { error: (iss) => `expected ${what} ${min}..${max}, got ${JSON.stringify(iss.input)}` })
    .max(max, { error: (iss) => `expected ${what} ${min}..${max}, got ${JSON.stringify(iss.input)}` });

export const sslSchema = z.looseObject({
  mode: z.enum(SSL_MODES).default('required'),
  ca: z.string().optional(),
});

export const connectionSchema = z
  .looseObject({
    name: nameSchema,
    host: z.string().min(1, { error: 'expected a host name or IP address' }),
    port: intIn(1, 65535).default(3306),
    user: z.string().min(1, { error: 'expected a user name' }),
    /** Stored only when given with --password; prefer passwordEnv. */
    password: z.string().optional(),
    /** Name of an environment variable that holds the password at use time. */
    passwordEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected an environment variable name' })
      .optional(),
    database: z.string().min(1, { error: 'expected a database name' }),
    ssl: sslSchema.optional(),
  })
  .refine((c) => !(c.password !== undefined && c.passwordEnv !== undefined), {
    error: 'give either password or passwordEnv, not both',
  });

export const syncPairSchema = z.looseObject({
  name: nameSchema,
  source: nameSchema,
  target: nameSchema,
  enabled: z.boolean().default(true),
  schema: z.boolean().default(true),
  data: z.boolean().default(true),
  routines: z.boolean().default(true),
  include: z.array(z.string().min(1)).default([]),
  exclude: z.array(z.string().min(1)).default([]),
  mode: z.enum(SYNC_MODES).default('auto'),
  allowDestructive: z.boolean().default(false),
  /** Polling mode: table name -> change-timestamp column, overriding auto-detection. */
  timestampColumns: z.record(z.string(), z.string()).default({}),
  /** Polling mode: how often the checksum reconciliation runs (ms). */
  reconcileInterval: intIn(1000, 86_400_000).default(60_000),
  /** Polling mode: re-read window (ms) for rows committed late with an older timestamp. */
  pollOverlap: intIn(0, 3_600_000).default(5000),
  /** Polling mode: rows per page when reading changes. */
  pollPageSize: intIn(1, 1_000_000).default(1000),
  /** Connections to replicas of the source whose lag throttles snapshot, verify and reconciliation reads. */
  throttleReplicas: z.array(nameSchema).default([]),
});

export const settingsSchema = z.looseObject({
  pollInterval: intIn(100, 86_400_000).default(5000),
  schemaCheckInterval: intIn(1000, 86_400_000).default(300_000),
  logLevel: z.enum(LOG_LEVELS).default('info'),
  maxRetries: intIn(0, 1000).default(3),
  retryDelay: intIn(0, 3_600_000).default(5000),
  /**
   * Target connections that load a snapshot in parallel; absent: the target's cores, at
   * least 2 and at most 4 (docs/data.md).
   */
  snapshotParallel: intIn(1, 32).optional(),
  /** Prometheus /metrics and /healthz on 127.0.0.1:<port>; off when absent. */
  metricsPort: intIn(1, 65535).optional(),
  /** Snapshot, verify and reconciliation reads wait while the source's Threads_running is above this (0: never). */
  throttleThreadsRunning: intIn(0, 1_000_000).default(50),
  /** ... or while a pair's throttleReplicas lag more than this many seconds behind the source. */
  throttleReplicaLag: intIn(1, 86_400).default(10),
  /** Warn when the source's InnoDB history list length passes this while a snapshot holds its read view (0: never). */
  historyListWarn: intIn(0, 1_000_000_000).default(1_000_000),
  /**
   * The most pairs one service holds (runs) at a time; the others wait as standbys. Several
   * services with the same config then share the pairs. No limit when absent.
   */
  maxPairs: intIn(1, 100_000).optional(),
  /**
   * Pairs of one source server in one service share one binlog reader (docs/data.md,
   * "One reader per source"); false: every pair reads the binlog on its own.
   */
  sharedReader: z.boolean().default(true),
});

export const configSchema = z.looseObject({
  version: z.literal(1).default(1),
  settings: settingsSchema.default(() => settingsSchema.parse({})),
  connections: z.array(connectionSchema).default([]),
  syncPairs: z.array(syncPairSchema).default([]),
});

export type Config = z.infer<typeof configSchema>;
export type ConnectionConfig = z.infer<typeof connectionSchema>;
export type SyncPairConfig = z.infer<typeof syncPairSchema>;
export type Settings = z.infer<typeof settingsSchema>;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type SyncMode = (typeof SYNC_MODES)[number];

export function defaultConfig(): Config {
  return configSchema.parse({});
}
