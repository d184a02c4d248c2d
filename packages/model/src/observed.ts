// What the kernel really has, as `nslab inspect --json` prints it.

export interface ObservedInterface {
  name: string;
  ifindex: number;
  kind: string; // loopback | veth | bridge | vxlan | macvlan | tun | tap | dummy | vlan | other kernel kinds
  /** Kernel operstate: UP, DOWN, LOWER_LAYER_DOWN, UNKNOWN... */
  state: string;
  /** Administratively up (IFF_UP). */
  up: boolean;
  /** Link has carrier (IFF_LOWER_UP). */
  carrier: boolean;
  mac: string;
  mtu: number;
  addresses: string[];
  master?: string;
  peer?: { node: string | null; interface: string | null; ifindex: number };
  promisc: boolean;
  stats?: { rxPackets: number; txPackets: number; rxBytes: number; txBytes: number; rxDropped: number; txDropped: number };
  /** Kind-specific details (vxlan id, macvlan mode, parent...). */
  details?: Record<string, unknown>;
  /** The name contains bytes nslab will not pass to a command (made by hand); shown, never acted on. */
  unsafeName?: boolean;
}

export interface ObservedRoute {
  dst: string;
  via?: string;
  dev?: string;
  protocol?: string;
  scope?: string;
  metric?: number;
  prefsrc?: string;
  onlink?: boolean;
}

export interface ObservedNeighbour {
  address: string;
  dev: string;
  mac?: string;
  state: string[];
}

export interface ObservedNode {
  name: string;
  kind: 'host' | 'netns';
  interfaces: ObservedInterface[];
  routes: ObservedRoute[];
  neighbours: ObservedNeighbour[];
  sysctls: Record<string, string>;
  /** IPv4 firewall rules (`iptables` arguments, see iptables.ts); absent when not read. */
  iptables?: string[];
  unsafeName?: boolean;
}

export interface ObservedFdbEntry {
  mac: string;
  port: string;
  vlan?: number;
  /** false = learned dynamically. */
  permanent: boolean;
  local: boolean;
}

export interface ObservedBridge {
  node: string;
  name: string;
  ports: string[];
  fdb: ObservedFdbEntry[];
}

export interface ObservedLab {
  name: string;
  nodes: ObservedNode[];
  links: { a: { node: string; interface: string }; b: { node: string; interface: string } }[];
  bridges: ObservedBridge[];
}
