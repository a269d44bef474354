import type { Command } from 'commander';
import { pairContext } from '../../core/pair/sync-pair.js';
import { planSchema, type PlannedStep, type SchemaPlan } from '../../core/pair/schema-step.js';
import { createStatusSink } from '../../core/status.js';
import { silentLogger } from '../../core/log.js';
import { action, CliExit } from '../run.js';
import { openStore } from '../context.js';

function stepHeader(s: PlannedStep): string {
  const flag = s.pending ? '  [DESTRUCTIVE, pending: allowDestructive is off]' : s.destructive ? '  [DESTRUCTIVE]' : '';
  return `${s.objectType} \`${s.name}\`: ${s.action}${flag}`;
}

/**
 * Human-readable plan: statements grouped by object (objects in order of their first step;
 * within an object, statements in apply order), destructive ones marked. `--json` keeps the
 * exact apply order across objects.
 */
export function formatPlan(plan: SchemaPlan): string {
  if (plan.steps.length === 0 && plan.warnings.length === 0) {
    return `pair ${plan.pair}: schema and programmable objects are up to date; nothing to do.\n`;
  }
  const pending = plan.steps.some((s) => s.pending) ? ' (some pending)' : '';
  const lines: string[] = [`pair ${plan.pair}: ${plan.steps.length} change(s) on the target${pending}`];
  const groups = new Map<string, PlannedStep[]>();
  for (const s of plan.steps) {
    const kind = s.objectType === 'function' || s.objectType === 'procedure' ? 'routine' : s.objectType;
    const key = `${kind}\u0000${s.name}\u0000${s.objectType}`;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  for (const steps of groups.values()) {
    lines.push('');
    for (const s of steps) {
      lines.push(stepHeader(s));
      for (const r of s.reasons) lines.push(`  reason: ${r}`);
      for (const n of s.notes) lines.push(`  note: ${n}`);
      for (const sql of s.statements) lines.push(...`${sql};`.split('\n').map((l) => `    ${l}`));
    }
  }
  if (plan.warnings.length) lines.push('', ...plan.warnings.map((w) => `warning: ${w}`));
  return `${lines.join('\n')}\n`;
}

export function registerPlanCommand(program: Command): void {
  program
    .command('plan')
    .description('Show the schema and routine changes a sync would make on the target '
      + '(exit 0: nothing to do, 2: pending changes)')
    .argument('<pair>', 'sync pair name')
    .option('--json', 'machine-readable output')
    .action(action(async (name: string, opts: { json?: boolean }) => {
      const config = openStore().load();
      const ctx = pairContext(config, name, {
        logger: silentLogger(), signal: new AbortController().signal, status: createStatusSink(name),
      });
      const plan = await planSchema(ctx);
      process.stdout.write(opts.json ? `${JSON.stringify(plan, null, 2)}\n` : formatPlan(plan));
      if (plan.steps.length) throw new CliExit(2);
      return 0;
    }));
}
