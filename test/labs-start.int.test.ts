// A guided lab whose own starting topology does not come up as written is refused (and leaves
// nothing running), where a containerlab import with a failing exec line is kept with a warning:
// the steps of a guided lab assume its start.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { destroyLab, findSandbox } from '@nslab/driver';
import { startLab } from '@nslab/labs/runtime';

const dir = mkdtempSync(join(tmpdir(), 'nslab-labs-'));
const NAME = 't-start-broken';
const saved = process.env.NSLAB_LABS_DIR;

afterAll(async () => {
  if (saved === undefined) delete process.env.NSLAB_LABS_DIR;
  else process.env.NSLAB_LABS_DIR = saved;
  if (findSandbox(NAME)) await destroyLab(NAME);
  rmSync(dir, { recursive: true, force: true });
});

describe('starting a guided lab', () => {
  it('refuses a start whose exec line fails, naming the node and the line, and leaves no lab behind', async () => {
    mkdirSync(join(dir, 'broken'));
    writeFileSync(join(dir, 'broken/lab.yaml'), [
      'title: Broken start',
      'summary: a start that cannot come up',
      'requires: [veth]',
      'topology: start.yaml',
      'steps:',
      '  - id: one',
      '    title: one',
      '    doc: one.md',
      '    checks:',
      '      - namespace: ns1',
      '    solution:',
      '      - ip netns add ns1',
      '',
    ].join('\n'));
    writeFileSync(join(dir, 'broken/one.md'), 'Make ns1.\n');
    writeFileSync(join(dir, 'broken/start.yaml'), 'nodes:\n  ns9:\n    exec:\n      - ip link set dev nope0 up\n');
    process.env.NSLAB_LABS_DIR = dir;
    await expect(startLab('broken', NAME)).rejects.toThrow(/guided lab "broken" did not start as written: exec in ns9 failed: ip link set dev nope0 up: .*nope0/);
    expect(findSandbox(NAME)).toBeNull();
  });
});
