/**
 * Calls `onChange` when the config file changes. Watches the folder rather than the file:
 * the store saves atomically (temp file + rename), which replaces the inode a file watch
 * would follow. Debounced, and filtered by content so status-file writes in the same
 * folder and no-op saves do not trigger reloads.
 */
import { watch, readFileSync, type FSWatcher } from 'node:fs';
import path from 'node:path';

export interface ConfigWatcher {
  close(): void;
}

function contentOf(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    // a config file that is missing or being replaced counts as no content
    return null;
  }
}

export function watchConfig(file: string, onChange: () => void, debounceMs = 300): ConfigWatcher {
  let last = contentOf(file);
  let timer: NodeJS.Timeout | null = null;
  const check = () => {
    timer = null;
    const now = contentOf(file);
    if (now === null || now === last) return;
    last = now;
    onChange();
  };
  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(path.dirname(file), { persistent: false }, (_event, name) => {
      if (name !== null && name !== path.basename(file)) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(check, debounceMs);
    });
    watcher.on('error', () => undefined);
  } catch {
    // No watch support (e.g. some network file systems): SIGHUP still reloads.
  }
  return {
    close() {
      if (timer) clearTimeout(timer);
      watcher?.close();
    },
  };
}
