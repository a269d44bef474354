import type { Command } from 'commander';
import { LOG_LEVELS, type LogLevel } from '../../core/config/schema.js';
import { SyncError } from '../../core/errors.js';
import { runPair } from '../../core/pair/sync-pair.js';
import { DAEMON_ENV, startDaemon, stopDaemon } from '../../daemon/control.js';
import { runService } from '../../daemon/main.js';
import { runningPid } from '../../daemon/pid-file.js';
import { formatDuration, lagText, stateLabel } from '../views/status-view.js';
import { action, CliExit } from '../run.js';
import { openStore } from '../context.js';
import { VERSION } from '../version.js';
import { readServiceStatus } from './status.js';

interface StartOptions {
  daemon?: boolean;
  logLevel?: string;
  metricsPort?: string;
}

function parseStart(opts: StartOptions): { logLevel?: LogLevel; metricsPort?: number; args: string[] } {
  const args: string[] = [];
  let logLevel: LogLevel | undefined;
  let metricsPort: number | undefined;
  if (opts.logLevel !== undefined) {
    if (!(LOG_LEVELS as readonly string[]).includes(opts.logLevel)) {
      throw new SyncError('INVALID_INPUT', `--log-level must be one of ${LOG_LEVELS.join(', ')}`, {
        hint: 'e.g. --log-level debug',
      });
    }
    logLevel = opts.logLevel as LogLevel;
    args.push('--log-level', logLevel);
  }
  if (opts.metricsPort !== undefined) {
    metricsPort = Number(opts.metricsPort);
    if (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65535) {
      throw new SyncError('INVALID_INPUT', `--metrics-port must be a port number, got "${opts.metricsPort}"`, {
        hint: 'e.g. --metrics-port 9464',
      });
    }
    args.push('--metrics-port', String(metricsPort));
  }
  return { logLevel, metricsPort, args };
}

async function start(opts: StartOptions): Promise<number> {
  const store = openStore();
  const parsed = parseStart(opts);
  if (opts.daemon) {
    store.load(); // refuse an invalid config here, with its message, rather than in the log
    const pid = await startDaemon(store.paths, parsed.args);
    process.stdout.write(`service started (PID ${pid}); logs in ${store.paths.logDir}\n`);
    return 0;
  }
  const foreground = process.env[DAEMON_ENV] !== '1';
  const code = await runService({
    store, runPair, version: VERSION, logLevel: parsed.logLevel, metricsPort: parsed.metricsPort,
    stderr: foreground,
    onStarted: () => {
      if (foreground) process.stdout.write(`service running (PID ${process.pid}); Ctrl-C stops it\n`);
    },
  });
  // A connection an engine left open must not keep a stopped service alive.
  setTimeout(() => process.exit(code), 1000).unref();
  return code;
}

async function stop(): Promise<number> {
  const store = openStore();
  const result = await stopDaemon(store.paths);
  if (result.pid === null) {
    process.stdout.write('service not running\n');
    return 0;
  }
  if (!result.stopped) {
    throw new SyncError('SERVICE_STOP_TIMEOUT', `the service (PID ${result.pid}) did not stop within 20 s`, {
      hint: `It may be finishing a large transaction; wait and retry, or force it with \`kill -9 ${result.pid}\``
        + ' (the next start resumes from the last checkpoint).',
    });
  }
  process.stdout.write(`service stopped (PID ${result.pid})\n`);
  return 0;
}

function status(): number {
  const store = openStore();
  const pid = runningPid(store.paths.pidFile);
  const { doc, alive } = readServiceStatus(store);
  if (pid === null) throw new CliExit(3, 'service not running');
  const up = doc && alive ? `, up ${formatDuration((Date.now() - Date.parse(doc.service.startedAt)) / 1000)}` : '';
  const lines = [`service running (PID ${pid}${up})`];
  for (const p of doc?.pairs ?? []) {
    const failed = (p.state === 'retrying' || p.state === 'error') ? p.lastError : null;
    const err = failed ? ` (${failed.code}: ${failed.message})` : '';
    const lag = lagText(p, new Date());
    const lagPart = p.lagMs === null ? '' : `, ${lag.startsWith('caught') ? '' : 'lag '}${lag}`;
    lines.push(`  ${p.name}: ${stateLabel(p)}${lagPart}${err}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

export function registerServiceCommands(program: Command): void {
  const service = program.command('service').description('Run db-sync as a long-lived service');
  const withStartOptions = (c: Command) => c
    .option('--log-level <level>', `log level for this run (${LOG_LEVELS.join('|')}), overrides settings.logLevel`)
    .option('--metrics-port <port>',
      'serve /metrics and /healthz on 127.0.0.1:<port> (overrides settings.metricsPort)');
  withStartOptions(service.command('start').description('Start the service (foreground until Ctrl-C, or --daemon)')
    .option('--daemon', 'detach and run in the background; returns once the service is up'))
    .action(action((opts: StartOptions) => start(opts)));
  service.command('stop').description('Stop the running service (SIGTERM, waits up to 20 s)').action(action(stop));
  withStartOptions(service.command('restart')
    .description('Stop the running service, then start it again in the background'))
    .action(action(async (opts: StartOptions) => {
      await stop();
      return start({ ...opts, daemon: true });
    }));
  service.command('status').description('Is the service running? (exit 0 running, 3 not running)')
    .action(action(status));
}
