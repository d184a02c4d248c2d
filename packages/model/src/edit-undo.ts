// An edit's undo as edits: its inverse operations (edit.ts plans them once, beside the edit's own
// operations) read back as the granular edits that do the same. Undo then goes through planEdit
// like any edit: each step is checked against the lab as it is when undo runs, so an undo the lab
// has moved past (another tab reverted it, a shell deleted the namespace) is refused by name
// instead of half-running raw commands.
import type { Edit } from './edit.ts';
import type { Operation } from './operation.ts';
import { HOST } from './topology.ts';
import { render } from './render.ts';
import { shown } from './edit-context.ts';

type SetLink = Extract<Edit, { kind: 'set-link' }>;

/** "ns1" or "the lab host", for notes. */
function nodeText(node: string): string {
  return node === HOST ? 'the lab host' : node;
}

/**
 * The edits that replay `inverse`, and a note for each step no edit can make (a dummy interface,
 * a MAC address...). Interfaces made by add-veth and add-bridge come up at once, so an inverse
 * step that only brings one of them up is already done.
 */
export function undoEdits(inverse: readonly Operation[]): { edits: Edit[]; lost: string[] } {
  const edits: Edit[] = [];
  const lost: string[] = [];
  const madeUp = new Set<string>();
  // Interfaces no edit can recreate: the steps that configure them go with the note about them.
  const unmade = new Set<string>();
  const key = (node: string, name: string) => `${node}\u0000${name}`;
  for (const op of inverse) {
    if ('dev' in op && unmade.has(key(op.node, op.dev))) continue;
    if (op.op === 'link-set' && unmade.has(key(op.node, op.name))) continue;
    if ((op.op === 'route-add' || op.op === 'route-del') && op.route.dev !== undefined && unmade.has(key(op.node, op.route.dev))) continue;
    switch (op.op) {
      case 'netns-add':
        edits.push({ kind: 'add-node', name: op.node });
        break;
      case 'netns-del':
        edits.push({ kind: 'remove-node', name: op.node });
        break;
      case 'link-add':
        if (op.iface.kind === 'bridge') {
          edits.push({ kind: 'add-bridge', node: op.node, name: op.iface.name });
          madeUp.add(key(op.node, op.iface.name));
        } else {
          unmade.add(key(op.node, op.iface.name));
          lost.push(`undo cannot recreate ${shown(op.iface.name)} in ${nodeText(op.node)}: nslab's edits do not make ${op.iface.kind} interfaces`);
        }
        break;
      case 'veth-add':
        edits.push({ kind: 'add-veth', a: { node: op.a.node, interface: op.a.interface }, b: { node: op.b.node, interface: op.b.interface } });
        madeUp.add(key(op.a.node, op.a.interface));
        madeUp.add(key(op.b.node, op.b.interface));
        break;
      case 'link-del':
        edits.push({ kind: 'remove-link', node: op.node, interface: op.name });
        break;
      case 'link-set': {
        const e: SetLink = { kind: 'set-link', node: op.node, interface: op.name };
        if (op.mtu !== undefined) e.mtu = op.mtu;
        if (op.master !== undefined) e.master = op.master;
        if (op.promisc !== undefined) e.promisc = op.promisc;
        if (op.up !== undefined && !(op.up && madeUp.has(key(op.node, op.name)))) e.up = op.up;
        if (op.mac !== undefined) lost.push(`undo cannot give ${shown(op.name)} in ${nodeText(op.node)} its MAC address ${op.mac} back`);
        if (Object.keys(e).length > 3) edits.push(e);
        break;
      }
      case 'addr-add':
        edits.push({ kind: 'add-address', node: op.node, interface: op.dev, address: op.address });
        break;
      case 'addr-del':
        edits.push({ kind: 'remove-address', node: op.node, interface: op.dev, address: op.address });
        break;
      case 'route-add':
        edits.push({ kind: 'add-route', node: op.node, route: { ...op.route } });
        break;
      case 'route-del':
        edits.push({ kind: 'remove-route', node: op.node, route: { ...op.route } });
        break;
      case 'sysctl':
        edits.push({ kind: 'set-sysctl', node: op.node, key: op.key, value: op.value });
        break;
      default:
        lost.push(`undo cannot replay \`${render(op).line}\``);
    }
  }
  return { edits, lost };
}

const endpoint = (e: { node: string; interface: string }) => `${e.node}:${e.interface}`;

/** What an edit did, in a few words, for an undo button ("Undo: add ns5") and notes. */
export function describeEdit(e: Edit): string {
  switch (e.kind) {
    case 'add-node':
      return `add ${e.name}`;
    case 'remove-node':
      return `delete ${e.name}`;
    case 'add-bridge':
      return `add bridge ${e.name}${e.node && e.node !== HOST ? ` in ${e.node}` : ''}`;
    case 'add-veth':
      return `connect ${endpoint(e.a)} ↔ ${endpoint(e.b)}${e.bridge !== undefined ? ` (into ${e.bridge})` : ''}`;
    case 'remove-link':
      return `delete ${endpoint(e)}`;
    case 'set-link': {
      const what: string[] = [];
      if (e.up !== undefined) what.push(e.up ? 'up' : 'down');
      if (e.mtu !== undefined) what.push(`mtu ${e.mtu}`);
      if (e.master !== undefined) what.push(e.master === null ? 'out of its bridge' : `into ${e.master}`);
      if (e.promisc !== undefined) what.push(`promisc ${e.promisc ? 'on' : 'off'}`);
      return `set ${endpoint(e)} ${what.join(', ')}`;
    }
    case 'add-address':
      return `add ${e.address} to ${endpoint(e)}`;
    case 'remove-address':
      return `remove ${e.address} from ${endpoint(e)}`;
    case 'add-route':
      return `add route to ${e.route.to} in ${e.node}`;
    case 'remove-route':
      return `remove route to ${e.route.to} in ${e.node}`;
    case 'set-sysctl':
      return `set ${e.key}=${e.value} in ${e.node}`;
  }
}
