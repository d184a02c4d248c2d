// The server's config file (YAML): its `limits` section, read by `nslab serve`, by the CLI when it
// deploys (sandbox limits) and by `nslab doctor`; its `classroom` section, read by `nslab serve`
// and `nslab user`. Every key is checked; a bad one names the field and the rule, and nothing is
// applied.
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { configureSandboxLimits, DEFAULT_SANDBOX_LIMITS, type SandboxLimits } from './sandbox-limits.ts';

export const DEFAULT_CONFIG_PATH = '/etc/nslab/config.yaml';

interface Rule {
  min: number;
  max: number;
  /** Sizes may be written as 512MiB, 1GiB, 64M... */
  size?: boolean;
  help: string;
}

const MiB = 1024 * 1024;

/** Every key the `limits` section accepts, with its bounds. */
export const LIMIT_RULES = {
  labs: { min: 1, max: 10_000, help: 'labs running at once on this server' },
  namespacesPerLab: { min: 1, max: 100_000, help: 'network namespaces per lab (API cap and kernel counter)' },
  linksPerLab: { min: 1, max: 1_000_000, help: 'links per lab (API cap)' },
  terminalsPerLab: { min: 1, max: 1024, help: 'web terminals open at once per lab' },
  capturesPerLab: { min: 1, max: 64, help: 'packet captures running at once per lab' },
  mutationsPerMinute: { min: 1, max: 1_000_000, help: 'state-changing requests per lab and client per minute' },
  execTimeoutMs: { min: 100, max: 3_600_000, help: 'longest exec request (ms)' },
  processesPerLab: { min: 32, max: 1_000_000, help: "processes (and threads) alive at once in one lab" },
  memoryPerLab: { min: 64 * MiB, max: 2 ** 50, size: true, help: "memory of one lab's processes, tmpfs files included" },
  ptysPerLab: { min: 1, max: 1024, help: 'pseudo-terminals a lab may open by hand' },
} satisfies Record<string, Rule>;

export type LimitKey = keyof typeof LIMIT_RULES;
export type ConfigLimits = Partial<Record<LimitKey, number>>;

export interface NslabConfig {
  /** The file read, or null when none was given and the default path does not exist. */
  path: string | null;
  limits: ConfigLimits;
  /** The `classroom` section as written (absent keys absent); {} when there is none. */
  classroom: ClassroomConfig;
}

/** Every key the `classroom` section accepts (numbers are whole, within bounds). */
export const CLASSROOM_RULES = {
  enabled: { kind: 'boolean', help: 'serve in classroom mode (accounts) without --classroom' },
  database: { kind: 'path', help: 'the SQLite file (default: /var/lib/nslab/classroom.db)' },
  sessionIdleHours: { kind: 'number', min: 1, max: 24 * 30, help: 'a session ends after this long unused' },
  sessionMaxDays: { kind: 'number', min: 1, max: 90, help: 'a session ends after this long at most' },
  joinCodeHours: { kind: 'number', min: 1, max: 24 * 90, help: 'how long a new join code works' },
  loginFailures: { kind: 'number', min: 1, max: 1000, help: 'failed sign-ins per account per 15 minutes before it is locked for the rest of them' },
  signInPerMinute: { kind: 'number', min: 1, max: 100_000, help: 'sign-in and join requests per client address per minute' },
  secureCookies: { kind: 'auto-boolean', help: "the session cookie's Secure flag: auto (on https requests), true (behind a TLS proxy), false" },
} as const;

export interface ClassroomConfig {
  enabled?: boolean;
  database?: string;
  sessionIdleHours?: number;
  sessionMaxDays?: number;
  joinCodeHours?: number;
  loginFailures?: number;
  signInPerMinute?: number;
  secureCookies?: 'auto' | boolean;
}

/** Pure: validate the `classroom` section of a parsed config document. */
export function validateClassroomConfig(section: unknown, path: string): ClassroomConfig {
  if (section === undefined || section === null) return {};
  if (typeof section !== 'object' || Array.isArray(section)) throw new ConfigError(path, 'classroom', 'must be a mapping of classroom settings');
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(section)) {
    const field = `classroom.${k}`;
    const rule = (CLASSROOM_RULES as Record<string, { kind: string; min?: number; max?: number; help: string }>)[k];
    if (!rule) throw new ConfigError(path, field, `unknown setting (known: ${Object.keys(CLASSROOM_RULES).join(', ')})`);
    if (rule.kind === 'boolean' && typeof v !== 'boolean') throw new ConfigError(path, field, `must be true or false (${rule.help})`);
    if (rule.kind === 'auto-boolean' && typeof v !== 'boolean' && v !== 'auto') throw new ConfigError(path, field, `must be auto, true or false (${rule.help})`);
    if (rule.kind === 'path' && (typeof v !== 'string' || !v.startsWith('/') || v.includes('\0'))) throw new ConfigError(path, field, `must be an absolute file path (${rule.help})`);
    if (rule.kind === 'number') {
      if (typeof v !== 'number' || !Number.isInteger(v)) throw new ConfigError(path, field, 'must be a whole number');
      if (v < rule.min! || v > rule.max!) throw new ConfigError(path, field, `must be between ${rule.min} and ${rule.max} (${rule.help}); got ${v}`);
    }
    out[k] = v;
  }
  return out as ClassroomConfig;
}

export class ConfigError extends Error {
  readonly code = 'BAD_CONFIG';
  constructor(
    readonly path: string,
    readonly field: string,
    message: string,
  ) {
    super(`${path}: ${field}: ${message}`);
    this.name = 'ConfigError';
  }
}

const UNITS: Record<string, number> = { '': 1, k: 1024, ki: 1024, kib: 1024, m: MiB, mi: MiB, mib: MiB, g: 1024 * MiB, gi: 1024 * MiB, gib: 1024 * MiB };

function parseSize(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(v);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  return m && unit ? Math.round(Number(m[1]) * unit) : null;
}

const SECTIONS = ['limits', 'classroom'];

/** Pure: validate a parsed config document; returns its limits (see validateClassroomConfig for the rest). */
export function validateConfig(doc: unknown, path: string): ConfigLimits {
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(path, '(top level)', 'must be a mapping with a `limits` or `classroom` section');
  for (const k of Object.keys(doc)) if (!SECTIONS.includes(k)) throw new ConfigError(path, k, `unknown section (known: ${SECTIONS.join(', ')})`);
  const limits = (doc as { limits?: unknown }).limits;
  if (limits === undefined || limits === null) return {};
  if (typeof limits !== 'object' || Array.isArray(limits)) throw new ConfigError(path, 'limits', 'must be a mapping of limit names to numbers');
  const out: ConfigLimits = {};
  for (const [k, v] of Object.entries(limits)) {
    const rule = (LIMIT_RULES as Record<string, Rule>)[k];
    if (!rule) throw new ConfigError(path, `limits.${k}`, `unknown limit (known: ${Object.keys(LIMIT_RULES).join(', ')})`);
    const n = rule.size ? parseSize(v) : typeof v === 'number' ? v : null;
    if (n === null || !Number.isInteger(n)) {
      throw new ConfigError(path, `limits.${k}`, rule.size ? 'must be a size such as 512MiB or 1GiB, or a number of bytes' : 'must be a whole number');
    }
    if (n < rule.min || n > rule.max) throw new ConfigError(path, `limits.${k}`, `must be between ${rule.min} and ${rule.max} (${rule.help}); got ${n}`);
    out[k as LimitKey] = n;
  }
  return out;
}

/**
 * Read the config: `path` if given (it must exist), else NSLAB_CONFIG, else /etc/nslab/config.yaml
 * when present. Applies its sandbox limits to new sandboxes of this process.
 */
export function loadConfig(path?: string): NslabConfig {
  const explicit = path ?? process.env.NSLAB_CONFIG;
  const file = explicit ?? (existsSync(DEFAULT_CONFIG_PATH) ? DEFAULT_CONFIG_PATH : null);
  if (!file) {
    configureSandboxLimits({});
    return { path: null, limits: {}, classroom: {} };
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, '(file)', `cannot read it: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 10 });
  } catch (e) {
    throw new ConfigError(file, '(yaml)', (e as Error).message.split('\n')[0]!);
  }
  const limits = validateConfig(doc, file);
  const classroom = validateClassroomConfig((doc as { classroom?: unknown } | null)?.classroom, file);
  configureSandboxLimits(sandboxLimitsOf(limits));
  return { path: file, limits, classroom };
}

/** The part of the config limits that the kernel holds per sandbox. */
export function sandboxLimitsOf(l: ConfigLimits): Partial<SandboxLimits> {
  const out: Partial<SandboxLimits> = {};
  if (l.processesPerLab !== undefined) out.processes = l.processesPerLab;
  if (l.memoryPerLab !== undefined) out.memoryBytes = l.memoryPerLab;
  if (l.ptysPerLab !== undefined) out.ptys = l.ptysPerLab;
  if (l.namespacesPerLab !== undefined) out.namespaces = l.namespacesPerLab;
  if (l.linksPerLab !== undefined) out.links = l.linksPerLab;
  return out;
}

export { DEFAULT_SANDBOX_LIMITS };
