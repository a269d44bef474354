/**
 * One log line as `db-sync logs` prints it (the only pino-pretty import): the JSON line as it
 * is with --json, else "[time] LEVEL: [pair] message key=value ..." on one line, coloured only
 * when writing to a terminal and NO_COLOR is not set.
 */
import type { LogLine } from '../../core/log-reader.js';

export interface LogViewOptions {
  json: boolean;
  color: boolean;
}

/** Colour when stdout is a terminal, unless NO_COLOR is set to anything but '' (no-color.org). */
export function useColor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR;
}

/** pino-pretty is loaded here only (~10 MB): no other command needs it. */
export async function logRenderer(o: LogViewOptions): Promise<(line: LogLine) => string> {
  if (o.json) return (line) => `${line.text}\n`;
  const { default: pinoPretty } = await import('pino-pretty');
  const pretty = pinoPretty.prettyFactory({
    colorize: o.color,
    translateTime: "UTC:yyyy-mm-dd HH:MM:ss.l'Z'",
    ignore: 'pid,hostname,pair',
    singleLine: true,
    messageFormat: '{if pair}[{pair}] {end}{msg}',
  });
  return (line) => (line.entry ? pretty(line.entry) : `${line.text}\n`);
}
