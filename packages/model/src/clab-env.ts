// Environment variables in containerlab files. containerlab expands them in the file's text
// before reading the YAML (hellt/envsubst, "restricted, no replace, no digit"):
//
//   $VAR, ${VAR}       the value; left as written when unset or empty
//   ${VAR:=default}    the value when set and not empty, else default (also ${VAR:-default})
//   ${VAR=default}     the value when set (even empty), else default (also ${VAR-default})
//   ${VAR:+alt}        alt when VAR is set, else nothing (also ${VAR+alt})
//   $$                 a literal $; $1 and ${1} stay as written
//
// A `${` with no `}` on its line is an error there too. Pure: the caller passes the environment.
import type { Warning } from './issue.ts';
import { TopologyError } from './issue.ts';

export type Env = Readonly<Record<string, string | undefined>>;

export interface EnvExpansion {
  text: string;
  /** Variables left as written (unset or empty, no default), in order of first use. */
  unset: string[];
}

export class EnvSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly column: number,
    message: string,
  ) {
    super(message);
    this.name = 'EnvSyntaxError';
  }
}

const IDENT = /[\p{L}\p{N}_]/u;
const OPERATORS = [':=', ':-', ':+', '=', '-', '+'];

export function expandEnv(text: string, env: Env): EnvExpansion {
  const unset: string[] = [];
  const get = (name: string): string | undefined => (Object.prototype.hasOwnProperty.call(env, name) ? env[name] : undefined);
  // The variable's own text when it would expand to nothing: no-replace keeps unknowns visible.
  const value = (name: string, written: string): string => {
    const v = get(name);
    if (v === undefined || v === '') {
      if (!unset.includes(name)) unset.push(name);
      return written;
    }
    return v;
  };
  let out = '';
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf('$', i);
    if (dollar < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, dollar);
    i = dollar;
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next !== undefined && /[0-9]/.test(next)) {
      out += `$${next}`;
      i += 2;
    } else if (next === '{' && /[0-9]/.test(text[i + 2] ?? '')) {
      out += '${';
      i += 2;
    } else if (next === '{') {
      const end = closingBrace(text, i);
      out += substitute(text.slice(i + 2, end), text.slice(i, end + 1));
      i = end + 1;
    } else if (next !== undefined && IDENT.test(next)) {
      let j = i + 1;
      while (j < text.length && IDENT.test(text[j]!)) j++;
      const name = text.slice(i + 1, j);
      out += name === '_' ? '$_' : value(name, text.slice(i, j));
      i = j;
    } else {
      out += '$';
      i++;
    }
  }
  return { text: out, unset };

  function substitute(body: string, written: string): string {
    let n = 0;
    while (n < body.length && IDENT.test(body[n]!)) n++;
    const name = body.slice(0, n);
    if (name === '') return written;
    const rest = body.slice(n);
    const op = OPERATORS.find((o) => rest.startsWith(o));
    const word = op === undefined ? '' : rest.slice(op.length);
    // A default may itself be a variable ($NAME); anything else is literal text.
    const dflt = (): string => (/^\$[\p{L}\p{N}_]+$/u.test(word) ? value(word.slice(1), word) : word);
    const v = get(name);
    // envsubst treats an empty default as no default at all.
    if (op === undefined || word === '') return value(name, written);
    if (op === ':=' || op === ':-') return v !== undefined && v !== '' ? v : dflt();
    if (op === '=' || op === '-') return v === undefined ? dflt() : value(name, written);
    return v !== undefined ? dflt() : '';
  }
}

/** Index of the `}` closing the `${` at `start`; it must be on the same line. */
function closingBrace(text: string, start: number): number {
  for (let j = start + 2; j < text.length; j++) {
    const ch = text[j]!;
    if (ch === '}') return j;
    if (ch === '\n' || ch === '\r') break;
  }
  const before = text.slice(0, start);
  const line = before.split('\n').length;
  const column = start - before.lastIndexOf('\n');
  throw new EnvSyntaxError(line, column, `line ${line}, column ${column}: \`\${\` has no closing \`}\` on its line (containerlab expands environment variables as \${NAME} or \${NAME:=default})`);
}

/**
 * A containerlab file's text with its variables expanded from `env` (undefined: no environment at
 * all, as for a server reading a stranger's file: only defaults apply), and the warning for those
 * left as written. A `${` without its `}` is an issue on field `yaml`, rule `env`.
 */
export function expandClabText(text: string, env: Env | undefined): { text: string; warning?: Warning } {
  let r: EnvExpansion;
  try {
    r = expandEnv(text, env ?? {});
  } catch (e) {
    if (e instanceof EnvSyntaxError) throw new TopologyError([{ field: 'yaml', rule: 'env', message: e.message }]);
    throw e;
  }
  if (r.unset.length === 0) return { text: r.text };
  const names = r.unset.join(', ');
  const message = env === undefined
    ? `environment variables are not read here, only their defaults (\${NAME:=default}); left as written: ${names}`
    : `environment variables not set and without a default, left as written: ${names}`;
  return { text: r.text, warning: { field: 'yaml', message } };
}
