/**
 * Source vs target programmable objects -> DDL steps. Pure.
 * Views: CREATE OR REPLACE in dependency order; routines and events: DROP + CREATE (MySQL has
 * no CREATE OR REPLACE for them); triggers: see diff-triggers.ts. Objects missing from the
 * source are dropped (that loses no rows). DEFINER differences caused by the DEFINER rule
 * and the target-side event status (SLAVESIDE_DISABLED, whatever the source's) count as equal.
 */
import { PHASE, type DdlStep } from '../db/ddl-step.js';
import { quoteId } from '../db/quote.js';
import { definersMatch } from './definer.js';
import { diffTriggers } from './diff-triggers.js';
import type { ProgrammableDiffOptions } from './diff-options.js';
import type { EventDef, Programmables, RoutineDef, ViewDef } from './model.js';
import {
  createEvent, createRoutine, createView, TARGET_EVENT_STATUS, objStep, sameCtx, sessionFor,
} from './render.js';

export type { ProgrammableDiffOptions } from './diff-options.js';

export interface ProgrammableDiff {
  steps: DdlStep[];
  warnings: string[];
}

/** Names of other views this view's body mentions as quoted identifiers. */
function viewDeps(v: ViewDef, names: Set<string>): string[] {
  return [...names].filter((n) => n !== v.name && v.body.includes(quoteId(n)));
}

export function orderViews(views: ViewDef[]): ViewDef[] {
  const byName = new Map(views.map((v) => [v.name, v]));
  const names = new Set(byName.keys());
  const done = new Set<string>();
  const out: ViewDef[] = [];
  const visit = (v: ViewDef, path: Set<string>) => {
    if (done.has(v.name) || path.has(v.name)) return;
    path.add(v.name);
    for (const d of viewDeps(v, names)) visit(byName.get(d) as ViewDef, path);
    done.add(v.name);
    out.push(v);
  };
  for (const v of views) visit(v, new Set());
  return out;
}

function diffViews(src: ViewDef[], tgt: ViewDef[], o: ProgrammableDiffOptions, warnings: string[]): DdlStep[] {
  const steps: DdlStep[] = [];
  const usable = src.filter((v) => {
    if (!o.filter(v.name)) return false;
    const hit = [...o.excludedTables].find((t) => v.body.includes(quoteId(t)));
    if (hit) warnings.push(`view \`${v.name}\` skipped: it uses table \`${hit}\`, which the pair's filters exclude`);
    return !hit;
  });
  const srcNames = new Set(src.map((v) => v.name));
  for (const t of tgt) {
    if (o.filter(t.name) && !srcNames.has(t.name)) {
      steps.push(objStep('view', t.name, 'drop', PHASE.dropView, [`DROP VIEW IF EXISTS ${quoteId(t.name)}`]));
    }
  }
  const tm = new Map(tgt.map((v) => [v.name, v]));
  // Once a view is re-created, the views built on it are re-created after it as well.
  const changed = new Set<string>();
  for (const v of orderViews(usable)) {
    const t = tm.get(v.name);
    const same = t && t.body === v.body && t.algorithm === v.algorithm && t.security === v.security
      && definersMatch(v.definer, t.definer, o.definers) && sameCtx(v.ctx, t.ctx);
    if (same && !viewDeps(v, changed).length) continue;
    changed.add(v.name);
    const { session, notes } = sessionFor(v.ctx, v.body);
    const create = [createView(v, o.definers)];
    steps.push(objStep('view', v.name, t ? 'replace' : 'create', PHASE.view, create, notes, session));
  }
  return steps;
}

function diffRoutines(src: RoutineDef[], tgt: RoutineDef[], o: ProgrammableDiffOptions): DdlStep[] {
  const key = (r: RoutineDef) => `${r.kind}:${r.name}`;
  const sk = new Set(src.map(key));
  const tm = new Map(tgt.map((r) => [key(r), r]));
  const steps: DdlStep[] = [];
  for (const t of tgt) {
    if (!sk.has(key(t))) {
      const drop = `DROP ${t.kind.toUpperCase()} IF EXISTS ${quoteId(t.name)}`;
      steps.push(objStep(t.kind, t.name, 'drop', PHASE.dropRoutine, [drop]));
    }
  }
  // Functions first: a procedure body is bound late, but a view may call a function.
  const ordered = [...src].sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'function' ? -1 : 1));
  for (const r of ordered) {
    const t = tm.get(key(r));
    if (t && t.text === r.text && definersMatch(r.definer, t.definer, o.definers) && sameCtx(r.ctx, t.ctx)) continue;
    const { session, notes } = sessionFor(r.ctx, r.text);
    const stmts = [`DROP ${r.kind.toUpperCase()} IF EXISTS ${quoteId(r.name)}`, createRoutine(r, o.definers)];
    const action = t ? 'replace' : 'create';
    steps.push(objStep(r.kind, r.name, action, PHASE.routine, t ? stmts : stmts.slice(1), notes, session));
  }
  return steps;
}

const EVENT_NOTE = 'created disabled on the target (DISABLE ON SLAVE): its effects already arrive as replicated rows; '
  + 'enable it at cut-over with ALTER EVENT ... ENABLE';
const DISABLED_EVENT_NOTE = 'disabled on the source; created DISABLE ON SLAVE on the target, as a native replica '
  + 'has it; `db-sync cutover` makes it DISABLED';

function diffEvents(src: EventDef[], tgt: EventDef[], o: ProgrammableDiffOptions): DdlStep[] {
  const sk = new Set(src.map((e) => e.name));
  const tm = new Map(tgt.map((e) => [e.name, e]));
  const steps: DdlStep[] = [];
  for (const t of tgt) {
    if (!sk.has(t.name)) {
      steps.push(objStep('event', t.name, 'drop', PHASE.dropEvent, [`DROP EVENT IF EXISTS ${quoteId(t.name)}`]));
    }
  }
  for (const e of src) {
    const t = tm.get(e.name);
    if (t && t.text === e.text && t.status === TARGET_EVENT_STATUS && t.timeZone === e.timeZone
      && definersMatch(e.definer, t.definer, o.definers) && sameCtx(e.ctx, t.ctx)) continue;
    const { session, notes } = sessionFor(e.ctx, e.text, { timeZone: e.timeZone });
    notes.push(e.status === 'DISABLED' ? DISABLED_EVENT_NOTE : EVENT_NOTE);
    const create = createEvent(e, o.definers, o.eventDisabledOnTarget);
    const stmts = t ? [`DROP EVENT IF EXISTS ${quoteId(e.name)}`, create] : [create];
    steps.push(objStep('event', e.name, t ? 'replace' : 'create', PHASE.event, stmts, notes, session));
  }
  return steps;
}

export function diffProgrammables(src: Programmables, tgt: Programmables,
  o: ProgrammableDiffOptions): ProgrammableDiff {
  const warnings: string[] = [];
  const steps = [
    ...diffViews(src.views, tgt.views, o, warnings),
    ...diffRoutines(src.routines, tgt.routines, o),
    ...diffTriggers(src.triggers, tgt.triggers, o, warnings),
    ...diffEvents(src.events, tgt.events, o),
  ];
  return { steps, warnings };
}
