// Guide progress and the automatic re-check's scheduling (fake timers, no browser).
import { describe, expect, it } from 'vitest';
import { currentStep, Debounced, firstOpen, isUnavailable, missingMessage, passedCount, progressText, unavailableReasons, type Timers } from '../src/guide/progress.ts';

const steps = ['namespaces', 'veth', 'addresses', 'loopback'];

describe('progress', () => {
  it('counts passed steps of this lab only', () => {
    expect(progressText(4, 2)).toBe('2 of 4 steps');
    expect(progressText(1, 0)).toBe('0 of 1 step');
    expect(passedCount(steps, new Set(['veth', 'gone']))).toBe(1);
  });

  it('picks the expanded step while open, else the first open one', () => {
    expect(firstOpen(steps, new Set(['namespaces']))).toBe('veth');
    expect(currentStep(steps, new Set(), null)).toBe('namespaces');
    expect(currentStep(steps, new Set(), 'addresses')).toBe('addresses');
    expect(currentStep(steps, new Set(['namespaces']), 'namespaces')).toBe('veth');
    expect(currentStep(steps, new Set(['namespaces']), 'nope')).toBe('veth');
    expect(currentStep(steps, new Set(steps), null)).toBeNull();
  });

  it('names the missing kernel features', () => {
    expect(missingMessage(["bridge_vlan_filtering", "vlan"])).toBe(
      "needs 802.1Q VLAN (vlan), bridge VLAN filtering (bridge_vlan_filtering) — this machine's kernel lacks them",
    );
    expect(missingMessage(['frob'])).toBe("needs frob — this machine's kernel lacks it");
  });

  it('tells a feature the kernel lacks from one a lab may not open, and names packages to install', () => {
    const tun = {
      capability: 'tuntap',
      detail: "tun/tap devices (CONFIG_TUN): present in the kernel, but /dev/net/tun is mode 0600, so a lab's root (an unprivileged user on the host) cannot open it",
      fix: 'chmod 0666 /dev/net/tun',
    };
    expect(unavailableReasons({ missing: ['vlan', 'tuntap'], blocked: [tun], missingTools: [{ tool: 'socat', package: 'socat' }, { tool: 'iptables-save', package: 'iptables' }, { tool: 'iptables', package: 'iptables' }] })).toEqual([
      "needs 802.1Q VLAN (vlan) — this machine's kernel lacks it",
      "tun/tap devices (tuntap): present in the kernel, but /dev/net/tun is mode 0600, so a lab's root (an unprivileged user on the host) cannot open it — on the server, as root: chmod 0666 /dev/net/tun",
      'needs the socat, iptables-save, iptables commands — on the server: apt-get install socat iptables',
    ]);
    // Only a device problem: nothing says the kernel lacks anything.
    expect(unavailableReasons({ missing: ['tuntap'], blocked: [tun] }).join(' ')).not.toContain('kernel lacks');
    expect(isUnavailable({ missing: [], missingTools: [{ tool: 'tcpdump', package: 'tcpdump' }] })).toBe(true);
    expect(isUnavailable({ missing: [], blocked: [], missingTools: [] })).toBe(false);
    expect(unavailableReasons({ missing: [] })).toEqual([]);
  });
});

/** Manual clock: timers fire only when the test advances time. */
function clock() {
  let now = 0;
  let next = 1;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const t: Timers = {
    setTimeout: (fn, ms) => {
      const id = next++;
      timers.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout: (h) => void timers.delete(h as number),
  };
  const advance = async (ms: number) => {
    const end = now + ms;
    for (;;) {
      const due = [...timers.entries()].filter(([, v]) => v.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      timers.delete(due[0]);
      now = due[1].at;
      due[1].fn();
      await flush();
    }
    now = end;
    await flush();
  };
  return { t, advance, pending: () => timers.size };
}
const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

function deferredRunner() {
  const calls: (() => void)[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const run = () =>
    new Promise<void>((resolve) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      calls.push(() => {
        inFlight--;
        resolve();
      });
    });
  return { run, calls, max: () => maxInFlight };
}

describe('Debounced re-check', () => {
  it('runs once, delay after the last of a burst of changes', async () => {
    const c = clock();
    const r = deferredRunner();
    const d = new Debounced(r.run, 800, c.t);
    d.trigger();
    await c.advance(500);
    d.trigger();
    await c.advance(500);
    d.trigger();
    await c.advance(799);
    expect(r.calls).toHaveLength(0);
    await c.advance(1);
    expect(r.calls).toHaveLength(1);
    expect(d.running).toBe(true);
  });

  it('never runs two at once, and checks again once after changes made during a run', async () => {
    const c = clock();
    const r = deferredRunner();
    const d = new Debounced(r.run, 800, c.t);
    d.trigger();
    await c.advance(800);
    expect(r.calls).toHaveLength(1);
    d.trigger();
    d.trigger();
    await c.advance(5000);
    expect(r.calls).toHaveLength(1); // still in flight: nothing new starts
    r.calls[0]!();
    await flush();
    expect(d.running).toBe(false);
    await c.advance(800);
    expect(r.calls).toHaveLength(2); // one follow-up for both triggers
    r.calls[1]!();
    await c.advance(5000);
    expect(r.calls).toHaveLength(2);
    expect(r.max()).toBe(1);
  });

  it('keeps going after a failed run, and stops when disposed', async () => {
    const c = clock();
    let n = 0;
    const d = new Debounced(
      async () => {
        n++;
        throw new Error('server down');
      },
      100,
      c.t,
    );
    d.trigger();
    await c.advance(100);
    d.trigger();
    await c.advance(100);
    expect(n).toBe(2);
    d.trigger();
    d.dispose();
    await c.advance(1000);
    expect(n).toBe(2);
    expect(c.pending()).toBe(0);
  });
});

describe('looksGuided', () => {
  it('is true once the lab runtime ran something in the lab', async () => {
    const { looksGuided } = await import('../src/guide/progress.ts');
    expect(looksGuided([])).toBe(false);
    expect(looksGuided([{ source: 'ui' }, { source: 'api' }, { source: 'kernel' }])).toBe(false);
    expect(looksGuided([{ source: 'ui' }, { source: 'lab' }])).toBe(true);
  });
});
