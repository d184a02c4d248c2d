// One step of a plan. Operations are the single source for the kernel (argv), the command log
// (the line a learner could type) and exported scripts.
import type { Endpoint, InterfaceSpec, RouteSpec } from './topology.ts';

export type Operation =
  | { op: 'netns-add'; node: string }
  | { op: 'netns-del'; node: string }
  /** Any interface but veth, created inside `node`. */
  | { op: 'link-add'; node: string; iface: InterfaceSpec }
  /**
   * Both ends created at once, each directly in its own node. `ifindex`: the kernel's index for
   * each end; without it each namespace numbers its own (two fresh namespaces both say 2).
   */
  | { op: 'veth-add'; a: Endpoint; b: Endpoint; ifindex?: [number, number] }
  | { op: 'link-del'; node: string; name: string }
  | {
      op: 'link-set';
      node: string;
      name: string;
      up?: boolean;
      mtu?: number;
      mac?: string;
      /** null = nomaster */
      master?: string | null;
      promisc?: boolean;
    }
  | { op: 'addr-add'; node: string; dev: string; address: string }
  | { op: 'addr-del'; node: string; dev: string; address: string }
  | { op: 'route-add'; node: string; route: RouteSpec }
  | { op: 'route-del'; node: string; route: RouteSpec }
  /** A static forwarding entry on a vxlan, added once the vxlan exists. */
  | { op: 'fdb-append'; node: string; dev: string; mac: string; dst: string }
  /** A permanent neighbour entry, once its interface exists. */
  | { op: 'neigh-add'; node: string; address: string; mac: string; dev: string }
  | { op: 'sysctl'; node: string; key: string; value: string }
  /** One rule line of the node's iptables (IPv4), as `iptables` arguments. */
  | { op: 'iptables'; node: string; args: string[] }
  /** A user-supplied command (containerlab `exec:`), already split into argv. */
  | { op: 'exec'; node: string; argv: string[] };

export type OperationKind = Operation['op'];
