/**
 * Run real `npm` (npm run <script> ...) the way a person types it, with a timeout.
 */
import { spawn } from 'node:child_process';

export interface NpmResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runNpm(args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number; signalAfterMs?: number }): Promise<NpmResult> {
  return new Promise((resolve) => {
    const child = spawn('npm', args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const kill = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    const int = opts.signalAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGINT'), opts.signalAfterMs);
    child.on('close', (code) => {
      clearTimeout(kill);
      if (int) clearTimeout(int);
      resolve({ code, stdout, stderr });
    });
  });
}
