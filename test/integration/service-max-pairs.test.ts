/**
 * maxPairs: two services with the same config of four pairs, each holding at most three.
 * They share the pairs through the target's locks alone; when one is killed -9, the survivor
 * picks up the dead one's pairs up to its cap, and a restarted one takes the rest.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createContext, type TestContext } from '../helpers/context.js';
import type { StatusDocument } from '../../src/daemon/status-file.js';
import { readStatus, startService, writeServiceConfig, type PairSpec, type RunningService }
  from './service-helpers.js';
import { checksums, EVENTS_DDL } from './standby-helpers.js';

let ctx: TestContext;
let homes: string[];
let services: RunningService[];
const PAIRS = ['p1', 'p2', 'p3', 'p4'];
const db = (side: 'src' | 'dst', k: number) => `${side === 'src' ? ctx.sourceDb : ctx.targetDb}_${k}`;

beforeEach(async () => {
  ctx = await createContext('maxpairs');
  homes = [ctx.home, mkdtempSync(path.join(os.tmpdir(), 'db-sync-maxpairs-'))];
  services = [];
  const specs: PairSpec[] = [];
  for (const [k, name] of PAIRS.entries()) {
    const [src, dst] = [db('src', k), db('dst', k)];
    await ctx.source.query(`CREATE DATABASE \`${src}\`; CREATE TABLE \`${src}\`.${EVENTS_DDL.slice(13)}`);
    await ctx.target.query(`CREATE DATABASE \`${dst}\`; CREATE TABLE \`${dst}\`.${EVENTS_DDL.slice(13)}`);
    const source = { port: ctx.ports.source, database: src };
    const target = { port: ctx.ports.target, database: dst };
    specs.push({ name, source, target, options: { schema: false, routines: false } });
  }
  for (const home of homes) writeServiceConfig(home, specs, { maxPairs: 3 });
});

afterEach(async () => {
  for (const s of services) await s.terminate('SIGKILL');
  for (const k of PAIRS.keys()) {
    await ctx.source.query(`DROP DATABASE IF EXISTS \`${db('src', k)}\``);
    await ctx.target.query(`DROP DATABASE IF EXISTS \`${db('dst', k)}\``);
  }
  await ctx.close();
  rmSync(homes[1]!, { recursive: true, force: true });
});

function start(i: number): RunningService {
  const s = startService(homes[i]!);
  services.push(s);
  return s;
}

/** Waits until the service in folder `i` streams `n` pairs and stands by on the others as `standby` says. */
async function holds(i: number, n: number, standby: (note: string) => boolean, ms = 60_000): Promise<StatusDocument> {
  const deadline = Date.now() + ms;
  for (;;) {
    const doc = readStatus(homes[i]!);
    const states = doc?.pairs.map((p) => p.state) ?? [];
    const waiting = doc?.pairs.filter((p) => p.state === 'standby') ?? [];
    const streamingCount = states.filter((s) => s === 'streaming').length;
    if (doc?.service.running && streamingCount === n && waiting.length === PAIRS.length - n
      && waiting.every((p) => standby(p.standby?.note ?? ''))) return doc;
    if (Date.now() > deadline) {
      const seen = JSON.stringify(doc?.pairs.map((p) => [p.name, p.state, p.standby?.note]));
      throw new Error(`service ${i}: expected ${n} streaming pairs; states ${seen}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

const held = (doc: StatusDocument) => doc.pairs.filter((p) => p.state === 'streaming').map((p) => p.name);
const full = (note: string) => /maxPairs = 3/.test(note);

async function insertEverywhere(from: number): Promise<void> {
  for (const k of PAIRS.keys()) {
    await ctx.source.query(`INSERT INTO \`${db('src', k)}\`.events (kind, payload)
      SELECT 'k', CONCAT('row ', seq) FROM seq_${from}_to_${from + 49}`);
  }
}

/** CHECKSUM TABLE of the events table of pair k on each side. */
async function sums(k: number): Promise<[string, string]> {
  const one = async (conn: typeof ctx.source, side: 'src' | 'dst') =>
    (await checksums(conn, [`${db(side, k)}\`.\`events`]))[0]!.split(':').pop()!;
  return [await one(ctx.source, 'src'), await one(ctx.target, 'dst')];
}

async function pairsEqual(names: string[], ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (const name of names) {
    for (;;) {
      const [a, b] = await sums(PAIRS.indexOf(name));
      if (a === b) break;
      if (Date.now() > deadline) throw new Error(`pair ${name}: CHECKSUM TABLE differs (${a} / ${b})`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

describe('maxPairs', () => {
  it('splits four pairs 3 + 1 between two services; the survivor of a kill -9 picks up to its cap; '
    + 'a restart takes the rest', async () => {
    const a = start(0);
    const first = await holds(0, 3, full);
    expect(first.service).toMatchObject({ maxPairs: 3, heldPairs: 3 });
    const b = start(1);
    const second = await holds(1, 1, (note) => note.includes(`:${a.child.pid} since`));
    expect(held(second)).toEqual(PAIRS.filter((p) => !held(first).includes(p)));
    await insertEverywhere(1);
    await pairsEqual(PAIRS);

    const t0 = Date.now();
    a.child.kill('SIGKILL');
    const survivor = await holds(1, 3, full, 20_000);
    console.log(`survivor held 3 of 4 pairs ${Date.now() - t0} ms after the kill -9`);
    expect(survivor.service.heldPairs).toBe(3);
    const orphan = PAIRS.find((p) => !held(survivor).includes(p))!;
    await insertEverywhere(100);
    await pairsEqual(held(survivor));
    // nobody holds the fourth pair: its target stays behind
    await new Promise((r) => setTimeout(r, 2000));
    const [src, dst] = await sums(PAIRS.indexOf(orphan));
    expect(dst).not.toBe(src);

    const again = start(0);
    const restarted = await holds(0, 1, (note) => note.includes(`:${b.child.pid} since`));
    expect(held(restarted)).toEqual([orphan]);
    await pairsEqual(PAIRS);
    expect(again.child.exitCode).toBeNull();
  });
});
