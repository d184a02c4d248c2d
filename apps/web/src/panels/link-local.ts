// Why an interface nobody gave an address carries traffic: IPv6 link-local chatter. As soon as an
// interface is up, the kernel gives it an fe80:: address and sends, on its own, duplicate-address
// detection, router solicitations and multicast listener (MLD) reports — a few packets a learner
// did not send and might take for a fault. Pure.
import type { ObservedInterface } from '@nslab/model';

const LINK_LOCAL = /^fe[89ab][0-9a-f]:/i;

/** No address a learner set: none at all, or only IPv6 link-local ones. Loopback never chatters. */
export function onlyLinkLocal(i: Pick<ObservedInterface, 'kind' | 'addresses'>): boolean {
  return i.kind !== 'loopback' && i.addresses.every((a) => LINK_LOCAL.test(a));
}

export const LINK_LOCAL_NOTE =
  'No address set, yet packets: that is IPv6 link-local chatter. An interface that comes up gets an fe80:: address by itself and sends a few packets on its own (duplicate address detection, router solicitations, multicast listener reports). Not yours, and not a fault.';

/** The note, for interfaces with traffic and no address of their own. */
export function linkLocalNote(ifaces: readonly Pick<ObservedInterface, 'kind' | 'addresses'>[], traffic: number): string | null {
  return traffic > 0 && ifaces.length > 0 && ifaces.every(onlyLinkLocal) ? LINK_LOCAL_NOTE : null;
}
