import { describe, expect, it } from 'vitest';
import { parseCounters, samplerArgv, SAMPLER_SCRIPT, Sandbox } from '../src/index.ts';

const hex = (s: string | Buffer) => Buffer.from(s).toString('hex');

describe('counter sampler records', () => {
  it('reads the lab host and each namespace, interface by interface', () => {
    const c = parseCounters(['H', `I ${hex('lo')} 0 0 0 0`, `I ${hex('br0')} 1200 10 800 8`, 'N ns1', `I ${hex('eth0')} 98 1 196 2`, 'N ns2']);
    expect([...c.keys()]).toEqual(['host', 'ns1', 'ns2']);
    expect(c.get('host')!.get('br0')).toEqual({ rxBytes: 1200, rxPackets: 10, txBytes: 800, txPackets: 8 });
    expect(c.get('ns1')!.get('eth0')).toEqual({ rxBytes: 98, rxPackets: 1, txBytes: 196, txPackets: 2 });
    expect(c.get('ns2')!.size).toBe(0);
  });

  it('leaves out namespaces nslab treats as unsafe, with their interfaces', () => {
    const c = parseCounters(['N 123', `I ${hex('eth0')} 1 1 1 1`, 'N host', `I ${hex('eth0')} 1 1 1 1`, 'N -x', `I ${hex('a')} 1 1 1 1`, 'N ok', `I ${hex('b')} 2 2 2 2`]);
    expect([...c.keys()]).toEqual(['ok']);
    expect([...c.get('ok')!.keys()]).toEqual(['b']);
  });

  it('decodes interface names made by hand, drops ones that are not UTF-8, and never trusts a key', () => {
    const c = parseCounters([
      'N ns1',
      `I ${hex('dü\u0001x')} 5 1 0 0`,
      `I ${hex(Buffer.from([0x61, 0xff]))} 5 1 0 0`,
      `I ${hex('__proto__')} 7 7 7 7`,
      'I zz 1 1 1 1',
      `I ${hex('short')} 1 2 3`,
      `I ${hex('neg')} -1 2 3 4`,
      `I ${hex('huge')} 123456789012345678901 2 3 4`,
    ]);
    const ns1 = c.get('ns1')!;
    expect([...ns1.keys()]).toEqual(['dü\u0001x', '__proto__']);
    expect(ns1.get('__proto__')!.rxBytes).toBe(7);
  });

  it('ignores lines before any node and unknown records', () => {
    expect(parseCounters([`I ${hex('eth0')} 1 1 1 1`, 'X what', '']).size).toBe(0);
  });

  it('runs a constant program with only numbers after it', () => {
    const sb = new Sandbox({ name: 'x', pid: 4242, startTime: 1, uid: 1, slot: 0, createdAt: '', ready: true });
    const argv = samplerArgv(sb, 'x64');
    // Whatever enters the sandbox comes first; the program and its numbers end the argv.
    expect(argv.slice(0, -5)).toEqual(sb.enter([]));
    expect(argv.slice(-5)).toEqual(['perl', '-e', SAMPLER_SCRIPT, '308', '2048']);
    expect(samplerArgv(sb, 'arm64').at(-2)).toBe('268');
    expect(() => samplerArgv(sb, 'mips')).toThrow(/architecture mips/);
  });
});
