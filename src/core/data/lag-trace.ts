/**
 * Where the stream's lag goes, for the lag benchmark (bench/lag-report.ts): off unless
 * DB_SYNC_LAG_TRACE names a file. Per source transaction it stamps (all on nowMs()):
 * - chunk: the binlog socket chunk that carried its first event arrived (before decoding);
 * - begin / end: its first / commit event left the decoder (reader -> queue);
 * - taken: the loop took its commit event off the queue;
 * - send / done: the target round trip that committed it started / answered.
 * Beside it the event loop's delay histogram (perf_hooks) and the GC pauses. At exit the
 * file gets the percentiles of each step and of the whole path (chunk -> done).
 */
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { nowMs } from './lag.js';

interface Txn { chunk: number; begin: number; end: number; taken: number; send: number; done: number; group: number }

const FILE = process.env.DB_SYNC_LAG_TRACE;

class LagTrace {
  private readonly txns: Txn[] = [];
  private open: Partial<Txn> | null = null;
  /** Committed on the source, waiting in the open target transaction. */
  private grouped: Array<Partial<Txn>> = [];
  private readonly taken: Array<Partial<Txn>> = [];
  private lastChunk = 0;
  private sends = 0;
  private readonly gc: number[] = [];
  /** GC pauses by kind (perf_hooks: 1 minor, 2 major, 4 incremental, 8 weak callbacks). */
  private readonly gcKinds: Record<string, number> = {};
  private readonly loop = monitorEventLoopDelay({ resolution: 1 });

  constructor(private readonly file: string) {
    this.loop.enable();
    const obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        this.gc.push(e.duration);
        const kind = String((e as { detail?: { kind?: number } }).detail?.kind);
        this.gcKinds[kind] = (this.gcKinds[kind] ?? 0) + 1;
      }
    });
    obs.observe({ entryTypes: ['gc'] });
    process.on('exit', () => this.write());
  }

  chunk(): void { this.lastChunk = nowMs(); }

  decoded(type: string): void {
    const t = nowMs();
    if (type === 'begin') this.open = { chunk: this.lastChunk, begin: t };
    else if (type === 'commit' && this.open) { this.open.end = t; this.taken.push(this.open); this.open = null; }
  }

  /** The loop took a commit event off the queue. */
  took(): void {
    const x = this.taken.shift();
    if (x) { x.taken = nowMs(); this.grouped.push(x); }
  }

  sending(): void { const t = nowMs(); for (const x of this.grouped) x.send ??= t; this.sends++; }

  committed(): void {
    const t = nowMs();
    for (const x of this.grouped) { x.done = t; x.group = this.grouped.length; this.txns.push(x as Txn); }
    this.grouped = [];
  }

  private write(): void {
    const pct = (xs: number[]) => {
      const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
      const at = (p: number) => +(v[Math.min(v.length - 1, Math.floor(p * v.length))] ?? NaN).toFixed(2);
      return { n: v.length, p50: at(0.5), p99: at(0.99), p999: at(0.999), max: at(1) };
    };
    const step = (f: (x: Txn) => number) => pct(this.txns.map(f));
    const ms = (ns: number) => +(ns / 1e6).toFixed(2);
    writeFileSync(this.file, JSON.stringify({
      txns: this.txns.length, sends: this.sends,
      decode: step((x) => x.begin - x.chunk), txnInReader: step((x) => x.end - x.begin),
      queue: step((x) => x.taken - x.end), build: step((x) => x.send - x.taken),
      roundTrip: step((x) => x.done - x.send),
      total: step((x) => x.done - x.chunk), group: step((x) => x.group),
      eventLoopDelayMs: { p50: ms(this.loop.percentile(50)), p99: ms(this.loop.percentile(99)),
        p999: ms(this.loop.percentile(99.9)), max: ms(this.loop.max) },
      gc: { count: this.gc.length, kinds: this.gcKinds, ...pct(this.gc) },
    }, null, 1));
  }
}

/** The trace when DB_SYNC_LAG_TRACE is set, else null (nothing is measured). */
export const lagTrace: LagTrace | null = FILE ? new LagTrace(FILE) : null;
