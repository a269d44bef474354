/**
 * One binlog reader per source server, shared by the streams of this process (issue 12).
 *
 * Every stream (one pair's apply loop) gets a `BinlogClient` from `openStreamReader`. Alone on
 * its source it is a plain reader of its own. With other streams of the same source (same
 * host, port and user) it starts on a reader of its own from its checkpoint and, once that
 * reader stands at a transaction boundary the shared reader (the hub) has also passed or is
 * about to pass, switches to the hub: from then on one binlog dump feeds all of them.
 *
 * Invariants:
 * - A stream's events are exactly the events of its own reader: the switch happens only at a
 *   boundary R (after a commit, a statement outside a transaction, or a position event), and
 *   the hub hands over the events that followed R in its stream, from its ring of recent
 *   events or as they arrive. Positions are the same server's coordinates on both sides.
 * - A GTID-started reader may send events from before its start point (the file's head): it
 *   switches only after its first commit, which is past that point.
 * - The hub decodes the row events of every stream's database; a database added while the
 *   hub runs counts only from the hub's next boundary on (its table maps may precede it).
 * - A slow stream never holds the others back: over its backlog bound (pause()) it leaves
 *   the hub at its next boundary, taking the rest of the transaction it is in first, and
 *   reads on its own from there once its backlog drained (resume()). It may switch back later
 *   the same way. A transaction whose rest passes LEAVE_BYTES fails that stream's run instead
 *   (retryable: it restarts from its checkpoint on a reader of its own), so its memory stays
 *   bounded by bytes.
 * - The hub failing moves each of its streams that stands at a boundary to a reader of its
 *   own; a stream inside a transaction gets the error (its loop restarts from its checkpoint).
 */
import { createHash, randomInt } from 'node:crypto';
import { openBinlogClient, type BinlogClient, type BinlogClientOptions } from './binlog-reader.js';
import { comparePositions, formatPosition, type BinlogPosition, type ChangeEvent } from './events.js';
import { SyncError } from '../errors.js';

export type OpenReader = (o: BinlogClientOptions) => BinlogClient;

/** The hub's memory of recent events, for streams that join a little behind it. */
const RING_BYTES = 8 << 20;
const RING_EVENTS = 20_000;
/** What a stream leaving the hub may still take to finish its transaction. */
const LEAVE_BYTES = 32 << 20;

type Boundary = ChangeEvent & { position: BinlogPosition };

/** After this event a new source transaction starts: a reader may start here. */
function isBoundary(ev: ChangeEvent): ev is Boundary {
  return ev.type === 'commit' || ev.type === 'position' || (ev.type === 'query' && !ev.inTxn);
}

const at = (p: BinlogPosition): string => `${p.file}:${p.pos}`;

/**
 * The reader for one stream: shared with the other streams of its source when `shared`.
 * `open` makes a plain reader (the binlog library's; tests pass their own).
 */
export function openStreamReader(o: BinlogClientOptions, shared: boolean,
  open: OpenReader = openBinlogClient): BinlogClient {
  if (!shared) return open(o);
  return new Stream(o, open, groupFor(o, open));
}

/** The streams of one source server in this process, and their hub when one runs. */
class SourceGroup {
  readonly streams = new Set<Stream>();
  hub: Hub | null = null;
  /** Database -> a position its streams pass on their own readers before joining again (after an overflow). */
  private readonly passFirst = new Map<string, BinlogPosition>();

  constructor(readonly key: string, private readonly open: OpenReader, private readonly forget: () => void) {}

  add(s: Stream): void {
    this.streams.add(s);
    this.hub?.include(s.schema);
  }

  remove(s: Stream): void {
    this.streams.delete(s);
    this.hub?.remove(s);
    if (this.streams.size === 0) this.forget();
  }

  /** `s` stands at boundary `r` on its own reader: move it to the hub if it can go there. */
  tryJoin(s: Stream, r: BinlogPosition): void {
    const pass = this.passFirst.get(s.schema);
    if (pass) {
      if (comparePositions(r, pass) <= 0) return;
      this.passFirst.delete(s.schema);
    }
    if (this.hub) { this.hub.join(s, r); return; }
    if (this.streams.size < 2) return;
    const schemas = [...new Set([...this.streams].map((x) => x.schema))];
    this.hub = new Hub(this, s.options, r, schemas, this.open);
    this.hub.attach(s);
  }

  /**
   * A stream of `schema` overflowed inside a transaction that reaches past `p`: its next run
   * reads that transaction on its own reader (paused by its own backlog, so bounded), and
   * joins only after it. Without this it would rejoin before it and overflow again, forever.
   */
  passBeforeJoining(schema: string, p: BinlogPosition | null): void {
    if (p) this.passFirst.set(schema, p);
  }

  /** The hub stopped (nothing attached, or it failed). */
  dropHub(h: Hub): void {
    if (this.hub === h) this.hub = null;
  }
}

const groups = new Map<string, SourceGroup>();

/**
 * Streams share a reader only when they would open the same connection: same server and user,
 * and the same credentials and TLS settings (a pair configured with TLS never reads through
 * another pair's plain connection). The key shown (status, tests) is host:port:user.
 */
function groupFor(o: BinlogClientOptions, open: OpenReader): SourceGroup {
  const c = o.connection;
  const key = `${c.host}:${c.port}:${c.user}`;
  const how = createHash('sha256').update(JSON.stringify([c.password ?? null, c.passwordEnv ?? null, c.ssl ?? null]))
    .digest('hex');
  const id = `${key}\0${how}`;
  let g = groups.get(id);
  if (!g) {
    g = new SourceGroup(key, open, () => groups.delete(id));
    groups.set(id, g);
  }
  return g;
}

/** Streams sharing readers in this process, by source (tests). */
export function sharedReaders(): Array<{ source: string; streams: number; onHub: number; hubRunning: boolean }> {
  return [...groups.values()].map((g) => ({
    source: g.key, streams: g.streams.size, onHub: [...g.streams].filter((s) => s.mode === 'hub').length,
    hubRunning: g.hub !== null,
  }));
}

/** One stream's reader: its own, or its place on the hub. */
class Stream implements BinlogClient {
  mode: 'own' | 'hub' | 'detached' = 'own';
  private own: BinlogClient | null;
  /** Where the last delivered event ended when it was a boundary; null inside a transaction. */
  private boundary: BinlogPosition | null = null;
  private last: BinlogPosition | null = null;
  /** A GTID-started reader may replay its first file's head: no switch before its first commit. */
  private settled: boolean;
  private paused = false;
  /** Over the backlog bound on the hub, inside a transaction: leave at the next boundary. */
  private leaving = false;
  private leavingBytes = 0;
  private resumeAt: BinlogPosition | null = null;
  private stopped = false;

  constructor(readonly options: BinlogClientOptions, private readonly open: OpenReader,
    private readonly group: SourceGroup) {
    this.settled = options.gtids === undefined;
    group.add(this);
    this.own = this.openOwn(options);
  }

  get schema(): string {
    return this.options.schema;
  }

  /** As a reader of its own reports it: the position after the last event received (any database). */
  received(): BinlogPosition | null {
    if (this.own) return this.own.received() ?? this.last;
    if (this.mode === 'hub') return this.group.hub?.received() ?? this.last;
    return this.last;
  }

  shared(): boolean {
    return this.mode === 'hub';
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.own?.stop();
    this.own = null;
    this.group.remove(this);
  }

  pause(): void {
    this.paused = true;
    if (this.mode === 'own') this.own?.pause();
    else if (this.mode === 'hub') {
      if (this.boundary) this.leave();
      else { this.leaving = true; this.leavingBytes = 0; }
    }
  }

  resume(): void {
    this.paused = false;
    if (this.mode === 'own') this.own?.resume();
    else if (this.mode === 'hub') this.leaving = false;
    else if (this.resumeAt && !this.stopped) {
      this.mode = 'own';
      this.own = this.openOwn({ ...this.options, start: this.resumeAt, gtids: undefined });
      this.settled = true;
    }
  }

  /** The hub takes this stream after boundary `r` (the caller hands over what followed it). */
  attached(): void {
    this.options.logger?.info({ at: formatPosition(this.boundary), source: this.group.key },
      'binlog: switched to the reader shared with the other pairs of this source');
    this.mode = 'hub';
    this.own?.stop();
    this.own = null;
  }

  /** This stream stands at `r` on its own reader, ready to switch. */
  waitingAt(r: BinlogPosition): boolean {
    return this.mode === 'own' && !this.paused && !this.stopped && this.settled && this.boundary !== null
      && comparePositions(this.boundary, r) === 0;
  }

  /** An event from the hub (this stream is attached). */
  fromHub(ev: ChangeEvent): void {
    this.deliver(ev);
    if (!this.leaving) return;
    if (this.boundary) { this.leave(); return; }
    this.leavingBytes += ev.size;
    if (this.leavingBytes > LEAVE_BYTES) this.overflow();
  }

  /** The rest of a transaction outgrew what a leaving stream may take: its run restarts alone. */
  private overflow(): void {
    this.group.passBeforeJoining(this.schema, this.group.hub?.received() ?? this.last);
    this.leaving = false;
    this.mode = 'detached';
    this.resumeAt = null;
    this.group.hub?.remove(this);
    this.options.onError(new SyncError('SHARED_READER_OVERFLOW',
      `a transaction of more than ${LEAVE_BYTES >> 20} MiB arrived while the target was behind on the shared `
        + 'binlog reader', {
        hint: 'Nothing to do: the pair restarts from its checkpoint on a binlog reader of its own and rejoins the '
          + 'shared one once caught up. If it repeats, the target is too slow for the source\'s write rate.',
        retryable: true,
      }));
  }

  /** The hub failed: go on alone from a boundary, or fail the run from inside a transaction. */
  hubFailed(err: SyncError): void {
    if (this.mode !== 'hub') return;
    this.leaving = false;
    this.options.logger?.warn({ err: err.message, inTransaction: !this.boundary }, 'binlog: the shared reader failed');
    if (!this.boundary) {
      this.mode = 'detached';
      this.resumeAt = null;
      this.options.onError(err);
      return;
    }
    this.mode = 'own';
    this.own = this.openOwn({ ...this.options, start: this.boundary, gtids: undefined });
    if (this.paused) this.own.pause();
  }

  bytes(n: number): void {
    this.options.onBytes?.(n);
  }

  /** Leave the hub at the boundary just delivered; read alone from there once resumed. */
  private leave(): void {
    this.options.logger?.info({ at: formatPosition(this.boundary) },
      'binlog: the target is behind; this pair reads the binlog on its own until it caught up');
    this.leaving = false;
    this.resumeAt = this.boundary;
    this.mode = 'detached';
    this.group.hub?.remove(this);
    if (!this.paused) this.resume();
  }

  private openOwn(o: BinlogClientOptions): BinlogClient {
    const reader = this.open({
      ...o,
      onEvent: (ev) => {
        if (this.own !== reader) return; // switched to the hub: its later events are the hub's to give
        this.deliver(ev);
        if (this.boundary && this.settled && !this.paused) this.group.tryJoin(this, this.boundary);
      },
      onError: (err) => { if (this.own === reader) this.options.onError(err); },
      onBytes: (n) => { if (this.own === reader) this.bytes(n); },
    });
    return reader;
  }

  private deliver(ev: ChangeEvent): void {
    if ('position' in ev) this.last = ev.position;
    if (isBoundary(ev)) {
      this.boundary = ev.position;
      if (ev.type === 'commit') this.settled = true;
    } else this.boundary = null;
    // the hub decodes every stream's database; the apply loop expects its own only
    if (ev.type === 'rows' && ev.schema !== this.options.schema) return;
    this.options.onEvent(ev);
  }
}

/** The shared reader of one source and its ring of recent events. */
class Hub {
  private readonly reader: BinlogClient;
  private readonly ring: Array<{ seq: number; ev: ChangeEvent }> = [];
  private ringHead = 0;
  private ringBytes = 0;
  private seq = 0;
  /** Boundary position -> seq of the event that ends there (latest one; ring entries only, plus the start). */
  private readonly boundaries = new Map<string, number>();
  private last: BinlogPosition;
  private readonly attachedStreams = new Set<Stream>();
  /** Database -> first seq from which its row events are decoded (Infinity until the next boundary). */
  private readonly schemas = new Map<string, number>();
  /** Streams on their own reader ahead of the hub, by the boundary they wait at. */
  private readonly waiting = new Map<string, { pos: BinlogPosition; streams: Set<Stream> }>();
  private stopped = false;

  constructor(private readonly group: SourceGroup, base: BinlogClientOptions, start: BinlogPosition, schemas: string[],
    open: OpenReader) {
    this.last = start;
    this.boundaries.set(at(start), 0);
    for (const s of schemas) this.schemas.set(s, 0);
    this.reader = open({
      connection: base.connection,
      // the server drops an older dump with the same id: one per hub, never a pair's
      serverId: 0x40000000 + randomInt(0x3fffffff),
      start, schema: schemas[0] ?? base.schema, schemas,
      onEvent: (ev) => this.onEvent(ev),
      onError: (err) => this.fail(err),
      onBytes: (n) => { for (const s of this.attachedStreams) s.bytes(n); },
    });
  }

  received(): BinlogPosition | null {
    return this.reader.received();
  }

  include(schema: string): void {
    if (this.schemas.has(schema)) return;
    this.schemas.set(schema, Infinity);
    this.reader.include?.(schema);
  }

  attach(s: Stream): void {
    this.attachedStreams.add(s);
    s.attached();
  }

  /** `s` stands at `r` on its own reader: take it now (from the ring) or when the hub reaches `r`. */
  join(s: Stream, r: BinlogPosition): void {
    const from = this.boundaries.get(at(r));
    const active = this.schemas.get(s.schema) ?? Infinity;
    if (from !== undefined) {
      const first = this.ring[this.ringHead];
      const oldest = first ? first.seq : this.seq + 1;
      if (from < oldest - 1 || active > from) return;
      this.attach(s);
      // it may leave again on the way (over its backlog bound): from there it reads alone
      for (let i = this.ringHead; i < this.ring.length && s.mode === 'hub'; i++) {
        const e = this.ring[i] as { seq: number; ev: ChangeEvent };
        if (e.seq > from) s.fromHub(e.ev);
      }
      return;
    }
    if (comparePositions(r, this.last) > 0) {
      const w = this.waiting.get(at(r)) ?? { pos: r, streams: new Set<Stream>() };
      w.streams.add(s);
      this.waiting.set(at(r), w);
    }
  }

  remove(s: Stream): void {
    this.attachedStreams.delete(s);
    for (const w of this.waiting.values()) w.streams.delete(s);
    if (this.attachedStreams.size === 0) this.stop();
  }

  private onEvent(ev: ChangeEvent): void {
    if (this.stopped) return;
    const seq = ++this.seq;
    this.ring.push({ seq, ev });
    this.ringBytes += ev.size;
    this.trim();
    for (const s of [...this.attachedStreams]) s.fromHub(ev);
    // the last stream may have left on this event (over its bound): then the hub is gone
    if (this.stopped || !isBoundary(ev)) return;
    this.last = ev.position;
    this.boundaries.set(at(ev.position), seq);
    for (const [name, from] of this.schemas) if (from === Infinity) this.schemas.set(name, seq);
    for (const [k, w] of this.waiting) {
      const cmp = comparePositions(w.pos, ev.position);
      if (cmp > 0) continue;
      this.waiting.delete(k);
      if (cmp < 0) continue; // passed without stopping there: those streams try again at their next boundary
      for (const s of w.streams) {
        if (s.waitingAt(ev.position) && (this.schemas.get(s.schema) ?? Infinity) <= seq) this.attach(s);
      }
    }
  }

  private trim(): void {
    const size = () => this.ring.length - this.ringHead;
    while (size() > 1 && (this.ringBytes > RING_BYTES || size() > RING_EVENTS)) {
      const e = this.ring[this.ringHead++] as { seq: number; ev: ChangeEvent };
      this.ringBytes -= e.ev.size;
      if (!isBoundary(e.ev)) continue;
      const key = at(e.ev.position);
      if (this.boundaries.get(key) === e.seq) this.boundaries.delete(key);
    }
    if (this.ringHead > 4096 && this.ringHead * 2 > this.ring.length) {
      this.ring.splice(0, this.ringHead);
      this.ringHead = 0;
    }
  }

  private fail(err: SyncError): void {
    if (this.stopped) return;
    this.stop();
    for (const s of [...this.attachedStreams]) s.hubFailed(err);
    this.attachedStreams.clear();
  }

  private stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.reader.stop();
    this.group.dropHub(this);
  }
}
