// The resolved, desired topology of a lab. Raw YAML (native or containerlab) is parsed and
// validated into this shape; planning and export only ever see this shape.

/** The lab host: the sandbox's own network namespace, where host-side veth ends and bridges live. */
export const HOST = 'host';

export type InterfaceKind =
  | 'veth'
  | 'bridge'
  | 'vxlan'
  | 'macvlan'
  | 'tun'
  | 'tap'
  | 'dummy'
  | 'vlan'
  | 'loopback';

/** Kernel features a lab can depend on; `nslab doctor` reports each one. */
export const CAPABILITIES = [
  'veth',
  'bridge',
  'bridge_vlan_filtering',
  'vlan',
  'vxlan',
  'macvlan',
  'ipvlan',
  'dummy',
  'tuntap',
  'netem',
  'nat',
] as const;
export type Capability = (typeof CAPABILITIES)[number];

export interface VxlanParams {
  id: number;
  /** Underlay interface in the same node. */
  dev?: string;
  local?: string;
  remote?: string;
  group?: string;
  dstport: number;
  /**
   * Static forwarding entries (`bridge fdb append MAC dev VX dst IP`): where frames for MAC are
   * sent. An all-zero MAC is the default destination, which is how a vxlan gets its remotes when
   * it has several or was made without `remote` (flannel, hand-built meshes).
   */
  fdb?: VxlanFdbEntry[];
}

export interface VxlanFdbEntry {
  mac: string;
  /** The remote VTEP's underlay address, IPv4 or IPv6. */
  dst: string;
}

export interface InterfaceSpec {
  name: string;
  kind: InterfaceKind;
  /** undefined = leave as created (veth endpoints are brought up by default, as containerlab does). */
  up?: boolean;
  mtu?: number;
  mac?: string;
  /** CIDR strings, e.g. "10.1.5.10/24". */
  addresses: string[];
  /** Bridge in the same node this interface is a port of. */
  master?: string;
  promisc?: boolean;
  vlanFiltering?: boolean;
  vxlan?: VxlanParams;
  /** macvlan/vlan: the interface it is stacked on, in this node unless `parentNode` says. */
  parent?: string;
  /**
   * macvlan/vlan made on another node's interface and moved here (a namespace's macvlan on the
   * lab host's eth0, as the macvlan lab builds it). Written `parent: host:eth0`.
   */
  parentNode?: string;
  macvlanMode?: 'bridge' | 'private' | 'vepa' | 'passthru';
  vlanId?: number;
}

export interface RouteSpec {
  /** "default" or a CIDR. */
  to: string;
  via?: string;
  dev?: string;
  metric?: number;
  /**
   * Use `via` as if it were on `dev`'s link even though no address of dev covers it: flannel's
   * `10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink`.
   */
  onlink?: boolean;
}

/** A neighbour entry someone fixed (`ip neigh add ADDR lladdr MAC dev IF nud permanent`). */
export interface NeighbourSpec {
  address: string;
  mac: string;
  dev: string;
}

export interface NodeSpec {
  name: string;
  kind: 'host' | 'netns';
  interfaces: InterfaceSpec[];
  routes: RouteSpec[];
  /** e.g. { "net.ipv4.ip_forward": "1" } */
  sysctls: Record<string, string>;
  /** Permanent neighbour (ARP/NDP) entries, as flannel sets for each remote vxlan gateway. */
  neighbours?: NeighbourSpec[];
  /**
   * iptables (IPv4) rules, as `iptables` arguments: `-t nat -A POSTROUTING -o eth0 -j MASQUERADE`,
   * `-P FORWARD DROP`, `-N CHAIN`. undefined = not read (the node's tables were not looked at).
   */
  iptables?: string[];
  /** Commands run in the node after links exist (containerlab `exec:`), split into argv by shell-word rules. */
  exec: string[];
  /** Canvas position, kept in the model so layouts survive round trips. */
  position?: { x: number; y: number };
}

export interface Endpoint {
  node: string;
  interface: string;
}

export interface VethLink {
  a: Endpoint;
  b: Endpoint;
}

export interface Topology {
  name?: string;
  /** Always contains the host node (name HOST, kind 'host'). */
  nodes: NodeSpec[];
  links: VethLink[];
  /** Declared needs beyond what the interface kinds imply (e.g. 'nat' for iptables exec lines). */
  requires: Capability[];
}

export function emptyTopology(name?: string): Topology {
  return { name, nodes: [hostNode()], links: [], requires: [] };
}

export function hostNode(): NodeSpec {
  return { name: HOST, kind: 'host', interfaces: [], routes: [], sysctls: {}, exec: [] };
}

export function findNode(t: Topology, name: string): NodeSpec | undefined {
  return t.nodes.find((n) => n.name === name);
}

export function findInterface(t: Topology, ep: Endpoint): InterfaceSpec | undefined {
  return findNode(t, ep.node)?.interfaces.find((i) => i.name === ep.interface);
}

/** Capabilities a topology needs: declared ones plus those implied by interface kinds. */
export function requiredCapabilities(t: Topology): Capability[] {
  const need = new Set<Capability>(t.requires);
  if (t.links.length > 0) need.add('veth');
  for (const n of t.nodes) {
    for (const i of n.interfaces) {
      switch (i.kind) {
        case 'bridge':
          need.add('bridge');
          if (i.vlanFiltering) need.add('bridge_vlan_filtering');
          break;
        case 'vxlan': need.add('vxlan'); break;
        case 'macvlan': need.add('macvlan'); break;
        case 'tun':
        case 'tap': need.add('tuntap'); break;
        case 'dummy': need.add('dummy'); break;
        case 'vlan': need.add('vlan'); break;
        default: break;
      }
    }
    if (n.iptables?.some((r) => /(^|\s)-t\s+nat(\s|$)/.test(r))) need.add('nat');
  }
  return CAPABILITIES.filter((c) => need.has(c));
}
