// Where sandboxes are recorded. Under /run so records vanish with the sandboxes at reboot.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export function stateDir(): string {
  return process.env.NSLAB_STATE_DIR ?? '/run/nslab';
}

export function labsDir(): string {
  const d = join(stateDir(), 'labs');
  mkdirSync(d, { recursive: true, mode: 0o700 });
  return d;
}

export function slotsDir(): string {
  const d = join(stateDir(), 'slots');
  mkdirSync(d, { recursive: true, mode: 0o700 });
  return d;
}
