import type { Command } from 'commander';
import { SyncError } from '../../core/errors.js';
import { flushLogger } from '../../core/log.js';
import { planSchema } from '../../core/pair/schema-step.js';
import { pairContext, type PairContext } from '../../core/pair/sync-pair.js';
import { createStatusSink } from '../../core/status.js';
import { renderReport } from '../../core/verify/render-report.js';
import { verifyPair } from '../../core/verify/verify-pair.js';
import { waitForLag } from '../../core/verify/wait-for-lag.js';
import { action, CliExit, printError } from '../run.js';
import { commandLogger, openStore, shutdownSignal } from '../context.js';
import { guardSettings } from '../../core/guard/source-guard.js';

interface VerifyFlags {
  table?: string[];
  repair?: boolean;
  json?: boolean;
  sleepRatio: string;
  examples: string;
  chunkTime: string;
  recheck: boolean;
  hash: string;
  schema: boolean;
}

interface DriftResult {
  /** One line per schema/routine change the target needs; null when not checked. */
  drift: string[] | null;
  note?: string;
  failed?: boolean;
}

/** Schema and programmable-object drift: the schema engine's plan (what `db-sync plan` shows). */
async function schemaDrift(ctx: PairContext): Promise<DriftResult> {
  if (!ctx.pair.schema && !ctx.pair.routines) return { drift: null, note: 'pair syncs neither schema nor routines' };
  try {
    const plan = await planSchema(ctx);
    const pending = (st: { pending?: boolean }) => (st.pending ? ' (pending: destructive)' : '');
    return { drift: plan.steps.map((st) => `${st.objectType} ${st.name}: ${st.action}${pending(st)}`) };
  } catch (err) {
    return { drift: null, note: `schema comparison failed: ${(err as Error).message}`, failed: true };
  }
}

function renderDrift(d: DriftResult): string {
  if (d.drift === null) return `schema: not checked (${d.note ?? ''})`;
  if (d.drift.length === 0) return 'schema and programmable objects: OK';
  const head = `schema DRIFT: ${d.drift.length} change(s) needed on the target (see \`db-sync plan\`)`;
  return [head, ...d.drift.map((l) => `  - ${l}`)].join('\n');
}

function num(value: string, flag: string, min: number): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) {
    throw new SyncError('INVALID_INPUT', `${flag} expects a number >= ${min}, got "${value}"`, {
      hint: `e.g. ${flag} ${min === 0 ? '0.5' : '500'}`,
    });
  }
  return n;
}

function hashFlag(value: string): 'auto' | 'crc' | 'md5' {
  if (value === 'auto' || value === 'crc' || value === 'md5') return value;
  throw new SyncError('INVALID_INPUT', `--hash expects auto, crc or md5, got "${value}"`, { hint: 'e.g. --hash md5' });
}

export function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description('Compare source and target by chunked checksums (exit 0 equal, 1 differences, 2 error)')
    .argument('<pair>', 'sync pair name')
    .option('--table <name...>', 'only these tables')
    .option('--repair', 'make the target equal for the differing rows')
    .option('--json', 'machine-readable output')
    .option('--sleep-ratio <r>', 'throttle source reads: sleep r x each query\'s duration after it '
      + '(0.5 = source busy at most 2/3 of the time)', '0')
    .option('--examples <n>', 'example keys shown per kind of difference', '10')
    .option('--chunk-time <ms>', 'target duration of one chunk checksum', '500')
    .option('--hash <algo>',
      'chunk row hash: auto (crc where both servers have CRC32C, else md5), crc, md5 (64-bit, slower)', 'auto')
    .option('--no-schema', 'skip the schema and programmable-object comparison')
    .option('--no-recheck',
      'report differing chunks at once instead of re-checking them with backoff (only when nothing writes)')
    .action(action(async (name: string, flags: VerifyFlags) => {
      try {
        return await runVerify(name, flags);
      } catch (err) {
        // Exit 1 means "differences" here, so errors exit 2.
        if (err instanceof CliExit) throw err;
        printError(err);
        return 2;
      }
    }));
}

/** Waits for a loaded source are told on stderr (stdout stays the report). */
function printThrottle(state: { reason: string } | null, waitedMs: number): void {
  const resumed = `resumed after ${(waitedMs / 1000).toFixed(1)} s`;
  process.stderr.write(state ? `throttled (${state.reason}): source reads wait\n` : `${resumed}\n`);
}

async function runVerify(name: string, flags: VerifyFlags): Promise<number> {
  const store = openStore();
  const config = store.load();
  const logger = commandLogger(store, config.settings.logLevel, { stderr: false });
  const signal = shutdownSignal();
  const ctx = pairContext(config, name, { logger, signal, status: createStatusSink(name) });
  try {
    const report = await verifyPair(ctx, {
      tables: flags.table, repair: !!flags.repair, sleepRatio: num(flags.sleepRatio, '--sleep-ratio', 0),
      maxExamples: num(flags.examples, '--examples', 0), chunkTimeMs: num(flags.chunkTime, '--chunk-time', 1),
      ...(flags.recheck ? {} : { recheckDelays: [] }), hash: hashFlag(flags.hash), logger, signal,
      guard: { ...guardSettings(config, ctx.pair), onThrottle: printThrottle },
      // A running service's published lag must drop under 1 s (at most 30 s) before a re-check.
      beforeRecheck: () => waitForLag(store.paths.statusFile, name,
        { maxLagMs: 1000, timeoutMs: 30_000, pollMs: 250, signal }),
    });
    const drift: DriftResult = flags.schema ? await schemaDrift(ctx) : { drift: null, note: '--no-schema' };
    const equal = report.equal && (drift.drift?.length ?? 0) === 0;
    process.stdout.write(flags.json
      ? `${JSON.stringify({
        ...report, equal, schemaDrift: drift.drift, ...(drift.note ? { schemaNote: drift.note } : {}),
      }, null, 2)}\n`
      : `${renderDrift(drift)}\n${renderReport({ ...report, equal })}\n`);
    if (drift.failed || report.tables.some((t) => t.status === 'error')) throw new CliExit(2);
    return equal ? 0 : 1;
  } finally {
    await flushLogger(logger);
  }
}
