// The server's config file (YAML): for now its `limits` section, read by `nslab serve`, by the CLI
// when it deploys (sandbox limits) and by `nslab doctor`. Every key is checked; a bad one names the
// field and the rule, and nothing is applied.
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

/** Pure: validate a parsed config document. */
export function validateConfig(doc: unknown, path: string): ConfigLimits {
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(path, '(top level)', 'must be a mapping with a `limits` section');
  for (const k of Object.keys(doc)) if (k !== 'limits') throw new ConfigError(path, k, 'unknown section (known: limits)');
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
    return { path: null, limits: {} };
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
  configureSandboxLimits(sandboxLimitsOf(limits));
  return { path: file, limits };
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
