/**
 * Connections for comparing and repairing a pair's tables (verify and polling's
 * reconciliation), and the pair's table selection on both sides.
 */
import type { ConnectionConfig, SyncPairConfig } from '../config/schema.js';
import { openConnection, type Db } from '../db/connection.js';
import { prepareApplySession } from '../db/session.js';
import { SyncError } from '../errors.js';
import { listSyncedTables } from '../db/table-info.js';
import { hasCrc32c } from './side.js';
import type { HashAlgo } from './canonical.js';
import { tableFilter } from '../table-filter.js';
import type { VerifyConnections } from './verify-table.js';

export async function openVerifyConnections(input: { source: ConnectionConfig; target: ConnectionConfig },
  write: boolean, hash: HashAlgo | 'auto' = 'auto'): Promise<VerifyConnections> {
  const opened: Db[] = [];
  try {
    const source = await openConnection(input.source);
    opened.push(source);
    const target = await openConnection(input.target);
    opened.push(target);
    let targetWrite: Db | undefined;
    if (write) {
      targetWrite = await openConnection(input.target);
      opened.push(targetWrite);
      await prepareApplySession(targetWrite);
    }
    const crc = hash === 'md5' ? false : (await hasCrc32c(source)) && (await hasCrc32c(target));
    if (hash === 'crc' && !crc) {
      throw new SyncError('VERIFY_HASH_UNAVAILABLE',
        'the crc row hash needs CRC32C() on both servers (MariaDB 10.8 or later)',
        { hint: 'Use --hash md5 (or auto).' });
    }
    return {
      source, target, targetWrite, sourceSchema: input.source.database, targetSchema: input.target.database,
      hash: crc ? 'crc' : 'md5',
    };
  } catch (err) {
    await Promise.all(opened.map((d) => d?.close()));
    throw err;
  }
}

export async function closeVerifyConnections(conns: VerifyConnections | undefined): Promise<void> {
  if (!conns) return;
  await Promise.all([conns.source?.close(), conns.target?.close(), conns.targetWrite?.close()]);
}

export async function selectTables(conns: VerifyConnections, pair: SyncPairConfig,
  only?: string[]): Promise<{ tables: string[]; onlyOnTarget: string[] }> {
  const keep = tableFilter(pair);
  const src = await listSyncedTables(conns.source, conns.sourceSchema, keep);
  const dst = await listSyncedTables(conns.target, conns.targetSchema, keep);
  if (only && only.length > 0) {
    const unknown = only.filter((t) => !src.includes(t));
    if (unknown.length > 0) {
      throw new SyncError('VERIFY_UNKNOWN_TABLE', `not a synced table of pair "${pair.name}": ${unknown.join(', ')}`, {
        hint: `Synced tables: ${src.slice(0, 20).join(', ') || '(none)'}. `
          + 'Check the name and the pair\'s include/exclude patterns.',
      });
    }
    return { tables: only, onlyOnTarget: [] };
  }
  return { tables: src, onlyOnTarget: dst.filter((t) => !src.includes(t)) };
}
