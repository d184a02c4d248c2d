// The live-state protocol between the server and every client (web app, CLI, tests). One module,
// versioned, discriminated by `type`: first a snapshot, then patches carrying a sequence number.
import type { ObservedBridge, ObservedLab, ObservedNode } from '@nslab/model';

export const PROTOCOL_VERSION = 1;

/** Who ran it; 'terminal' is a command typed in a lab terminal (the line says in which namespace). */
export type CommandSource = 'ui' | 'api' | 'cli' | 'lab' | 'kernel' | 'deploy' | 'terminal';

/** One executed command, as a learner could type it. */
export interface CommandLogEntry {
  id: number;
  time: string;
  source: CommandSource;
  /** The exact command line (`ip -n ns1 addr add ...`). */
  line: string;
  ok: boolean;
  /** The kernel's message when it failed. */
  error?: string;
}

export interface Position {
  x: number;
  y: number;
}

export interface SnapshotMessage {
  type: 'snapshot';
  version: typeof PROTOCOL_VERSION;
  /**
   * Which history `seq` counts in: made afresh whenever the server starts following a lab (a server
   * restart, a lab destroyed and made again), where sequence numbers start over. A resume names it,
   * so a number from another history is never taken for a position in this one.
   */
  stream: string;
  seq: number;
  lab: ObservedLab;
  positions: Record<string, Position>;
  log: CommandLogEntry[];
}

/**
 * What changed since `seq - 1`, per namespace: a changed namespace is sent whole (small, and never
 * out of step with itself); links and bridges are lab-wide and sent whole when they changed.
 */
export interface PatchMessage {
  type: 'patch';
  seq: number;
  upsertNodes: ObservedNode[];
  removeNodes: string[];
  links?: ObservedLab['links'];
  bridges?: ObservedBridge[];
  positions?: Record<string, Position>;
}

export interface LogMessage {
  type: 'log';
  seq: number;
  entries: CommandLogEntry[];
}

export interface LabGoneMessage {
  type: 'lab-destroyed';
  seq: number;
}

export interface ErrorMessage {
  type: 'error';
  code: string;
  message: string;
}

/** Packets and bytes an interface has received and sent since it was created (the kernel's counters). */
export interface InterfaceCounters {
  rxBytes: number;
  rxPackets: number;
  txBytes: number;
  txPackets: number;
}

/**
 * Live counters, about once a second, only to a client that asked ({type:"counters", on:true}).
 * Ephemeral: no `seq`, never replayed. The first one after asking is `full` (every namespace, the
 * lab host as "host"); later ones carry only the namespaces whose counters changed since the
 * previous counters message, each sent whole; a namespace left out stood still.
 */
export interface CountersMessage {
  type: 'counters';
  /** When the sample was taken, ms since the epoch (server clock): rates are differences over this. */
  time: number;
  full: boolean;
  /** node -> interface -> counters. */
  nodes: Record<string, Record<string, InterfaceCounters>>;
}

export type ServerMessage = SnapshotMessage | PatchMessage | LogMessage | LabGoneMessage | ErrorMessage | CountersMessage;

/**
 * Sent by the client first. `lastSeq` with the `stream` of the snapshot it counts from asks for
 * what was missed since a previous connection; without a stream, or with another stream than the
 * lab's current one, the answer is a snapshot.
 */
export interface HelloMessage {
  type: 'hello';
  version: number;
  lastSeq?: number;
  stream?: string;
}

/** A stream id as the server makes them: what a hello may echo. */
const STREAM_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Start (on) or stop (off) live counters for this connection; only after the hello. */
export interface CountersRequest {
  type: 'counters';
  on: boolean;
}

export type ClientMessage = HelloMessage | CountersRequest;

export class ProtocolError extends Error {
  readonly code = 'BAD_MESSAGE';
}

export function decodeClientMessage(text: string): ClientMessage {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new ProtocolError('message is not JSON');
  }
  if (typeof v !== 'object' || v === null) throw new ProtocolError('message must be an object');
  const m = v as Record<string, unknown>;
  if (m.type === 'counters') {
    if (typeof m.on !== 'boolean') throw new ProtocolError('on: must be true or false');
    return { type: 'counters', on: m.on };
  }
  if (m.type !== 'hello') throw new ProtocolError(`type: unknown message type ${JSON.stringify(m.type)}`);
  if (m.version !== PROTOCOL_VERSION) throw new ProtocolError(`version: server speaks ${PROTOCOL_VERSION}, client sent ${JSON.stringify(m.version)}`);
  if (m.lastSeq !== undefined && !(Number.isSafeInteger(m.lastSeq) && (m.lastSeq as number) >= 0)) {
    throw new ProtocolError('lastSeq: must be a non-negative integer');
  }
  if (m.stream !== undefined && !(typeof m.stream === 'string' && STREAM_ID.test(m.stream))) {
    throw new ProtocolError('stream: must be the stream id of a snapshot (1-64 letters, digits, "-" or "_")');
  }
  return {
    type: 'hello',
    version: PROTOCOL_VERSION,
    ...(m.lastSeq !== undefined ? { lastSeq: m.lastSeq as number } : {}),
    ...(m.stream !== undefined ? { stream: m.stream as string } : {}),
  };
}

export function decodeServerMessage(text: string): ServerMessage {
  const v = JSON.parse(text) as ServerMessage;
  if (!v || typeof v !== 'object' || typeof (v as { type?: unknown }).type !== 'string') throw new ProtocolError('bad server message');
  return v;
}

/** Apply a patch to a snapshot's lab (used by clients; pure). */
export function applyPatch(lab: ObservedLab, p: PatchMessage): ObservedLab {
  const removed = new Set([...p.removeNodes, ...p.upsertNodes.map((n) => n.name)]);
  const kept = lab.nodes.filter((n) => !removed.has(n.name));
  const order = new Map(lab.nodes.map((n, i) => [n.name, i]));
  const nodes = [...kept, ...p.upsertNodes].sort((a, b) => {
    if (a.kind !== b.kind) return a.kind === 'host' ? -1 : 1;
    const ia = order.get(a.name);
    const ib = order.get(b.name);
    if (ia !== undefined && ib !== undefined) return ia - ib;
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
  return { name: lab.name, nodes, links: p.links ?? lab.links, bridges: p.bridges ?? lab.bridges };
}
