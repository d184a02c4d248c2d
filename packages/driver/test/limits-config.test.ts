// The config's `limits` section and how the host's cgroups are found (pure: files given as text).
import { describe, expect, it } from 'vitest';
import { ConfigError, validateConfig, sandboxLimitsOf } from '../src/config.ts';
import { detectCgroupHost } from '../src/cgroup.ts';
import { describeLimits, DEFAULT_SANDBOX_LIMITS } from '../src/sandbox-limits.ts';

describe('config limits', () => {
  it('accepts known limits, sizes with units, and maps the sandbox ones', () => {
    const l = validateConfig({ limits: { processesPerLab: 256, memoryPerLab: '256MiB', ptysPerLab: 16, namespacesPerLab: 40, labs: 10 } }, 'c.yaml');
    expect(l).toEqual({ processesPerLab: 256, memoryPerLab: 256 * 1024 * 1024, ptysPerLab: 16, namespacesPerLab: 40, labs: 10 });
    expect(sandboxLimitsOf(l)).toEqual({ processes: 256, memoryBytes: 256 * 1024 * 1024, ptys: 16, namespaces: 40 });
    expect(validateConfig(null, 'c.yaml')).toEqual({});
  });

  it.each([
    [{ limits: { processesPerLab: 5 } }, 'limits.processesPerLab', 'between 32 and'],
    [{ limits: { memoryPerLab: 'lots' } }, 'limits.memoryPerLab', 'a size such as 512MiB'],
    [{ limits: { memoryPerLab: '1MiB' } }, 'limits.memoryPerLab', 'between'],
    [{ limits: { procesesPerLab: 100 } }, 'limits.procesesPerLab', 'unknown limit (known: labs,'],
    [{ limits: { labs: 1.5 } }, 'limits.labs', 'whole number'],
    [{ limit: {} }, 'limit', 'unknown section'],
    [{ limits: [1] }, 'limits', 'must be a mapping'],
  ])('refuses %j naming the field and the rule', (doc, field, rule) => {
    try {
      validateConfig(doc, 'c.yaml');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).field).toBe(field);
      expect((e as ConfigError).message).toContain(rule);
    }
  });
});

const V1_MOUNTINFO = [
  '30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  '34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
  '36 30 0:33 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer',
  '38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids',
  '40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
].join('\n');

describe('cgroup host detection', () => {
  it('v1: one group per controller, under the server\'s own group', () => {
    const h = detectCgroupHost({ mountinfo: V1_MOUNTINFO, selfCgroup: '8:pids:/\n6:freezer:/\n4:memory:/svc/abc\n0::/\n' }, () => null);
    expect(h.version).toBe(1);
    expect(h.bases).toEqual({ pids: '/sys/fs/cgroup/pids/', memory: '/sys/fs/cgroup/memory/svc/abc', freezer: '/sys/fs/cgroup/freezer/' });
  });

  it('v1 in a container whose mount root is its own group', () => {
    const mi = '38 30 0:35 /docker/x /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids';
    const h = detectCgroupHost({ mountinfo: mi, selfCgroup: '8:pids:/docker/x/sub\n' }, () => null);
    expect(h.bases.pids).toBe('/sys/fs/cgroup/pids/sub');
    expect(h.missing.memory).toContain('memory');
  });

  it('v2: only controllers already delegated to the server\'s group are used', () => {
    const mi = '30 22 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw';
    const delegated = detectCgroupHost({ mountinfo: mi, selfCgroup: '0::/system.slice/nslab.service\n' }, (d) => (d === '/sys/fs/cgroup/system.slice/nslab.service' ? 'cpu memory pids' : null));
    expect(delegated.version).toBe(2);
    expect(delegated.bases.pids).toBe('/sys/fs/cgroup/system.slice/nslab.service');
    expect(delegated.bases.memory).toBe('/sys/fs/cgroup/system.slice/nslab.service');
    const not = detectCgroupHost({ mountinfo: mi, selfCgroup: '0::/user.slice\n' }, () => 'cpu');
    expect(not.version).toBeNull();
    expect(not.missing.pids).toContain('not delegated');
  });

  it('doctor says which mechanism holds each limit', () => {
    const none = describeLimits(DEFAULT_SANDBOX_LIMITS, { version: null, bases: {}, missing: { pids: 'no cgroup hierarchy is mounted', memory: 'no cgroup hierarchy is mounted' } });
    expect(none.find((l) => l.limit === 'processes')!.heldBy).toContain('RLIMIT_NPROC');
    expect(none.find((l) => l.limit === 'memoryBytes')!.kernel).toBe(false);
    const v1 = describeLimits(DEFAULT_SANDBOX_LIMITS, { version: 1, bases: { pids: '/p', memory: '/m' }, missing: {} });
    expect(v1.find((l) => l.limit === 'processes')!.heldBy).toContain('cgroup v1 pids');
    expect(v1.find((l) => l.limit === 'namespaces')!.heldBy).toContain('max_net_namespaces');
  });
});
