/**
 * `db-sync cutover PAIR`: the guided end of a migration. In order:
 *   1. writes stop on the source (--freeze-source sets read_only=ON; without it the binlog
 *      position must stay still for the quiet period), which fixes the source's final position;
 *   2. the pair applies everything up to that position (its checkpoint on the target);
 *   3. verify: every synced table by checksums, and the schema, must be equal;
 *   4. the pair is disabled in the config (a running service stops it), so its schema step
 *      cannot re-create the events as disabled afterwards;
 *   5. the events created disabled on the target are enabled.
 * Every change is confirmed through io.confirm first. Any failure before step 4 changes nothing:
 * a read_only set by step 1 is turned off again.
 */
import { closeQuietly, openConnection, type Db } from '../db/connection.js';
import { SyncError } from '../errors.js';
import type { Logger } from '../log.js';
import { compareSourceAndTarget, type EqualityInput } from './equality.js';
import {
  comparePoints, formatPoint, isReadOnly, readOnlyGrant, setReadOnly, sourceFlavor, sourceGtid, sourcePoint,
  watchForWrites, type BinlogPoint,
} from './source.js';
import { appliedPoint, disabledEvents, enableEvents, eventSchedulerOn, noCheckpoint, type AppliedPoint } from './target.js';
import type { Flavor } from '../db/flavor.js';

export interface CutoverOptions {
  freezeSource: boolean;
  dryRun: boolean;
  /** How long the pair may take to apply up to the final position. */
  timeoutMs: number;
  /** How long the source's binlog position must stay still. */
  quietMs: number;
}

/** The pair as a running service publishes it (status.json), or null when no service runs it. */
export interface PairRuntime {
  state: string;
  lastError: { code: string; message: string } | null;
}

export interface CutoverIO {
  say(line: string): void;
  /** Asked before each change; false stops the cut-over. */
  confirm(question: string): Promise<boolean>;
  pairStatus(): PairRuntime | null;
  /** Disable the pair in the config file (what `db-sync sync disable` does). */
  disablePair(): void;
  logger: Logger;
  signal: AbortSignal;
}

export interface CutoverResult {
  dryRun: boolean;
  final: BinlogPoint | null;
  gtid: string | null;
  eventsEnabled: string[];
}

interface Facts {
  readOnly: boolean;
  point: BinlogPoint;
  applied: AppliedPoint;
  events: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runCutover(input: EqualityInput, o: CutoverOptions, io: CutoverIO): Promise<CutoverResult> {
  refuseUnsupported(input);
  refuseFailing(input.pair.name, io.pairStatus());
  let src: Db | undefined;
  let tgt: Db | undefined;
  try {
    src = await openConnection(input.source);
    tgt = await openConnection(input.target);
    const c = new Cutover(input, o, io, src, tgt, await sourceFlavor(src));
    return await c.run();
  } finally {
    await closeQuietly(src);
    await closeQuietly(tgt);
  }
}

function refuseUnsupported(input: EqualityInput): void {
  if (!input.pair.data || input.pair.mode === 'poll') {
    throw new SyncError('CUTOVER_UNSUPPORTED', `pair "${input.pair.name}" ${input.pair.data ? 'is in polling mode' : 'does not sync data'}`, {
      hint: 'cutover waits for the pair\'s binlog checkpoint; for this pair stop the writes, run `db-sync verify PAIR`, '
        + 'then `db-sync sync disable PAIR` and enable the target\'s events by hand (README, "Events").',
    });
  }
}

function refuseFailing(pair: string, rt: PairRuntime | null): void {
  if (rt?.state !== 'error') return;
  const why = rt.lastError ? `${rt.lastError.code}: ${rt.lastError.message}` : 'no error recorded';
  throw new SyncError('CUTOVER_PAIR_ERROR', `pair "${pair}" is in error (${why})`, {
    hint: `Fix the cause first (\`db-sync status\`, \`db-sync logs --pair ${pair} --level warn\`); cutover changes nothing while the pair fails.`,
  });
}

class Cutover {
  private froze = false;

  constructor(
    private readonly input: EqualityInput, private readonly o: CutoverOptions, private readonly io: CutoverIO,
    private readonly src: Db, private readonly tgt: Db, private readonly flavor: Flavor,
  ) {}

  async run(): Promise<CutoverResult> {
    const facts = await this.facts();
    this.describe(facts);
    if (this.o.dryRun) {
      this.io.say('dry run: nothing was changed.');
      return { dryRun: true, final: null, gtid: null, eventsEnabled: [] };
    }
    let committed = false;
    try {
      const final = await this.stopWrites(facts);
      await this.waitApplied(final);
      await this.verify(final);
      await this.disablePair();
      committed = true;
      const eventsEnabled = await this.enableEvents(facts.events);
      return this.finish(final, eventsEnabled);
    } catch (err) {
      if (this.froze && !committed) await this.unfreeze();
      throw err;
    }
  }

  private async facts(): Promise<Facts> {
    const applied = await appliedPoint(this.tgt, this.input.pair.name);
    if (!applied) throw noCheckpoint(this.input.pair.name);
    return {
      readOnly: await isReadOnly(this.src), point: await sourcePoint(this.src, this.flavor, this.input.source), applied,
      events: await disabledEvents(this.tgt, this.input.target.database),
    };
  }

  private describe(f: Facts): void {
    const { pair, source, target } = this.input;
    const secs = (ms: number) => `${ms / 1000} s`;
    const steps = [
      this.o.freezeSource && !f.readOnly
        ? `set the source read-only (SET GLOBAL read_only = ON; needs ${readOnlyGrant(this.flavor)}), then check that its binlog position stays still for ${secs(this.o.quietMs)}`
        : `check that the source takes no writes: its binlog position must stay still for ${secs(this.o.quietMs)}`,
      `wait until the pair has applied everything up to the source's final binlog position (at most ${secs(this.o.timeoutMs)})`,
      'verify: compare every synced table by checksums, and the schema and programmable objects',
      'disable the pair in config.json (a running service stops it within a second)',
      f.events.length ? `enable ${f.events.length} event(s) on the target: ${f.events.map((e) => `ALTER EVENT ${e} ENABLE`).join('; ')}` : 'enable events on the target (none are disabled)',
    ];
    this.io.say(`cutover of pair "${pair.name}" (${pair.source} -> ${pair.target})`);
    this.io.say(`  source: ${source.host}:${source.port}/${source.database}, binlog at ${formatPoint(f.point)}, read_only=${f.readOnly ? 'ON' : 'OFF'}`);
    this.io.say(`  target: ${target.host}:${target.port}/${target.database}, pair applied up to ${formatPoint(f.applied)}`);
    steps.forEach((s, i) => this.io.say(`step ${i + 1}/${steps.length}: ${s}`));
  }

  private async ask(question: string, before: string): Promise<void> {
    if (await this.io.confirm(question)) return;
    throw new SyncError('CUTOVER_ABORTED', `cutover stopped before ${before}`, {
      hint: 'Nothing after that step was done; run `db-sync cutover` again when ready.',
    });
  }

  /** Step 1: returns the source's final binlog position. */
  private async stopWrites(f: Facts): Promise<BinlogPoint> {
    if (this.o.freezeSource && !f.readOnly) {
      await this.ask('Set the source read-only now (SET GLOBAL read_only = ON)?', 'setting the source read-only');
      await setReadOnly(this.src, true, this.flavor, this.input.source);
      this.froze = true;
      this.io.say('step 1: source is read-only (read_only=ON)');
    }
    this.io.say(`step 1: watching the source's binlog position for ${this.o.quietMs / 1000} s ...`);
    const check = await watchForWrites(() => sourcePoint(this.src, this.flavor, this.input.source), this.o.quietMs, this.io.signal);
    if (check.moved) throw this.writesError(check.from, check.to, f.readOnly || this.froze);
    this.io.say(`step 1: no writes; the source's final binlog position is ${formatPoint(check.to)}`);
    return check.to;
  }

  private writesError(from: BinlogPoint, to: BinlogPoint, readOnly: boolean): SyncError {
    const moved = `the source's binlog position moved from ${formatPoint(from)} to ${formatPoint(to)}`;
    if (!readOnly) {
      return new SyncError('CUTOVER_SOURCE_WRITES', `the source still takes writes: ${moved}`, {
        hint: 'Stop the application\'s writes to the source, or pass --freeze-source to set it read-only (SET GLOBAL read_only = ON).',
      });
    }
    return new SyncError('CUTOVER_SOURCE_WRITES', `the source still takes writes although read_only=ON: ${moved}`, {
      hint: 'Accounts with READ_ONLY ADMIN or SUPER, replication threads and events defined by such accounts ignore read_only: '
        + 'find them (SHOW PROCESSLIST, information_schema.EVENTS), stop them (e.g. SET GLOBAL event_scheduler = OFF), then run cutover again.',
    });
  }

  /** Step 2: the pair's checkpoint reaches the final position. */
  private async waitApplied(final: BinlogPoint): Promise<void> {
    const deadline = Date.now() + this.o.timeoutMs;
    for (;;) {
      const applied = await appliedPoint(this.tgt, this.input.pair.name);
      if (applied && comparePoints(applied, final) >= 0) {
        this.io.say(`step 2: the pair has applied up to ${formatPoint(applied)}`);
        return;
      }
      refuseFailing(this.input.pair.name, this.io.pairStatus());
      if (Date.now() >= deadline || this.io.signal.aborted) throw this.lagError(applied, final);
      await sleep(250);
    }
  }

  private lagError(applied: BinlogPoint | null, final: BinlogPoint): SyncError {
    const rt = this.io.pairStatus();
    const state = rt ? `the service shows it ${rt.state}${rt.lastError ? ` (${rt.lastError.code}: ${rt.lastError.message})` : ''}` : 'no running service publishes it';
    return new SyncError('CUTOVER_LAG_TIMEOUT', `pair "${this.input.pair.name}" did not catch up within ${this.o.timeoutMs / 1000} s: `
      + `applied up to ${formatPoint(applied)}, the source is at ${formatPoint(final)}; ${state}`, {
      hint: rt ? 'Check `db-sync status` and `db-sync logs --pair PAIR`; give it longer with --timeout SECONDS.'
        : 'Start the service (`db-sync service start --daemon`) so the pair can catch up, then run cutover again.',
    });
  }

  /** Step 3, and the source must still be where it was. */
  private async verify(final: BinlogPoint): Promise<void> {
    this.io.say('step 3: verifying (checksums of every synced table, then the schema) ...');
    const eq = await compareSourceAndTarget(this.input, this.io.logger, this.io.signal);
    for (const l of eq.lines) this.io.say(`  ${l}`);
    if (!eq.equal) {
      throw new SyncError('CUTOVER_NOT_EQUAL', `the target differs from the source (${eq.lines.filter((l) => !/: OK /.test(l)).slice(0, 3).join('; ')})`, {
        hint: `See \`db-sync verify ${this.input.pair.name}\` for the details; repair with \`db-sync verify ${this.input.pair.name} --repair\` `
          + '(or `db-sync sync run PAIR --resnapshot`), then run cutover again.',
      });
    }
    const now = await sourcePoint(this.src, this.flavor, this.input.source);
    if (comparePoints(now, final) !== 0) throw this.writesError(final, now, this.froze);
  }

  /** Step 4. */
  private async disablePair(): Promise<void> {
    const name = this.input.pair.name;
    await this.ask(`Disable pair "${name}" in config.json now?`, 'disabling the pair');
    this.io.disablePair();
    this.io.say(`step 4: pair "${name}" disabled in config.json`);
    const deadline = Date.now() + 30_000;
    for (let rt = this.io.pairStatus(); rt && rt.state !== 'disabled' && rt.state !== 'stopped'; rt = this.io.pairStatus()) {
      if (Date.now() > deadline) {
        throw new SyncError('CUTOVER_PAIR_STILL_RUNNING', `pair "${name}" is disabled in config.json but the service still runs it after 30 s (state ${rt.state})`, {
          hint: 'Check `db-sync status`; once it shows the pair disabled, enable the events: ALTER EVENT name ENABLE (README, "Events").',
        });
      }
      await sleep(200);
    }
    this.io.say('step 4: the pair is stopped');
  }

  /** Step 5. */
  private async enableEvents(events: string[]): Promise<string[]> {
    if (events.length === 0) {
      this.io.say('step 5: no events to enable on the target');
      return [];
    }
    await this.ask(`Enable ${events.length} event(s) on the target now (${events.join(', ')})?`, 'enabling the events');
    await enableEvents(this.tgt, this.input.target.database, events);
    this.io.say(`step 5: enabled on the target: ${events.join(', ')}`);
    if (!(await eventSchedulerOn(this.tgt))) {
      this.io.say('warning: event_scheduler is OFF on the target; the events run once you SET GLOBAL event_scheduler = ON there');
    }
    return events;
  }

  private async finish(final: BinlogPoint, eventsEnabled: string[]): Promise<CutoverResult> {
    const gtid = await sourceGtid(this.src, this.flavor);
    const ro = await isReadOnly(this.src);
    this.io.say(`done. final source binlog position: ${formatPoint(final)}; GTID: ${gtid ?? '(none)'}`);
    this.io.say(ro ? 'the source stays read-only (read_only=ON); point the application at the target now.'
      : 'the source is writable: make sure nothing writes to it any more, and point the application at the target.');
    return { dryRun: false, final, gtid, eventsEnabled };
  }

  private async unfreeze(): Promise<void> {
    try {
      await setReadOnly(this.src, false, this.flavor, this.input.source);
      this.io.say('the source is writable again (read_only=OFF): the cutover changed nothing');
    } catch (err) {
      this.io.say(`warning: could not turn read_only off again on the source: ${(err as Error).message}`);
    }
  }
}
