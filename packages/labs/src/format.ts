// A guided lab: its starting topology, steps (Markdown), the checks that tell from the kernel's
// real state whether a step is done, hints chosen by what the state shows, and a reference solution.
import type { Capability } from '@nslab/model';
import type { TraceTask } from './trace-question.ts';

export interface IfaceRef {
  node: string;
  name: string;
}

/**
 * Kind-specific settings the kernel reports for an interface (`ip -d link`), compared as text:
 * vxlan `id`, `remote`, `local`, `dev`, `group`, `dstport`; macvlan `mode`, `parent`; vlan `id`,
 * `parent`, `protocol`; bridge `vlanFiltering`, `stp`.
 */
export type InterfaceDetails = Record<string, string | number | boolean>;

/** One declarative check. Exactly one of the kind keys is set. */
export type Check =
  | { namespace: string; absent?: boolean }
  | { interface: IfaceRef; up?: boolean; kind?: string; mtu?: number; master?: string | null; promisc?: boolean; exists?: boolean; details?: InterfaceDetails }
  | { address: { node: string; interface?: string; address: string } }
  | { peer: { a: { node: string; interface: string }; b: { node: string; interface: string } } }
  | { bridgePort: { node?: string; bridge: string; port: string } }
  | { fdb: { node?: string; bridge: string; macOf: IfaceRef } }
  | { neighbour: { node: string; address: string } }
  | { route: { node: string; to: string; via?: string; dev?: string } }
  | { sysctl: { node: string; key: string; value: string } }
  | { ping: { from: string; to: string; expect?: 'success' | 'failure' } }
  | { iptables: { node?: string; table?: string; contains: string } }
  | { command: { node: string; run: string; exitCode?: number; outputContains?: string } };

export interface Hint {
  /** Shown when this check holds (it describes the mistake). */
  when: Check;
  text: string;
}

export interface CheckSpec {
  check: Check;
  /** What the learner should achieve, in words; defaults to a description of the check. */
  title?: string;
  hints: Hint[];
}

export interface SolutionCommand {
  /** Node the command runs in: `host` (the lab host) unless given. */
  node: string;
  run: string;
}

export interface Mistake {
  title: string;
  /** Commands that make this mistake (run instead of the step's solution). */
  run: SolutionCommand[];
  /** A substring of the hint the checks must give. */
  expectHint: string;
}

export interface Step {
  id: string;
  title: string;
  /** Markdown: goal, explanation, commands to try. */
  markdown: string;
  checks: CheckSpec[];
  /**
   * Trace and explain: the step also needs the learner to have traced this packet on their lab and
   * answered the question right against the journey their trace produced (the reference solution
   * runs the trace and answers from it).
   */
  trace?: TraceTask;
  solution: SolutionCommand[];
  mistakes: Mistake[];
}

export interface Lab {
  id: string;
  title: string;
  summary: string;
  /** Kernel features the lab needs; a machine without them gets a plain message. */
  requires: Capability[];
  /**
   * Commands beyond nslab's own that its checks, hints, solutions and mistakes run (socat, tcpdump),
   * each one of KNOWN_TOOLS; a machine without one is told which package to install.
   */
  tools: string[];
  /** Native YAML of the starting topology ('' = empty lab). */
  topology: string;
  steps: Step[];
}
