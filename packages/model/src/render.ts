// Operation -> argv. Keywords always precede user-given names (`name X`, `dev X`) because iproute2
// matches keyword prefixes: `ip link add ma ...` would parse `ma` as `master`.
import type { Operation } from './operation.ts';
import type { InterfaceSpec, RouteSpec } from './topology.ts';
import { HOST } from './topology.ts';
import { shellLine } from './shell-quote.ts';

export interface RenderedCommand {
  /** Namespace the command acts in; null = the lab host. */
  ns: string | null;
  /** Full argv, run inside the lab sandbox (in the lab host's network namespace). */
  argv: string[];
  /** When the command is an `ip` invocation: its arguments without `ip -n NS`, as an `ip -batch` line. */
  ipBatchArgs?: string[];
  /** What a learner types in the lab host shell to do the same. */
  line: string;
}

function nsOf(node: string): string | null {
  return node === HOST ? null : node;
}

function ip(ns: string | null, args: string[]): RenderedCommand {
  const argv = ns === null ? ['ip', ...args] : ['ip', '-n', ns, ...args];
  return { ns, argv, ipBatchArgs: args, line: shellLine(argv) };
}

/** Run a non-ip program in a node: `ip netns exec NODE prog...` (or directly in the lab host). */
function inNode(node: string, argv: string[]): RenderedCommand {
  const ns = nsOf(node);
  const full = ns === null ? argv : ['ip', 'netns', 'exec', ns, ...argv];
  return { ns, argv: full, line: shellLine(full) };
}

export function linkAddArgs(i: InterfaceSpec): string[] {
  switch (i.kind) {
    case 'bridge':
      return ['link', 'add', 'name', i.name, 'type', 'bridge', ...(i.vlanFiltering ? ['vlan_filtering', '1'] : [])];
    case 'dummy':
      return ['link', 'add', 'name', i.name, 'type', 'dummy'];
    case 'tun':
    case 'tap':
      return ['tuntap', 'add', 'dev', i.name, 'mode', i.kind];
    case 'macvlan':
      return ['link', 'add', 'name', i.name, 'link', i.parent!, 'type', 'macvlan', 'mode', i.macvlanMode ?? 'bridge'];
    case 'vlan':
      return ['link', 'add', 'name', i.name, 'link', i.parent!, 'type', 'vlan', 'id', String(i.vlanId)];
    case 'vxlan': {
      const v = i.vxlan!;
      const args = ['link', 'add', 'name', i.name, 'type', 'vxlan', 'id', String(v.id)];
      if (v.dev) args.push('dev', v.dev);
      if (v.local) args.push('local', v.local);
      if (v.remote) args.push('remote', v.remote);
      if (v.group) args.push('group', v.group);
      args.push('dstport', String(v.dstport));
      return args;
    }
    case 'veth':
    case 'loopback':
      throw new Error(`link-add cannot create a ${i.kind} interface`);
  }
}

/** `bridge` arguments (after `bridge -n NS`) for a vxlan's static forwarding entry. */
export function fdbAppendArgs(op: { dev: string; mac: string; dst: string }): string[] {
  return ['fdb', 'append', op.mac, 'dev', op.dev, 'dst', op.dst];
}

function routeArgs(verb: 'add' | 'del', r: RouteSpec): string[] {
  const args = ['route', verb, r.to];
  if (r.via) args.push('via', r.via);
  if (r.dev) args.push('dev', r.dev);
  if (r.metric !== undefined) args.push('metric', String(r.metric));
  if (r.onlink) args.push('onlink');
  return args;
}

export function render(op: Operation): RenderedCommand {
  switch (op.op) {
    case 'netns-add':
      return ip(null, ['netns', 'add', op.node]);
    case 'netns-del':
      return ip(null, ['netns', 'del', op.node]);
    case 'link-add': {
      const args = linkAddArgs(op.iface);
      if (op.iface.parentNode === undefined) return ip(nsOf(op.node), args);
      // Made on the parent's node and moved in the same call (`netns`): the name is only ever
      // taken in the node it ends up in.
      const type = args.indexOf('type');
      return ip(nsOf(op.iface.parentNode), [...args.slice(0, type), 'netns', op.node, ...args.slice(type)]);
    }
    case 'veth-add': {
      const args = ['link', 'add', 'name', op.a.interface];
      if (op.ifindex) args.push('index', String(op.ifindex[0]));
      if (op.a.node !== HOST) args.push('netns', op.a.node);
      args.push('type', 'veth', 'peer', 'name', op.b.interface);
      if (op.ifindex) args.push('index', String(op.ifindex[1]));
      if (op.b.node !== HOST) args.push('netns', op.b.node);
      return ip(null, args);
    }
    case 'link-del':
      return ip(nsOf(op.node), ['link', 'del', 'dev', op.name]);
    case 'link-set': {
      const args = ['link', 'set', 'dev', op.name];
      if (op.mtu !== undefined) args.push('mtu', String(op.mtu));
      if (op.mac !== undefined) args.push('address', op.mac);
      if (op.master !== undefined) args.push(...(op.master === null ? ['nomaster'] : ['master', op.master]));
      if (op.promisc !== undefined) args.push('promisc', op.promisc ? 'on' : 'off');
      if (op.up !== undefined) args.push(op.up ? 'up' : 'down');
      return ip(nsOf(op.node), args);
    }
    case 'addr-add':
    case 'addr-del':
      return ip(nsOf(op.node), ['addr', op.op === 'addr-add' ? 'add' : 'del', op.address, 'dev', op.dev]);
    case 'route-add':
      return ip(nsOf(op.node), routeArgs('add', op.route));
    case 'route-del':
      return ip(nsOf(op.node), routeArgs('del', op.route));
    case 'fdb-append': {
      const ns = nsOf(op.node);
      const argv = ns === null ? ['bridge', ...fdbAppendArgs(op)] : ['bridge', '-n', ns, ...fdbAppendArgs(op)];
      return { ns, argv, line: shellLine(argv) };
    }
    case 'neigh-add':
      return ip(nsOf(op.node), ['neigh', 'add', op.address, 'lladdr', op.mac, 'dev', op.dev, 'nud', 'permanent']);
    case 'sysctl':
      return inNode(op.node, ['sysctl', '-w', `${op.key}=${op.value}`]);
    case 'iptables':
      return inNode(op.node, ['iptables', ...op.args]);
    case 'exec':
      return inNode(op.node, op.argv);
  }
}

/** A bash script that rebuilds the plan on a bare Linux host, like the seeds' `1-setup-env.sh`. */
export function renderScript(ops: readonly Operation[], title?: string): string {
  const out = ['#!/usr/bin/env bash', ...(title ? [`# ${title.replace(/[\r\n]/g, ' ')}`] : []), 'set -euo pipefail', ''];
  for (const op of ops) out.push(render(op).line);
  return out.join('\n') + '\n';
}
