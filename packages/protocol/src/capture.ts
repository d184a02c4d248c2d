// Packet captures: the REST shape of a capture and the JSON text frames of its live stream
// (GET /api/v1/labs/:lab/captures/:id/events). The server speaks; the client only listens.

export type CaptureState = 'running' | 'stopped';

/**
 * Why a capture ended: 'stopped' (asked to), 'duration-limit', 'byte-limit', 'interface-gone'
 * (deleted, moved, or its namespace deleted), 'lab-gone', 'server-closing', 'failed' (tcpdump said
 * why in `message`).
 */
export type CaptureEndKind =
  | 'stopped'
  | 'duration-limit'
  | 'byte-limit'
  | 'interface-gone'
  | 'lab-gone'
  | 'server-closing'
  | 'failed';

export interface CaptureInfo {
  id: string;
  lab: string;
  node: string;
  interface: string;
  filter: string;
  linkHeader: boolean;
  state: CaptureState;
  startedAt: string;
  endedAt?: string;
  end?: { kind: CaptureEndKind; message: string };
  /** Packets in the pcap. */
  packets: number;
  /** Size of the pcap so far (file header included). */
  bytes: number;
  /** Decoded lines produced (numbered from 1 in `lines` frames). */
  lines: number;
  /** Packets in the pcap the decoder skipped because it was behind (no line for them). */
  undecoded: number;
  /** Packets the kernel dropped before tcpdump read them (known once the capture stopped). */
  kernelDropped: number;
  limits: { maxBytes: number; maxDurationMs: number };
}

/** Decoded lines; `first` is the number of lines[0] (a gap before it = lines this client missed). */
export interface CaptureLinesMessage {
  type: 'lines';
  first: number;
  lines: string[];
  /** Lines this client has missed so far (too slow, or joined after they left the server's backlog). */
  dropped: number;
}

/** The capture's counters; sent on connect, about twice a second while they change, and last. */
export interface CaptureStatusMessage {
  type: 'status';
  capture: CaptureInfo;
  dropped: number;
}

export interface CaptureErrorMessage {
  type: 'error';
  code: string;
  message: string;
}

export type CaptureServerMessage = CaptureLinesMessage | CaptureStatusMessage | CaptureErrorMessage;
