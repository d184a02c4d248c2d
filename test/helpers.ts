// Shared by the kernel integration tests: run the CLI in-process, snapshot the real host's network,
// find a lab's live-counters sampler.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { findSandbox } from '@nslab/driver';
import { runCli } from '../apps/cli/src/cli.ts';

/** The lab's counter sampler processes: its sandbox's processes running perl (none when nobody watches). */
export function counterSamplerPids(lab: string): number[] {
  const sb = findSandbox(lab);
  if (!sb) return [];
  return sb.pids().filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'perl';
    } catch {
      return false;
    }
  });
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function nslab(...argv: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { out: (s) => (stdout += s), err: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

/** The real host's namespaces, links, addresses, routes and NAT rules: must not change. */
export function hostNetworkSnapshot(): string {
  const run = (argv: string[]) => {
    try {
      return execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
    } catch (e) {
      return `error: ${(e as Error).message}`;
    }
  };
  return [
    run(['ip', '-all', 'netns', 'list']),
    run(['ip', 'netns', 'list']),
    run(['ip', '-br', 'link']),
    run(['ip', '-br', 'addr']),
    run(['ip', 'route', 'show', 'table', 'all']),
    run(['ip', '-6', 'route', 'show', 'table', 'all']),
    run(['iptables-save', '-t', 'nat']).replace(/^#.*$/gm, ''),
  ].join('\n---\n');
}

export function hostCommand(argv: string[]): string {
  return execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
}

/** Two namespaces joined by one veth pair (eth0 each end), 10.1.5.10 and 10.1.5.11: diagnosis and trace tests start here. */
export const PAIR = `
nodes:
  ns1:
    interfaces:
      eth0: { addresses: [10.1.5.10/24] }
  ns2:
    interfaces:
      eth0: { addresses: [10.1.5.11/24] }
links:
  - endpoints: ["ns1:eth0", "ns2:eth0"]
`;
