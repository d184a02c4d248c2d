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
  oidc: { kind: 'oidc', help: "sign-in through the school's OpenID Connect provider (see OIDC_RULES)" },
  stuckMinutes: { kind: 'number', min: 1, max: 24 * 60, help: 'a grid cell is "stuck" when the same check has failed this long' },
  labsPerStudent: { kind: 'number', min: 1, max: 1000, help: "labs one student may have running at once (on top of limits.labs for the server)" },
  namespacesPerStudent: { kind: 'number', min: 1, max: 100_000, help: "namespaces summed over one student's running labs (on top of limits.namespacesPerLab)" },
  terminalsPerStudent: { kind: 'number', min: 1, max: 10_000, help: "web terminals open at once over one student's labs (on top of limits.terminalsPerLab)" },
  capturesPerStudent: { kind: 'number', min: 1, max: 1000, help: "packet captures running at once over one student's labs (on top of limits.capturesPerLab)" },
  idleStopMinutes: { kind: 'number', min: 0, max: 7 * 24 * 60, help: "a student's lab with no client and no activity this long is stopped (saved) and started again when they come back; 0: never" },
  checkRetentionDays: { kind: 'number', min: 0, max: 36_500, help: 'recorded checks older than this are deleted (only those of closed assignments and of labs outside assignments); 0: kept forever' },
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
  oidc?: OidcConfig;
  stuckMinutes?: number;
  labsPerStudent?: number;
  namespacesPerStudent?: number;
  terminalsPerStudent?: number;
  capturesPerStudent?: number;
  idleStopMinutes?: number;
  checkRetentionDays?: number;
}

// --- classroom.oidc: sign-in through a school's OpenID Connect provider -------------------------

/** Every key `classroom.oidc` accepts. */
export const OIDC_RULES = {
  issuer: 'the provider\'s issuer URL (https; http only on a loopback host), as its discovery document names it',
  clientId: 'the client id the provider registered for this server',
  clientSecret: 'the client secret, written here (or clientSecretFile)',
  clientSecretFile: 'an absolute path to a file holding the client secret (readable by the server only)',
  redirectUrl: 'the callback URL registered with the provider (default: publicUrl + /api/v1/auth/oidc/callback)',
  publicUrl: 'the URL people open this server at (https://lab.school.example); the redirect URL is derived from it',
  scopes: 'the scopes asked for (a list with openid; default: openid, profile, email)',
  usernameClaim: 'the claim a new account\'s username is made from (default: preferred_username, then email\'s local part)',
  displayNameClaim: 'the claim shown as the account\'s name (default: name)',
  defaultRole: 'the role of a new account: student (default) or instructor',
  allowedEmailDomains: 'only people whose verified email is in one of these domains may sign in (a list)',
  groupsClaim: 'the claim holding the person\'s groups (default: groups)',
  groupRoles: 'group name -> role (admin, instructor, student): set at every sign-in; the highest wins',
} as const;

export type OidcRole = 'admin' | 'instructor' | 'student';

export interface OidcConfig {
  issuer: string;
  clientId: string;
  /** Read from clientSecretFile when that was given. */
  clientSecret?: string;
  redirectUrl: string;
  scopes: string[];
  usernameClaim: string;
  displayNameClaim: string;
  defaultRole: 'student' | 'instructor';
  allowedEmailDomains?: string[];
  groupsClaim: string;
  groupRoles?: Record<string, OidcRole>;
}

const LOOPBACK_URL_HOST = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/i;
const CLAIM_NAME = /^[A-Za-z0-9_.:/-]{1,100}$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** Pure but for reading clientSecretFile: validate `classroom.oidc`. */
export function validateOidcConfig(section: unknown, path: string): OidcConfig {
  const at = (k: string) => `classroom.oidc.${k}`;
  if (typeof section !== 'object' || section === null || Array.isArray(section)) throw new ConfigError(path, 'classroom.oidc', 'must be a mapping of OpenID Connect settings (issuer, clientId, ...)');
  const s = section as Record<string, unknown>;
  for (const k of Object.keys(s)) if (!Object.hasOwn(OIDC_RULES, k)) throw new ConfigError(path, at(k), `unknown setting (known: ${Object.keys(OIDC_RULES).join(', ')})`);
  const str = (k: keyof typeof OIDC_RULES, max = 2048): string | undefined => {
    const v = s[k];
    if (v === undefined || v === null) return undefined;
    // eslint-disable-next-line no-control-regex
    if (typeof v !== 'string' || v.trim() === '' || v.length > max || /[\u0000-\u001f\u007f]/.test(v)) throw new ConfigError(path, at(k), `must be a non-empty string of at most ${max} characters without control characters (${OIDC_RULES[k]})`);
    return v.trim();
  };
  const url = (k: keyof typeof OIDC_RULES): URL | undefined => {
    const v = str(k);
    if (v === undefined) return undefined;
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      throw new ConfigError(path, at(k), `must be an absolute URL (${OIDC_RULES[k]}); got ${JSON.stringify(v)}`);
    }
    if (u.protocol !== 'https:' && !(u.protocol === 'http:' && LOOPBACK_URL_HOST.test(u.hostname))) throw new ConfigError(path, at(k), `must be an https URL (http only on a loopback host); got ${JSON.stringify(v)}`);
    if (u.username || u.password || u.hash) throw new ConfigError(path, at(k), 'must not carry a user, password or #fragment');
    return u;
  };
  const list = (k: keyof typeof OIDC_RULES, check: (x: string) => boolean, what: string): string[] | undefined => {
    const v = s[k];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.length === 0 || v.length > 100) throw new ConfigError(path, at(k), `must be a list of 1 to 100 ${what} (${OIDC_RULES[k]})`);
    return v.map((x, i) => {
      if (typeof x !== 'string' || !check(x)) throw new ConfigError(path, `${at(k)}[${i}]`, `must be ${what.replace(/s$/, '')}; got ${JSON.stringify(x)}`);
      return x;
    });
  };

  const issuer = url('issuer');
  if (!issuer) throw new ConfigError(path, at('issuer'), `is required (${OIDC_RULES.issuer})`);
  if (issuer.search) throw new ConfigError(path, at('issuer'), 'must not carry a ?query');
  const clientId = str('clientId', 512);
  if (!clientId) throw new ConfigError(path, at('clientId'), `is required (${OIDC_RULES.clientId})`);

  const inline = str('clientSecret', 1024);
  const secretFile = str('clientSecretFile');
  if (inline !== undefined && secretFile !== undefined) throw new ConfigError(path, at('clientSecretFile'), 'give clientSecret or clientSecretFile, not both');
  let clientSecret = inline;
  if (secretFile !== undefined) {
    if (!secretFile.startsWith('/')) throw new ConfigError(path, at('clientSecretFile'), `must be an absolute file path; got ${JSON.stringify(secretFile)}`);
    try {
      clientSecret = readFileSync(secretFile, 'utf8').trim();
    } catch (e) {
      throw new ConfigError(path, at('clientSecretFile'), `cannot read it: ${(e as Error).message}`);
    }
    if (!clientSecret) throw new ConfigError(path, at('clientSecretFile'), `${secretFile} is empty`);
  }

  const redirect = url('redirectUrl');
  const publicUrl = url('publicUrl');
  if (redirect && publicUrl) throw new ConfigError(path, at('redirectUrl'), 'give redirectUrl or publicUrl, not both');
  if (!redirect && !publicUrl) throw new ConfigError(path, at('publicUrl'), `is required unless redirectUrl is given (${OIDC_RULES.publicUrl})`);
  if (publicUrl && (publicUrl.pathname !== '/' || publicUrl.search)) throw new ConfigError(path, at('publicUrl'), `must be an origin such as https://lab.school.example (no path or query); got ${JSON.stringify(publicUrl.href)}`);
  if (redirect && redirect.pathname !== '/api/v1/auth/oidc/callback') throw new ConfigError(path, at('redirectUrl'), `must end in /api/v1/auth/oidc/callback (the route that finishes the sign-in); got ${JSON.stringify(redirect.href)}`);
  const redirectUrl = redirect ? redirect.href : new URL('/api/v1/auth/oidc/callback', publicUrl).href;

  const scopes = list('scopes', (x) => /^[\x21\x23-\x5b\x5d-\x7e]{1,100}$/.test(x), 'scope names') ?? ['openid', 'profile', 'email'];
  if (!scopes.includes('openid')) throw new ConfigError(path, at('scopes'), 'must include openid (this is an OpenID Connect sign-in)');
  const claim = (k: 'usernameClaim' | 'displayNameClaim' | 'groupsClaim', dflt: string): string => {
    const v = str(k, 100);
    if (v !== undefined && !CLAIM_NAME.test(v)) throw new ConfigError(path, at(k), `must be a claim name (letters, digits, _ . : / -); got ${JSON.stringify(v)}`);
    return v ?? dflt;
  };
  const role = str('defaultRole', 20) ?? 'student';
  if (role !== 'student' && role !== 'instructor') throw new ConfigError(path, at('defaultRole'), `must be student or instructor (an admin comes only from groupRoles or the shell); got ${JSON.stringify(role)}`);
  const domains = list('allowedEmailDomains', (x) => DOMAIN.test(x.toLowerCase()), 'domain names such as school.example');

  let groupRoles: Record<string, OidcRole> | undefined;
  const gr = s.groupRoles;
  if (gr !== undefined && gr !== null) {
    if (typeof gr !== 'object' || Array.isArray(gr) || Object.keys(gr).length === 0) throw new ConfigError(path, at('groupRoles'), `must be a mapping of group name to role (${OIDC_RULES.groupRoles})`);
    for (const [g, r] of Object.entries(gr)) {
      if (g.length > 256) throw new ConfigError(path, at(`groupRoles.${g.slice(0, 40)}`), 'a group name is at most 256 characters');
      if (r !== 'admin' && r !== 'instructor' && r !== 'student') throw new ConfigError(path, at(`groupRoles.${g}`), `must be admin, instructor or student; got ${JSON.stringify(r)}`);
    }
    // fromEntries: a group called "__proto__" is a key like any other, not the object's prototype.
    groupRoles = Object.fromEntries(Object.entries(gr)) as Record<string, OidcRole>;
  }

  return {
    // As written: providers differ on a trailing slash, and discovery compares it.
    issuer: str('issuer')!,
    clientId,
    ...(clientSecret !== undefined ? { clientSecret } : {}),
    redirectUrl,
    scopes,
    usernameClaim: claim('usernameClaim', 'preferred_username'),
    displayNameClaim: claim('displayNameClaim', 'name'),
    defaultRole: role,
    ...(domains ? { allowedEmailDomains: domains.map((d) => d.toLowerCase()) } : {}),
    groupsClaim: claim('groupsClaim', 'groups'),
    ...(groupRoles ? { groupRoles } : {}),
  };
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
    if (rule.kind === 'oidc') {
      out[k] = validateOidcConfig(v, path);
      continue;
    }
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
