import type { Command } from 'commander';
import { SyncError } from '../../core/errors.js';
import { LogFollower, logFiles, parseLevel, readLog, type LogFilter, type LogLine } from '../../core/log-reader.js';
import { logRenderer, useColor } from '../views/log-view.js';
import { action } from '../run.js';
import { openStore, shutdownSignal } from '../context.js';

interface LogsFlags {
  follow?: boolean;
  pair?: string;
  level?: string;
  json?: boolean;
  lines: string;
}

function lineLimit(value: string): number | null {
  if (value === 'all') return null;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new SyncError('INVALID_INPUT', `--lines expects a number of lines or "all", got "${value}"`, {
      hint: 'e.g. --lines 50',
    });
  }
  return n;
}

async function showLogs(flags: LogsFlags): Promise<number> {
  const { logDir } = openStore().paths;
  const minLevel = flags.level === undefined ? undefined : parseLevel(flags.level);
  const filter: LogFilter = { pair: flags.pair, minLevel };
  const render = await logRenderer({ json: !!flags.json, color: useColor(process.stdout, process.env) });
  const limit = lineLimit(flags.lines);
  const files = logFiles(logDir);
  const onLine = (line: LogLine) => { process.stdout.write(render(line)); };
  const follower = flags.follow ? new LogFollower(logDir, { filter, onLine }) : null;
  for (const line of readLog(logDir, filter, limit, follower?.startBytes)) process.stdout.write(render(line));
  if (!follower) {
    if (files.length === 0) {
      process.stderr.write(`no log lines yet in ${logDir} (the service writes combined.log there)\n`);
    }
    return 0;
  }
  process.stderr.write(`following ${logDir}/combined.log (Ctrl-C to stop)\n`);
  await follower.run(shutdownSignal());
  return 0;
}

export function registerLogsCommand(program: Command): void {
  program
    .command('logs')
    .description('Show the service log (logs/combined.log and its rotated files) in a readable form')
    .option('--follow', 'keep printing new lines as they are written (across rotations) until Ctrl-C')
    .option('--pair <name>', 'only lines of this sync pair')
    .option('--level <level>', 'only lines at this level or above: debug, info, warn, error')
    .option('--json', 'print the JSON lines as they are in the file')
    .option('--lines <n>', 'how many of the last matching lines to show first ("all" for every line)', '100')
    .addHelpText('after', '\nExamples:\n  db-sync logs --pair shop --level warn\n'
      + '  db-sync logs --follow --json | jq .msg')
    .action(action((flags: LogsFlags) => showLogs(flags)));
}
