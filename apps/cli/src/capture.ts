// `nslab capture <lab> <node> <interface>`: the same capture the web app starts (tcpdump inside the
// lab's sandbox, filter checked and compiled first), decoded lines on stdout, optionally the pcap to
// a file. Ends on Ctrl-C, after --count packets or --seconds, or when the interface goes.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { compileCaptureFilter, getSandbox, PacketCapture, type CaptureEnd } from '@nslab/driver';

export interface CaptureIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

export class CaptureUsageError extends Error {}

const MAX_BYTES = 32 * 1024 * 1024;

function positiveInt(v: string | undefined, flag: string, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new CaptureUsageError(`${flag} must be a whole number from 1 to ${max} (got "${v}")`);
  return n;
}

export async function captureCmd(args: string[], io: CaptureIo, signal?: AbortSignal): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      filter: { type: 'string', short: 'f', default: '' },
      write: { type: 'string', short: 'w' },
      count: { type: 'string', short: 'c' },
      seconds: { type: 'string', short: 's' },
      'link-header': { type: 'boolean', short: 'e' },
    },
  });
  const [lab, node, iface] = positionals;
  if (!lab || !node || !iface) throw new CaptureUsageError('usage: nslab capture <NAME> <NODE> <INTERFACE> [--filter EXPR] [-w FILE] [-c COUNT] [-s SECONDS] [-e]');
  const count = positiveInt(values.count, '--count', 1_000_000);
  const seconds = positiveInt(values.seconds, '--seconds', 3600);
  const sb = getSandbox(lab);
  const target = { node, interface: iface };
  // Checked by libpcap before anything captures: a bad filter is a clear error, not a dead tcpdump.
  await compileCaptureFilter(sb, target, values.filter ?? '');
  const cap = await PacketCapture.start(sb, target, { filter: values.filter, maxBytes: MAX_BYTES, linkHeader: values['link-header'] === true });
  io.err(`capturing on ${node}:${iface}${values.filter ? ` (${values.filter})` : ''}; Ctrl-C stops\n`);
  cap.onLines((lines) => {
    for (const l of lines) io.out(`${l}\n`);
    if (count !== undefined && cap.lines >= count) cap.stop('count', `${count} packets`);
  });
  const timer = seconds !== undefined ? setTimeout(() => cap.stop('time', `${seconds} s`), seconds * 1000) : undefined;
  const onAbort = () => cap.stop('stopped', 'interrupted');
  const onSigint = () => onAbort();
  signal?.addEventListener('abort', onAbort);
  process.once('SIGINT', onSigint);
  let end: CaptureEnd;
  try {
    end = await cap.ended;
  } finally {
    if (timer) clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    process.removeListener('SIGINT', onSigint);
  }
  if (values.write) writeFileSync(values.write, Buffer.concat(cap.pcap()));
  const dropped = cap.kernelDropped ? `, ${cap.kernelDropped} dropped by the kernel` : '';
  io.err(`${cap.packets} packets${dropped}${values.write ? `, written to ${values.write}` : ''} (${end.message})\n`);
  return end.kind === 'stopped' || end.kind === 'count' || end.kind === 'time' ? 0 : 1;
}
