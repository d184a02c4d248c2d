// Capability detection tells a kernel without tun/tap from one whose /dev/net/tun a lab may not
// open. The real probe runs in a child process with a mount namespace of its own, where the test
// puts a device node of the mode it wants over /dev/net/tun (or hides it): the sandbox the probe
// creates inherits that view, the host's /dev is never touched.
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { missingCapabilitiesMessage, tunAccessProblem, type CapabilityStatus } from '../src/index.ts';

const repo = join(import.meta.dirname, '../../..');

/** The tuntap probe's verdict in a private mount namespace prepared by `setup` (bash, as root). */
function probeTuntap(setup: string): Promise<CapabilityStatus> {
  const script = `import('@nslab/driver').then(async (d) => { const r = await d.probeCapabilities(); process.stdout.write(JSON.stringify(r.tuntap)); })`;
  const bash = `set -e; d=$(mktemp -d); mount -t tmpfs -o size=64k,mode=0755 nslab-tun-test "$d"; ${setup}; cd ${JSON.stringify(repo)}; exec node --import tsx -e ${JSON.stringify(script)}`;
  return new Promise((resolve, reject) => {
    execFile('unshare', ['--mount', '--propagation', 'private', '--', 'bash', '-c', bash], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as CapabilityStatus);
    });
  });
}

describe('tun/tap detection on the real kernel', () => {
  it('a device node labs may open: tuntap works', async () => {
    const r = await probeTuntap('mknod -m 0666 "$d/tun" c 10 200; mount --bind "$d/tun" /dev/net/tun');
    expect(r, JSON.stringify(r)).toMatchObject({ ok: true });
  }, 60_000);

  it('mode 0600: the kernel has it, the lab may not open it, and the fix is a chmod', async () => {
    const r = await probeTuntap('mknod -m 0600 "$d/tun" c 10 200; mount --bind "$d/tun" /dev/net/tun');
    expect(r).toMatchObject({ ok: false, cause: 'access', fix: 'chmod 0666 /dev/net/tun' });
    expect(r.detail).toMatch(/^tun\/tap devices \(CONFIG_TUN\): present in the kernel, but \/dev\/net\/tun is mode 0600, so a lab's root .* cannot open it$/);
    expect(missingCapabilitiesMessage(['tuntap', 'vlan'], { tuntap: r, vlan: { ok: false, detail: 'x', cause: 'kernel' } })).toMatch(
      /^this lab needs kernel features this machine lacks: vlan \(.*\)\. Stock Debian\/Ubuntu kernels have them; this lab needs tuntap — tun\/tap devices \(CONFIG_TUN\): present in the kernel, but \/dev\/net\/tun is mode 0600.*\. Fix, as root on the host: chmod 0666 \/dev\/net\/tun; run `nslab doctor`/,
    );
  }, 60_000);

  it('no /dev/net/tun while sysfs lists the driver: the kernel has it, the node is to be made', async () => {
    const r = await probeTuntap('mount -t tmpfs -o size=64k,mode=0755 nslab-net-test /dev/net');
    expect(r).toMatchObject({ ok: false, cause: 'access', fix: 'mkdir -p /dev/net && mknod -m 0666 /dev/net/tun c 10 200' });
  }, 60_000);

  it('neither the node nor the driver in sysfs: the kernel lacks it', async () => {
    const r = await probeTuntap('mount -t tmpfs -o size=64k,mode=0755 nslab-net-test /dev/net; mount -t tmpfs -o size=64k,mode=0755 nslab-misc-test /sys/class/misc');
    expect(r).toMatchObject({ ok: false, cause: 'kernel' });
    expect(r.fix).toBeUndefined();
    expect(r.detail).toMatch(/^tun\/tap devices \(CONFIG_TUN\): /);
  }, 60_000);
});

describe('tunAccessProblem', () => {
  it('reads the mode of the node: only read and write for others let a lab in', () => {
    const d = mkdtempSync(join(tmpdir(), 'nslab-tun-'));
    try {
      const dev = join(d, 'tun');
      writeFileSync(dev, '');
      for (const [mode, shut] of [[0o600, true], [0o660, true], [0o664, true], [0o666, false], [0o606, false]] as const) {
        chmodSync(dev, mode);
        const p = tunAccessProblem('open: Permission denied', dev, join(d, 'no-sysfs'));
        if (shut) expect(p, mode.toString(8)).toMatchObject({ fix: `chmod 0666 ${dev}`, detail: expect.stringContaining(`is mode 0${mode.toString(8)}`) });
        // Mode is fine, yet refused: something above the mode (a container's device rules); no chmod helps.
        else expect(p, mode.toString(8)).toEqual({ detail: expect.stringContaining('docker: --device') });
      }
      expect(tunAccessProblem('open: No such device', dev, join(d, 'no-sysfs'))).toBeNull();
      expect(tunAccessProblem('open: No such file or directory', join(d, 'none'), join(d, 'no-sysfs'))).toBeNull();
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
