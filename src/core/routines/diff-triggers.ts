/**
 * Triggers, compared per (table, timing, event) group because the server keeps an order
 * inside a group (ACTION_ORDER): when any member differs, the whole group is dropped and
 * re-created in the source's order. A target trigger without db-sync's guard counts as
 * different, so it is re-created guarded. Pure.
 */
import { PHASE, type DdlStep } from '../db/ddl-step.js';
import { quoteId } from '../db/quote.js';
import { definersMatch } from './definer.js';
import type { ProgrammableDiffOptions } from './diff-options.js';
import type { TriggerDef } from './model.js';
import { createTrigger, objStep, sameCtx, sessionFor } from './render.js';

const groupKey = (t: TriggerDef) => `${t.table}\u0000${t.timing}\u0000${t.event}`;

function groups(list: TriggerDef[]): Map<string, TriggerDef[]> {
  const m = new Map<string, TriggerDef[]>();
  for (const t of [...list].sort((a, b) => a.order - b.order)) {
    const k = groupKey(t);
    m.set(k, [...(m.get(k) ?? []), t]);
  }
  return m;
}

function sameTrigger(s: TriggerDef, t: TriggerDef, o: ProgrammableDiffOptions): boolean {
  return s.name === t.name && s.body === t.body && t.guarded && definersMatch(s.definer, t.definer, o.definers)
    && sameCtx(s.ctx, t.ctx);
}

const drop = (t: TriggerDef) =>
  objStep('trigger', t.name, 'drop', PHASE.dropTrigger, [`DROP TRIGGER IF EXISTS ${quoteId(t.name)}`]);

export function diffTriggers(src: TriggerDef[], tgt: TriggerDef[], o: ProgrammableDiffOptions,
  warnings: string[]): DdlStep[] {
  const usable = src.filter((t) => {
    if (o.filter(t.table)) return true;
    warnings.push(`trigger \`${t.name}\` skipped: its table \`${t.table}\` is excluded by the pair's filters`);
    return false;
  });
  const sg = groups(usable);
  const tg = groups(tgt.filter((t) => o.filter(t.table)));
  const steps: DdlStep[] = [];
  for (const [k, members] of tg) if (!sg.has(k)) steps.push(...members.map(drop));
  for (const [k, members] of sg) {
    const current = tg.get(k) ?? [];
    const same = current.length === members.length
      && members.every((s, i) => sameTrigger(s, current[i] as TriggerDef, o));
    if (same) continue;
    steps.push(...current.map(drop));
    for (const s of members) {
      const { session, notes } = sessionFor(s.ctx, s.body);
      const action = current.some((c) => c.name === s.name) ? 'replace' : 'create';
      const create = createTrigger(s, o.definers);
      const stmts = action === 'replace' ? [`DROP TRIGGER IF EXISTS ${quoteId(s.name)}`, create] : [create];
      steps.push(objStep('trigger', s.name, action, PHASE.trigger, stmts, notes, session));
    }
  }
  return steps;
}
