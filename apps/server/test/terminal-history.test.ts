import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTypedCommands, TerminalHistory, type TypedCommand } from '../src/terminal-history.ts';
import type { Sandbox } from '@nslab/driver';

describe('parseTypedCommands', () => {
  it('turns records into log lines, in the namespace they were typed in, with their status', () => {
    const last = new Map<string, number>();
    const text = ['s1\tns1\t0\t   12  ip link set dev lo up', 's2\thost\t1\t    3  ping -c1 10.0.0.9', ''].join('\n');
    expect(parseTypedCommands(text, last)).toEqual([
      { session: 's1', node: 'ns1', status: 0, ok: true, line: 'ip netns exec ns1 ip link set dev lo up' },
      { session: 's2', node: 'host', status: 1, ok: false, line: 'ping -c1 10.0.0.9' },
    ]);
  });

  it('drops the repeat `history 1` gives when Enter is pressed on an empty line, and junk', () => {
    const last = new Map<string, number>();
    const text = ['s1\tns1\t0\t    5  ip a', 's1\tns1\t0\t    5  ip a', 's1\tns1\t0\t', 'garbage', 's1\tns1\tx\t 6 ls', 's1\tn s\t0\t 7 ls', 's1\tns1\t0\t    8* ip r'].join('\n');
    expect(parseTypedCommands(text, last).map((c) => c.line)).toEqual(['ip netns exec ns1 ip a', 'ip netns exec ns1 ip r']);
  });

  it('caps long lines and the number of entries per read', () => {
    const last = new Map<string, number>();
    const text = Array.from({ length: 500 }, (_, i) => `s\tns1\t0\t ${i + 1} echo ${'x'.repeat(2000)}`).join('\n');
    const out = parseTypedCommands(text, last);
    expect(out).toHaveLength(200);
    expect(out[0]!.line.length).toBeLessThan(1100);
    expect(out[0]!.line.endsWith('…')).toBe(true);
  });
});

describe('TerminalHistory reading what a sandbox root controls', () => {
  // The sandbox's /run stands in as a temp dir (the reader takes it as a parameter).
  function fakeRoot(): { run: string; history: (onCommands: (c: TypedCommand[]) => void) => TerminalHistory; cleanup: () => void } {
    const base = mkdtempSync(join(tmpdir(), 'nslab-hist-'));
    const run = join(base, 'run');
    mkdirSync(run, { recursive: true });
    const take = async () => {
      try {
        renameSync(join(run, 'nslab-commands'), join(run, 'nslab-commands.taken'));
        return true;
      } catch {
        return false;
      }
    };
    return { run, history: (on) => new TerminalHistory({ pid: 0 } as unknown as Sandbox, on, run, take), cleanup: () => execFileSync('rm', ['-rf', base]) };
  }

  it('never follows a symlink planted in place of the file (it would resolve against the host root)', async () => {
    const { run, history, cleanup } = fakeRoot();
    try {
      const secret = join(run, '..', 'secret');
      writeFileSync(secret, 's\tns1\t0\t 1 SECRET-LINE\n');
      symlinkSync(secret, join(run, 'nslab-commands'));
      const got: TypedCommand[] = [];
      const h = history((c) => got.push(...c));
      await h.drain();
      h.close();
      expect(got).toEqual([]);
      expect(readdirSync(run)).toEqual(['nslab-commands.taken']); // the planted link was taken, not followed
    } finally {
      cleanup();
    }
  });

  it('does not block on a FIFO, and reads a regular file once', async () => {
    const { run, history, cleanup } = fakeRoot();
    try {
      execFileSync('mkfifo', [join(run, 'nslab-commands')]);
      const got: TypedCommand[] = [];
      const h = history((c) => got.push(...c));
      await h.drain();
      expect(got).toEqual([]);
      writeFileSync(join(run, 'nslab-commands'), 's\tns1\t0\t 4 ip a\n');
      await h.drain();
      await h.drain();
      h.close();
      expect(got.map((c) => c.line)).toEqual(['ip netns exec ns1 ip a']);
    } finally {
      cleanup();
    }
  });
});
