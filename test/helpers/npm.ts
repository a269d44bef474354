/**
 * Run real `npm` (npm run <script> ...) the way a person types it, with a timeout. npm runs
 * in its own process group and signals go to the whole group, as a terminal's Ctrl-C does
 * (npm, its shell and db-sync all get the SIGINT).
 */
import { spawn } from 'node:child_process';

export interface NpmResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runNpm(args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number; signalAfterMs?: number }): Promise<NpmResult> {
  return new Promise((resolve) => {
    const child = spawn('npm', args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const group = (sig: NodeJS.Signals) => { try { process.kill(-child.pid!, sig); } catch { /* gone */ } };
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const kill = setTimeout(() => group('SIGKILL'), opts.timeoutMs ?? 60_000);
    const int = opts.signalAfterMs === undefined ? undefined : setTimeout(() => group('SIGINT'), opts.signalAfterMs);
    child.on('close', (code) => {
      clearTimeout(kill);
      if (int) clearTimeout(int);
      resolve({ code, stdout, stderr });
    });
  });
}
