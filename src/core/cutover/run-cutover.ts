/**
 * `db-sync cutover PAIR`: the guided end of a migration. In order:
 *   1. writes stop on the source (--freeze-source sets read_only=ON; without it the binlog
 *      position must stay still for the quiet period), which fixes the source's final position;
 *   2. the pair applies everything up to that position (its checkpoint on the target);
 *   3. verify: every synced table by checksums, and the schema, must be equal;
 *   4. the pair is disabled in the config (a running service stops it), so its schema step
 *      cannot re-create the events as disabled afterwards;
 *   5. the events created disabled on the target get the source's status (ENABLE or DISABLE).
 * Every change is confirmed through io.confirm first. Any failure before step 4 changes nothing:
 * a read_only set by step 1 is turned off again.
 */
import { openConnection, type Db } from '../db/connection.js';
import type { Flavor } from '../db/flavor.js';
import type { Logger } from '../log.js';
import { compareSourceAndTarget, type EqualityInput } from './equality.js';
import { planLines, type PlanFacts } from './plan.js';
import {
  abortedError, lagError, notEqualError, refuseFailing, refuseUnsupported, stillRunningError, writesError,
  type PairRuntime,
} from './refusals.js';
import {
  comparePoints, formatPoint, isReadOnly, setReadOnly, sourceFlavor, sourceGtid, sourcePoint, watchForWrites,
  type BinlogPoint,
} from './source.js';
import {
  appliedPoint, eventChanges, eventSchedulerOn, noCheckpoint, setEventStatus, type EventChanges,
} from './target.js';
import { sleep } from '../sleep.js';

export type { PairRuntime } from './refusals.js';

export interface CutoverOptions {
  freezeSource: boolean;
  dryRun: boolean;
  /** How long the pair may take to apply up to the final position. */
  timeoutMs: number;
  /** How long the source's binlog position must stay still. */
  quietMs: number;
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


export async function runCutover(input: EqualityInput, o: CutoverOptions, io: CutoverIO): Promise<CutoverResult> {
  refuseUnsupported(input);
  refuseFailing(input.pair.name, io.pairStatus());
  let src: Db | undefined;
  let tgt: Db | undefined;
  try {
    src = await openConnection(input.source);
    tgt = await openConnection(input.target);
    return await new Cutover(input, o, io, { src, tgt, flavor: await sourceFlavor(src) }).run();
  } finally {
    await src?.close();
    await tgt?.close();
  }
}

interface Servers {
  src: Db;
  tgt: Db;
  flavor: Flavor;
}

class Cutover {
  private froze = false;

  constructor(private readonly input: EqualityInput, private readonly opts: CutoverOptions,
    private readonly io: CutoverIO, private readonly s: Servers) {}

  async run(): Promise<CutoverResult> {
    const facts = await this.facts();
    for (const line of planLines(this.input, facts, this.opts, this.s.flavor)) this.io.say(line);
    if (this.opts.dryRun) {
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
      return await this.finish(final, await this.eventStatuses(facts.events));
    } catch (err) {
      if (this.froze && !committed) await this.unfreeze();
      throw err;
    }
  }

  private readonly position = () => sourcePoint(this.s.src, this.s.flavor, this.input.source);

  private async facts(): Promise<PlanFacts> {
    const applied = await appliedPoint(this.s.tgt, this.input.pair.name);
    if (!applied) throw noCheckpoint(this.input.pair.name);
    const events = await eventChanges(this.s.src, this.input.source.database, this.s.tgt, this.input.target.database);
    return { readOnly: await isReadOnly(this.s.src), point: await this.position(), applied, events };
  }

  private async ask(question: string, before: string): Promise<void> {
    if (!(await this.io.confirm(question))) throw abortedError(before);
  }

  /** Step 1: returns the source's final binlog position. */
  private async stopWrites(f: PlanFacts): Promise<BinlogPoint> {
    if (this.opts.freezeSource && !f.readOnly) {
      await this.ask('Set the source read-only now (SET GLOBAL read_only = ON)?', 'setting the source read-only');
      await setReadOnly(this.s.src, true, this.s.flavor, this.input.source);
      this.froze = true;
      this.io.say('step 1: source is read-only (read_only=ON)');
    }
    this.io.say(`step 1: watching the source's binlog position for ${this.opts.quietMs / 1000} s ...`);
    const check = await watchForWrites(this.position, this.opts.quietMs, this.io.signal);
    if (check.moved) throw writesError(check.from, check.to, f.readOnly || this.froze);
    this.io.say(`step 1: no writes; the source's final binlog position is ${formatPoint(check.to)}`);
    return check.to;
  }

  /** Step 2: the pair's checkpoint reaches the final position. */
  private async waitApplied(final: BinlogPoint): Promise<void> {
    const deadline = Date.now() + this.opts.timeoutMs;
    for (;;) {
      const applied = await appliedPoint(this.s.tgt, this.input.pair.name);
      if (applied && comparePoints(applied, final) >= 0) {
        this.io.say(`step 2: the pair has applied up to ${formatPoint(applied)}`);
        return;
      }
      refuseFailing(this.input.pair.name, this.io.pairStatus());
      if (Date.now() >= deadline || this.io.signal.aborted) {
        throw lagError(this.input.pair.name, this.opts.timeoutMs, applied, final, this.io.pairStatus());
      }
      await sleep(250);
    }
  }

  /** Step 3, and the source must still be where it was. */
  private async verify(final: BinlogPoint): Promise<void> {
    this.io.say('step 3: verifying (checksums of every synced table, then the schema) ...');
    const eq = await compareSourceAndTarget(this.input, this.io.logger, this.io.signal);
    for (const l of eq.lines) this.io.say(`  ${l}`);
    if (!eq.equal) throw notEqualError(this.input.pair.name, eq.lines);
    const now = await this.position();
    if (comparePoints(now, final) !== 0) throw writesError(final, now, this.froze);
  }

  /** Step 4, then wait until a running service has stopped the pair. */
  private async disablePair(): Promise<void> {
    const name = this.input.pair.name;
    await this.ask(`Disable pair "${name}" in config.json now?`, 'disabling the pair');
    this.io.disablePair();
    this.io.say(`step 4: pair "${name}" disabled in config.json`);
    const deadline = Date.now() + 30_000;
    const running = (rt: PairRuntime | null): rt is PairRuntime =>
      !!rt && rt.state !== 'disabled' && rt.state !== 'stopped';
    for (let rt = this.io.pairStatus(); running(rt); rt = this.io.pairStatus()) {
      if (Date.now() > deadline) throw stillRunningError(name, rt.state);
      await sleep(200);
    }
    this.io.say('step 4: the pair is stopped');
  }

  /** Step 5. */
  private async eventStatuses({ enable: events, disable }: EventChanges): Promise<string[]> {
    const db = this.input.target.database;
    if (disable.length) {
      // no question: DISABLE runs nothing, it only gives these the source's status
      await setEventStatus(this.s.tgt, db, disable, 'DISABLE');
      this.io.say(`step 5: disabled on the target, as on the source: ${disable.join(', ')}`);
    }
    if (events.length === 0) {
      this.io.say('step 5: no events to enable on the target');
      return [];
    }
    const question = `Enable ${events.length} event(s) on the target now (${events.join(', ')})?`;
    await this.ask(question, 'enabling the events');
    await setEventStatus(this.s.tgt, db, events, 'ENABLE');
    this.io.say(`step 5: enabled on the target: ${events.join(', ')}`);
    if (!(await eventSchedulerOn(this.s.tgt))) {
      this.io.say('warning: event_scheduler is OFF on the target; the events run once you '
        + 'SET GLOBAL event_scheduler = ON there');
    }
    return events;
  }

  private async finish(final: BinlogPoint, eventsEnabled: string[]): Promise<CutoverResult> {
    const gtid = await sourceGtid(this.s.src, this.s.flavor);
    this.io.say(`done. final source binlog position: ${formatPoint(final)}; GTID: ${gtid ?? '(none)'}`);
    this.io.say(await isReadOnly(this.s.src)
      ? 'the source stays read-only (read_only=ON); point the application at the target now.'
      : 'the source is writable: make sure nothing writes to it any more, and point the application at the target.');
    return { dryRun: false, final, gtid, eventsEnabled };
  }

  private async unfreeze(): Promise<void> {
    try {
      await setReadOnly(this.s.src, false, this.s.flavor, this.input.source);
      this.io.say('the source is writable again (read_only=OFF): the cutover changed nothing');
    } catch (err) {
      this.io.say(`warning: could not turn read_only off again on the source: ${(err as Error).message}`);
    }
  }
}
