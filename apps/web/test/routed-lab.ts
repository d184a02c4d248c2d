// The routed lab the Trace e2e files start from, and running a command in one of its nodes through
// the exec API (as a learner's terminal would, minus the terminal).
import { expect } from 'vitest';
import type { NslabApp } from '../../server/src/app.ts';

/** a (10.1.0.10) – r (forwarding, 10.1.0.1 / 10.2.0.1) – b (10.2.0.10), each end's default route via r. */
export const routedLabYaml = (name: string): string => `
name: ${name}
nodes:
  a:
    interfaces:
      eth0: { addresses: [10.1.0.10/24] }
    routes: [{ to: default, via: 10.1.0.1 }]
  r:
    interfaces:
      eth0: { addresses: [10.1.0.1/24] }
      eth1: { addresses: [10.2.0.1/24] }
    sysctls: { net.ipv4.ip_forward: 1 }
  b:
    interfaces:
      eth0: { addresses: [10.2.0.10/24] }
    routes: [{ to: default, via: 10.2.0.1 }]
links:
  - endpoints: ["a:eth0", "r:eth0"]
  - endpoints: ["r:eth1", "b:eth0"]
`;

/** Runs `argv` in `node` of `lab` and expects it to succeed. */
export async function execOk(s: NslabApp, headers: Record<string, string>, lab: string, node: string, argv: string[]): Promise<void> {
  const r = await s.app.inject({ method: 'POST', url: `/api/v1/labs/${lab}/nodes/${node}/exec`, headers, payload: { argv } });
  expect(r.statusCode, r.body).toBe(200);
  expect(r.json().code, r.body).toBe(0);
}
