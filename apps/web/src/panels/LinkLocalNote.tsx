// A short line under traffic that no address explains (see link-local.ts), with the whole story
// on hover and for screen readers. `traffic`: packets (or bytes/s) seen, anything above 0.
import type { ObservedInterface } from '@nslab/model';
import { linkLocalNote } from './link-local.ts';

export function LinkLocalNote({ ifaces, traffic }: { ifaces: readonly Pick<ObservedInterface, 'kind' | 'addresses'>[]; traffic: number }) {
  const note = linkLocalNote(ifaces, traffic);
  if (!note) return null;
  return (
    <p className="muted small-text link-local-note" title={note}>
      <span aria-hidden>ⓘ </span>
      <span className="sr-only">{note}</span>
      <span aria-hidden>No address yet: this is IPv6 link-local chatter the kernel sends by itself.</span>
    </p>
  );
}
