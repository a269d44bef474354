/**
 * The status file the service publishes (paths.statusFile, JSON) and `status` reads.
 * Written atomically (temp file + rename), so a reader never sees half a file.
 */
import { readFileSync } from 'node:fs';
import writeFileAtomic from 'write-file-atomic';
import type { PairStatus } from '../core/status.js';

export interface ServiceInfo {
  pid: number;
  startedAt: string;
  uptimeSec: number;
  version: string;
  /** false once the service has stopped (the last write on a clean exit). */
  running: boolean;
  configFile: string;
  logDir: string;
  /** Port of /metrics and /healthz on 127.0.0.1, null when off. */
  metricsPort: number | null;
  /** When the config was last (re)loaded. */
  configLoadedAt: string;
  /** Why the last reload was refused (invalid config), null when it applied. */
  configError: string | null;
  /** settings.maxPairs: the most pairs this service holds at a time, null for no limit. */
  maxPairs: number | null;
  /** Pairs whose lock this service holds now (the others are standbys). */
  heldPairs: number;
  updatedAt: string;
}

export interface StatusDocument {
  service: ServiceInfo;
  pairs: PairStatus[];
}

export function writeStatusFile(file: string, doc: StatusDocument): Promise<void> {
  return writeFileAtomic(file, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
}

/** The last published status, or null when there is none (never started) or it is unreadable. */
export function readStatusFile(file: string): StatusDocument | null {
  try {
    const doc = JSON.parse(readFileSync(file, 'utf8')) as StatusDocument;
    return doc && typeof doc === 'object' && doc.service && Array.isArray(doc.pairs) ? doc : null;
  } catch {
    // missing or half-written status file: no status yet
    return null;
  }
}
