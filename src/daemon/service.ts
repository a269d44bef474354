/**
 * The long-lived service: one supervisor per enabled sync pair, status published to the
 * status file, optional metrics, live config reload. It only orchestrates (no SQL).
 */
import type { Config, LogLevel } from '../core/config/schema.js';
import type { ConfigStore } from '../core/config/store.js';
import { toSyncError } from '../core/errors.js';
import { setLogLevel, type Logger } from '../core/log.js';
import { createStatusSink, initialStatus, type PairStatus, type StatusSink } from '../core/status.js';
import { watchConfig, type ConfigWatcher } from './config-watcher.js';
import type { MetricsServer } from './metrics.js';
import type { RetryLimits } from '../core/retry.js';
import { writeStatusFile, type StatusDocument } from './status-file.js';
import { PairSupervisor, type PairRunner } from './supervisor.js';
import type { StandbyPolicy } from '../core/pair/sync-pair.js';

export interface ServiceOptions {
  store: ConfigStore;
  logger: Logger;
  runPair: PairRunner;
  version: string;
  /** --log-level: wins over settings.logLevel, also across reloads. */
  logLevel?: LogLevel;
  /** --metrics-port: wins over settings.metricsPort. */
  metricsPort?: number;
  limits?: Partial<RetryLimits>;
  /** Status file refresh interval (ms). */
  publishEveryMs?: number;
}

interface RunningPair {
  supervisor: PairSupervisor;
  sink: StatusSink;
  /** Pair + its connections + the intervals and throttle limits it runs with, serialized: a change restarts it. */
  definition: string;
  logger: Logger;
}

export function pairDefinition(config: Config, name: string): string {
  const pair = config.syncPairs.find((p) => p.name === name);
  const conn = (n: string | undefined) => config.connections.find((c) => c.name === n) ?? null;
  const s = config.settings;
  const replicas = (pair?.throttleReplicas ?? []).map(conn);
  const throttle = [s.throttleThreadsRunning, s.throttleReplicaLag, s.historyListWarn, ...replicas];
  return JSON.stringify({ pair, source: conn(pair?.source), target: conn(pair?.target),
    pollInterval: s.pollInterval, schemaCheckInterval: s.schemaCheckInterval, throttle });
}

export class SyncService {
  private config: Config;
  private readonly running = new Map<string, RunningPair>();
  /** Pairs whose run is being stopped (disabled, removed or about to restart). */
  private readonly stopping = new Map<string, { done: Promise<void>; sink: StatusSink }>();
  private readonly startedAt = new Date();
  private configLoadedAt = new Date();
  private configError: string | null = null;
  private metrics: MetricsServer | null = null;
  private watcher: ConfigWatcher | null = null;
  private publishTimer: NodeJS.Timeout | null = null;
  private publishSoon: NodeJS.Timeout | null = null;
  private publishing: Promise<void> = Promise.resolve();
  private stopped = false;
  private reloading: Promise<void> = Promise.resolve();
  /** Pairs whose lock this service holds (or is trying to take this instant): capped by settings.maxPairs. */
  private readonly holders = new Set<string>();

  private get maxPairs(): number {
    return this.config.settings.maxPairs ?? Infinity;
  }

  /** The pair's share of the maxPairs slots (one at a time: a run releases it before the next starts). */
  private standbyFor(name: string): StandbyPolicy {
    const policy: StandbyPolicy = {
      hasRoom: () => this.holders.size < this.maxPairs,
      claim: () => {
        if (!policy.hasRoom()) return null;
        this.holders.add(name);
        let given = false;
        return () => {
          if (!given) this.holders.delete(name);
          given = true;
        };
      },
      fullNote: () => `free, but this service already holds maxPairs = ${this.config.settings.maxPairs} pairs`,
    };
    return policy;
  }

  constructor(private readonly options: ServiceOptions) {
    this.config = options.store.load();
  }

  async start(): Promise<void> {
    const { logger } = this.options;
    this.applyLogLevel();
    await this.applyMetrics();
    await this.reconcilePairs();
    this.publishTimer = setInterval(() => this.publish(), this.options.publishEveryMs ?? 1000);
    this.watcher = watchConfig(this.options.store.file, () => void this.reload('config file changed'));
    await this.publish();
    logger.info(
      { pid: process.pid, pairs: [...this.running.keys()], metricsPort: this.metrics?.port ?? null },
      'service started',
    );
    logger.debug({ settings: this.config.settings }, 'settings in force');
  }

  /**
   * Re-read the config and apply it; an invalid file is refused and the old config kept.
   * Reloads run one at a time, but none waits for a slow pair to stop; the returned promise
   * resolves once this reload's stops and starts have all happened.
   */
  reload(reason: string): Promise<void> {
    const applied = this.reloading.then(() => this.reloadNow(reason));
    this.reloading = applied.then(() => undefined);
    return applied.then((settled) => settled);
  }

  private async reloadNow(reason: string): Promise<Promise<void>> {
    if (this.stopped) return Promise.resolve();
    const { logger, store } = this.options;
    try {
      this.config = store.load();
      this.configError = null;
    } catch (err) {
      this.configError = toSyncError(err).message;
      logger.error({ reason, err: this.configError }, 'config reload refused; keeping the running configuration');
      this.schedulePublish();
      return Promise.resolve();
    }
    this.configLoadedAt = new Date();
    this.applyLogLevel();
    logger.info({ reason }, 'config reloaded');
    logger.debug({ settings: this.config.settings }, 'settings in force');
    await this.applyMetrics()
      .catch((err) => logger.error({ err: toSyncError(err).message }, 'metrics endpoint not changed'));
    return this.reconcilePairs();
  }

  private applyLogLevel(): void {
    const level = this.options.logLevel ?? this.config.settings.logLevel;
    setLogLevel(level, this.options.logger);
  }

  private async applyMetrics(): Promise<void> {
    const port = this.options.metricsPort ?? this.config.settings.metricsPort ?? null;
    if ((this.metrics?.port ?? null) === port || (this.metrics && port === 0)) return;
    await this.metrics?.close();
    this.metrics = null;
    if (port !== null) {
      // prom-client (~13 MB) only in a service that serves metrics
      const { startMetricsServer } = await import('./metrics.js');
      this.metrics = await startMetricsServer(port, () => this.statuses());
    }
  }

  /**
   * Start added/enabled pairs, stop removed/disabled ones, restart changed ones. Returns at
   * once; the promise settles when every stop (and the restarts after them) is done. A pair
   * only starts again after its previous run has stopped (never two runs of one pair).
   */
  private reconcilePairs(): Promise<void> {
    const wanted = new Set(this.config.syncPairs.filter((p) => p.enabled).map((p) => p.name));
    const pending: Promise<void>[] = [];
    for (const [name, run] of this.running) {
      if (wanted.has(name) && pairDefinition(this.config, name) === run.definition) continue;
      pending.push(this.stopPair(name, run, wanted.has(name) ? 'definition changed' : 'disabled or removed'));
    }
    // a lowered maxPairs: the last pairs held beyond it restart, find no room and stand by
    const order = this.config.syncPairs.map((p) => p.name);
    const excess = [...this.holders].filter((n) => this.running.has(n))
      .sort((a, b) => order.indexOf(b) - order.indexOf(a)).slice(0, Math.max(0, this.holders.size - this.maxPairs));
    for (const name of excess) pending.push(this.stopPair(name, this.running.get(name)!, 'beyond maxPairs'));
    for (const name of wanted) {
      if (this.running.has(name)) continue;
      const stopping = this.stopping.get(name);
      if (stopping) pending.push(stopping.done.then(() => this.startIfWanted(name)));
      else this.startIfWanted(name);
    }
    this.schedulePublish();
    return Promise.all(pending).then(() => undefined);
  }

  private stopPair(name: string, run: RunningPair, why: string): Promise<void> {
    this.running.delete(name);
    this.options.logger.info({ pair: name, why }, 'stopping pair');
    const stopped = run.supervisor.stop().finally(() => this.stopping.delete(name));
    this.stopping.set(name, { done: stopped, sink: run.sink });
    return stopped;
  }

  private startIfWanted(name: string): void {
    const enabled = this.config.syncPairs.some((p) => p.name === name && p.enabled);
    if (this.stopped || !enabled || this.running.has(name) || this.stopping.has(name)) return;
    this.startPair(name, pairDefinition(this.config, name));
  }

  private startPair(name: string, definition: string): void {
    const logger = this.options.logger.child({ pair: name });
    const sink = createStatusSink(name, true, (s) => this.onPairChange(s));
    const supervisor = new PairSupervisor({
      name, config: () => this.config, runPair: this.options.runPair, logger, status: sink,
      retrySettings: () => this.config.settings, limits: this.options.limits, standby: this.standbyFor(name),
    });
    this.running.set(name, { supervisor, sink, definition, logger });
    supervisor.start();
  }

  private lastStates = new Map<string, string>();

  private onPairChange(s: PairStatus): void {
    if (this.lastStates.get(s.name) !== s.state) {
      this.lastStates.set(s.name, s.state);
      this.options.logger.info({ pair: s.name, state: s.state }, 'pair state');
      this.schedulePublish();
    }
  }

  /** Every configured pair in config order; disabled ones as 'disabled', stopping ones as they are. */
  statuses(): PairStatus[] {
    return this.config.syncPairs.map((p) => {
      const sink = this.running.get(p.name)?.sink ?? this.stopping.get(p.name)?.sink;
      return sink ? { ...sink.current(), enabled: p.enabled } : initialStatus(p.name, p.enabled);
    });
  }

  document(running = !this.stopped): StatusDocument {
    const now = new Date();
    const paths = this.options.store.paths;
    return {
      service: {
        pid: process.pid, startedAt: this.startedAt.toISOString(),
        uptimeSec: Math.round((now.getTime() - this.startedAt.getTime()) / 1000),
        version: this.options.version, running, configFile: paths.configFile, logDir: paths.logDir,
        metricsPort: this.metrics?.port ?? null,
        configLoadedAt: this.configLoadedAt.toISOString(), configError: this.configError,
        maxPairs: this.config.settings.maxPairs ?? null, heldPairs: this.holders.size, updatedAt: now.toISOString(),
      },
      pairs: this.statuses(),
    };
  }

  private schedulePublish(): void {
    if (this.publishSoon || this.stopped) return;
    this.publishSoon = setTimeout(() => {
      this.publishSoon = null;
      void this.publish();
    }, 50);
  }

  /** Serialized writes: the newest document always lands last. */
  private publish(running = true): Promise<void> {
    const doc = this.document(running);
    this.publishing = this.publishing
      .then(() => writeStatusFile(this.options.store.paths.statusFile, doc))
      .catch((err) => {
        this.options.logger.warn({ err: (err as Error).message }, 'cannot write the status file');
      });
    return this.publishing;
  }

  /** Stop every pair (each finishes or rolls back its transaction), then publish running=false. */
  async stop(deadlineMs = 15_000): Promise<boolean> {
    if (this.stopped) return true;
    this.stopped = true;
    const { logger } = this.options;
    logger.info('service stopping');
    this.watcher?.close();
    if (this.publishSoon) clearTimeout(this.publishSoon);
    await this.reloading;
    const stops = [...this.running.values()].map((r) => r.supervisor.stop());
    const drains = [...this.stopping.values()].map((x) => x.done);
    const all = Promise.all([...stops, ...drains]).then(() => true);
    const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), deadlineMs).unref());
    const clean = await Promise.race([all, timeout]);
    if (!clean) logger.error({ deadlineMs }, 'pairs did not stop before the deadline');
    // The periodic write kept showing the pairs' progress while they stopped.
    if (this.publishTimer) clearInterval(this.publishTimer);
    await this.metrics?.close();
    await this.publish(false);
    logger.info({ clean }, 'service stopped');
    return clean;
  }
}
