// Pure parts of the lab guide: progress, which step is "current", why a lab cannot run here, and the
// automatic re-check's scheduling (debounced, never more than one in flight).

export function progressText(total: number, passed: number): string {
  return `${Math.min(passed, total)} of ${total} step${total === 1 ? '' : 's'}`;
}

/** How many of `stepIds` are in `passed` (the server may keep ids of steps a lab no longer has). */
export function passedCount(stepIds: readonly string[], passed: ReadonlySet<string>): number {
  return stepIds.filter((id) => passed.has(id)).length;
}

export function firstOpen(stepIds: readonly string[], passed: ReadonlySet<string>): string | null {
  return stepIds.find((id) => !passed.has(id)) ?? null;
}

/**
 * The step the automatic re-check looks at: the expanded one while it is not passed yet, otherwise
 * the first step not passed yet; null when everything passed.
 */
export function currentStep(stepIds: readonly string[], passed: ReadonlySet<string>, expanded: string | null): string | null {
  if (expanded !== null && stepIds.includes(expanded) && !passed.has(expanded)) return expanded;
  return firstOpen(stepIds, passed);
}

// Kept in step with the driver's CAPABILITY_HELP, in a learner's words.
const FEATURE: Record<string, string> = {
  veth: 'veth pairs',
  bridge: 'Linux bridges',
  vlan: '802.1Q VLAN',
  bridge_vlan_filtering: 'bridge VLAN filtering',
  vxlan: 'VXLAN',
  macvlan: 'macvlan',
  ipvlan: 'ipvlan',
  dummy: 'dummy interfaces',
  tuntap: 'tun/tap devices',
  netem: 'netem',
  nat: 'iptables NAT',
};

/** "needs 802.1Q VLAN (vlan), bridge VLAN filtering (bridge_vlan_filtering) — this machine's kernel lacks them" */
export function missingMessage(missing: readonly string[]): string {
  const order = Object.keys(FEATURE);
  const rank = (m: string) => (order.includes(m) ? order.indexOf(m) : order.length);
  const names = [...missing].sort((a, b) => rank(a) - rank(b)).map((m) => (FEATURE[m] ? `${FEATURE[m]} (${m})` : m));
  return `needs ${names.join(', ')} — this machine's kernel lacks ${missing.length === 1 ? 'it' : 'them'}`;
}

/** What keeps a lab from running here, as the catalog reports it. */
export interface Unavailable {
  missing: readonly string[];
  blocked?: readonly { capability: string; detail: string; fix?: string }[];
  missingTools?: readonly { tool: string; package: string }[];
}

export function isUnavailable(u: Unavailable): boolean {
  return u.missing.length > 0 || (u.missingTools?.length ?? 0) > 0;
}

/**
 * One sentence per kind of problem: features the kernel lacks, features it has that a lab may not
 * use (with the command that opens them up), commands to install. The first two need different
 * people: another kernel, or one chmod on the server.
 */
export function unavailableReasons(u: Unavailable): string[] {
  const blocked = u.blocked ?? [];
  const kernel = u.missing.filter((m) => !blocked.some((b) => b.capability === m));
  const out: string[] = [];
  if (kernel.length) out.push(missingMessage(kernel));
  for (const b of blocked) {
    // The driver's detail starts with the feature's description; the reason follows its first colon.
    const why = b.detail.includes(': ') ? b.detail.slice(b.detail.indexOf(': ') + 2) : b.detail;
    out.push(`${FEATURE[b.capability] ?? b.capability} (${b.capability}): ${why}${b.fix ? ` — on the server, as root: ${b.fix}` : ''}`);
  }
  const tools = u.missingTools ?? [];
  if (tools.length) {
    const packages = [...new Set(tools.map((t) => t.package))];
    out.push(`needs the ${tools.map((t) => t.tool).join(', ')} command${tools.length === 1 ? '' : 's'} — on the server: apt-get install ${packages.join(' ')}`);
  }
  return out;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
};

/**
 * Runs `run` `delayMs` after the last trigger. While a run is in flight, triggers are remembered
 * and one more run follows it (again after the delay), so at most one is ever in flight and the
 * last change is always checked.
 */
export class Debounced {
  private timer: unknown = null;
  private inFlight = false;
  private pending = false;
  private disposed = false;

  constructor(
    private readonly run: () => Promise<unknown>,
    private readonly delayMs = 800,
    private readonly timers: Timers = realTimers,
  ) {}

  get running(): boolean {
    return this.inFlight;
  }

  trigger(): void {
    if (this.disposed) return;
    if (this.inFlight) {
      this.pending = true;
      return;
    }
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      void this.fire();
    }, this.delayMs);
  }

  private async fire(): Promise<void> {
    if (this.disposed) return;
    this.inFlight = true;
    try {
      await this.run();
    } catch {
      /* the runner reports its own errors */
    } finally {
      this.inFlight = false;
    }
    if (this.pending) {
      this.pending = false;
      this.trigger();
    }
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }
}

/**
 * Whether a lab's command log shows it was started (or solved) as a guided lab: the lab runtime
 * logs its commands as source "lab". Asking the server for the guide of a plain lab answers 404,
 * which browsers report on the console, so the page asks only when it has a reason to.
 */
export function looksGuided(log: readonly { source: string }[]): boolean {
  return log.some((e) => e.source === 'lab');
}

const GUIDED_KEY = (lab: string) => `nslab:guided:${lab}`;

/** Remembers in this browser that `lab` is a guided lab (started here, or its guide was seen). */
export function rememberGuided(lab: string, guided: boolean): void {
  try {
    if (guided) localStorage.setItem(GUIDED_KEY(lab), '1');
    else localStorage.removeItem(GUIDED_KEY(lab));
  } catch {
    /* storage unavailable: the command log still tells */
  }
}

export function rememberedGuided(lab: string): boolean {
  try {
    return localStorage.getItem(GUIDED_KEY(lab)) === '1';
  } catch {
    return false;
  }
}
