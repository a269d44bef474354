/**
 * What every pipeline (schema, routines, data, poll, verify) is given: the pair's settings,
 * its two connections, a logger, a stop signal and the status sink. A leaf module: the pair
 * composes pipelines and builds this; pipelines never import the pair.
 */
import type { Config, ConnectionConfig, SyncPairConfig } from './config/schema.js';
import type { Logger } from './log.js';
import type { StatusSink } from './status.js';

export interface PipelineContext {
  config: Config;
  pair: SyncPairConfig;
  source: ConnectionConfig;
  target: ConnectionConfig;
  logger: Logger;
  signal: AbortSignal;
  status: StatusSink;
}
