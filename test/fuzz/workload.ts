/**
 * The seeded workload: the features' tables, then concurrent DML workers and one serial
 * worker (DDL, huge rows), each with its own PRNG derived from the seed. Statements that
 * fail on the source (deadlocks, duplicate keys, a table being renamed) are rolled back
 * and counted: only what the source committed reaches its binlog, and both replicas.
 */
import mysql from 'mysql2/promise';
import { FEATURES } from './features/index.js';
import type { Conn, Feature, FeatureName, Op } from './features/common.js';
import { Rng } from './prng.js';

export interface WorkloadStats {
  txns: number;
  ddl: number;
  errors: number;
  /** Failed statements by server error code (the top ones are printed). */
  errorCodes: Record<string, number>;
}

export const FUZZ_DB = 'fz';

export async function connectSource(port: number, db = FUZZ_DB): Promise<Conn> {
  const c = await mysql.createConnection({
    host: '127.0.0.1', port, user: 'root', database: db, charset: 'utf8mb4_general_ci', supportBigNumbers: true,
    bigNumberStrings: true, dateStrings: true, timezone: 'Z',
  });
  // Non-strict: zero dates, the ENUM '' error value and out-of-range edges are written as the server converts them.
  await c.query("SET SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION', SESSION time_zone = '+00:00',"
    + ' SESSION innodb_lock_wait_timeout = 5');
  return c;
}

export class Workload {
  readonly stats: WorkloadStats = { txns: 0, ddl: 0, errors: 0, errorCodes: {} };
  private stopping = false;
  private quiesced = false;
  private running: Array<Promise<void>> = [];
  private readonly features: Feature[];

  /** db: the source database it writes (FUZZ_DB unless the run has several pairs). */
  constructor(private readonly port: number, private readonly seed: number, names: FeatureName[],
    private readonly workers: number, private readonly db = FUZZ_DB) {
    this.features = names.map((n) => FEATURES[n]);
  }

  async setup(): Promise<void> {
    const c = await connectSource(this.port, this.db);
    try {
      for (const f of this.features) await f.setup(c, Rng.derive(this.seed, `setup-${f.name}`));
    } finally {
      await c.end();
    }
  }

  start(): void {
    const dml = this.features.flatMap((f) => f.ops);
    const serial = this.features.flatMap((f) => f.serialOps ?? []);
    for (let i = 0; i < this.workers; i++) this.running.push(this.worker(`dml-${i}`, dml, 10));
    if (serial.length) this.running.push(this.worker('serial', serial, 400));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.running);
    this.running = [];
    const quiesce = this.features.filter((f) => f.quiesce);
    if (!quiesce.length || this.quiesced) return;
    this.quiesced = true;
    const c = await connectSource(this.port, this.db);
    try {
      for (const f of quiesce) await f.quiesce!(c);
    } finally {
      await c.end();
    }
  }

  private async worker(name: string, ops: Array<[number, Op]>, maxPauseMs: number): Promise<void> {
    const r = Rng.derive(this.seed, name);
    const c = await connectSource(this.port, this.db);
    try {
      while (!this.stopping) {
        const op = r.weighted(ops);
        try {
          const res = await op(c, r);
          if (res) { this.stats.txns += res.txns; this.stats.ddl += res.ddl; }
        } catch (err) {
          await c.query('ROLLBACK').catch(() => undefined);
          this.stats.errors++;
          const code = String((err as { code?: string }).code ?? 'other');
          this.stats.errorCodes[code] = (this.stats.errorCodes[code] ?? 0) + 1;
        }
        await new Promise((res) => setTimeout(res, r.int(0, maxPauseMs)));
      }
    } finally {
      await c.end().catch(() => undefined);
    }
  }
}
