import type { Command } from 'commander';
import { SyncError } from '../../core/errors.js';
import { startDemo, type DemoHandle } from '../../demo/run-demo.js';
import { renderStatus } from '../views/status-view.js';
import { action } from '../run.js';
import { readServiceStatus } from './status.js';
import { sleep } from '../../core/sleep.js';

type LogUpdate = (typeof import('log-update'))['default'];

function draw(logUpdate: LogUpdate, demo: DemoHandle, started: number): void {
  const snap = readServiceStatus(demo.store);
  const secs = Math.round((Date.now() - started) / 1000);
  const status = renderStatus(snap.doc, snap.alive, new Date(), process.stdout.columns ?? 80);
  logUpdate(`${status}\nwrite load: ${demo.writes()} order transactions on the source in ${secs}s` +
    `\nconfig folder: ${demo.home}   (Ctrl-C stops the service and both servers and removes everything)`);
}

/** Ctrl-C, or the --duration deadline. */
function untilDone(durationSec: number | undefined): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
    if (durationSec !== undefined) setTimeout(resolve, durationSec * 1000);
  });
}

async function finish(demo: DemoHandle): Promise<boolean> {
  await demo.stopLoad();
  process.stdout.write('write load stopped; letting the pair catch up ...\n');
  let rows = await demo.compare();
  for (let i = 0; i < 20 && rows.some((r) => r.source !== r.target); i += 1) {
    await sleep(500);
    rows = await demo.compare();
  }
  for (const r of rows) {
    const counts = `source ${String(r.source).padStart(6)}  target ${String(r.target).padStart(6)}`;
    process.stdout.write(`  ${r.table.padEnd(12)} ${counts}${r.source === r.target ? '' : '  DIFFERENT'}\n`);
  }
  return rows.every((r) => r.source === r.target);
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('Start two throwaway MariaDB servers, a pair and a write load, and watch it sync (Ctrl-C cleans up)')
    .option('--duration <sec>', 'stop by itself after this many seconds (non-interactive runs)')
    .option('--rate <n>', 'write transactions per second on the source', '20')
    .action(action(async (opts: { duration?: string; rate: string }) => {
      const duration = opts.duration === undefined ? undefined : Number(opts.duration);
      if (duration !== undefined && !(duration > 0)) {
        throw new SyncError('INVALID_INPUT', '--duration must be a positive number of seconds', {
          hint: 'e.g. --duration 30',
        });
      }
      const say = (l: string) => process.stdout.write(`${l}\n`);
      const demo = await startDemo({ writesPerSec: Number(opts.rate) || 20, say });
      const { default: logUpdate } = await import('log-update');
      const started = Date.now();
      let equal = false;
      try {
        draw(logUpdate, demo, started);
        const timer = setInterval(() => draw(logUpdate, demo, started), 2000);
        await untilDone(duration);
        clearInterval(timer);
        draw(logUpdate, demo, started);
        logUpdate.done();
        equal = await finish(demo);
      } finally {
        process.stdout.write('stopping the service and the servers ...\n');
        await demo.stop();
      }
      process.stdout.write(equal ? 'target equals source. Done.\n'
        : 'target differs from source (see the status above and the logs).\n');
      return equal ? 0 : 1;
    }));
}
