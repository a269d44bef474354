/**
 * The DEFINER rule. A programmable object on the target keeps the source's DEFINER when that
 * account exists on the target (mysql.user, readable by the target user); otherwise, or when
 * the account list cannot be read, it is created with DEFINER=CURRENT_USER (the target
 * connection's account). Diff treats exactly that rewrite as equal, so it does not recur.
 */
import { quoteId } from '../db/quote.js';
import type { Definer } from './model.js';

export interface DefinerEnv {
  /** `user@host` keys of the target's accounts, or null when they cannot be read. */
  accounts: Set<string> | null;
  /** CURRENT_USER() of the target connection. */
  currentUser: Definer | null;
}

const ID = "`(?:[^`]|``)*`|'(?:[^']|'')*'|[^\\s@`']+";
const DEFINER_RE = new RegExp(`DEFINER=(${ID})@(${ID})\\s+`);

function unquote(s: string): string {
  if (s.startsWith('`')) return s.slice(1, -1).replace(/``/g, '`');
  if (s.startsWith("'")) return s.slice(1, -1).replace(/''/g, "'");
  return s;
}

/** `user@host` as information_schema prints it (split at the last @). */
export function parseDefinerPlain(s: string | null | undefined): Definer | null {
  if (!s) return null;
  const at = s.lastIndexOf('@');
  return at < 0 ? { user: s, host: '' } : { user: s.slice(0, at), host: s.slice(at + 1) };
}

/** Find `DEFINER=`u`@`h` ` in a CREATE text; returns the definer and the text without it. */
export function extractDefiner(createText: string): { definer: Definer | null; rest: string } {
  const m = DEFINER_RE.exec(createText);
  if (!m) return { definer: null, rest: createText };
  return {
    definer: { user: unquote(m[1] as string), host: unquote(m[2] as string) },
    rest: createText.slice(0, m.index) + createText.slice(m.index + m[0].length),
  };
}

const key = (d: Definer) => `${d.user}@${d.host}`;

export function definerExists(d: Definer | null, env: DefinerEnv): boolean {
  return d !== null && env.accounts !== null && env.accounts.has(key(d));
}

/** The DEFINER clause value to use on the target. */
export function targetDefiner(d: Definer | null, env: DefinerEnv): string {
  if (d && definerExists(d, env)) return `${quoteId(d.user)}@${quoteId(d.host)}`;
  return 'CURRENT_USER';
}

export function definersMatch(source: Definer | null, target: Definer | null, env: DefinerEnv): boolean {
  if (source && target && key(source) === key(target)) return true;
  if (definerExists(source, env)) return false;
  return target !== null && env.currentUser !== null && key(target) === key(env.currentUser);
}
