// The lab as the kernel last reported it: a snapshot, then patches from the event socket. Nothing
// here is ever written from a REST response: an edit shows up only when the kernel's patch does, so
// a click and a command typed in a terminal look exactly the same.
// Live counters are asked for only while the page is visible, and kept apart from the lab state
// (their own subscription): a sample a second re-renders only what shows traffic.
import type { ObservedLab } from '@nslab/model';
import { applyPatch, PROTOCOL_VERSION, type CommandLogEntry, type Position, type ServerMessage } from '@nslab/protocol';
import { applyCounters, noTraffic, type Traffic } from './traffic.ts';

/** How many log entries the page keeps (the server keeps its own, exportable as a script). */
export const LOG_KEEP = 2000;

export type LabStatus = 'connecting' | 'live' | 'reconnecting' | 'destroyed' | 'error';

export interface LabState {
  lab: ObservedLab | null;
  positions: Record<string, Position>;
  log: CommandLogEntry[];
  /** Sequence number of the last message applied (0 before the snapshot). */
  seq: number;
  /**
   * The history `seq` counts in (the snapshot's stream): a restarted server starts counting again,
   * so a resume names it and a server on another stream answers with a fresh snapshot.
   */
  stream: string | null;
  status: LabStatus;
  error?: string;
}

export const initialState: LabState = { lab: null, positions: {}, log: [], seq: 0, stream: null, status: 'connecting' };

export interface Reduced {
  state: LabState;
  /** A message was missed: start over from a fresh snapshot. */
  resync?: boolean;
}

/** Pure: the state after one server message. */
export function reduce(s: LabState, m: ServerMessage): Reduced {
  switch (m.type) {
    case 'snapshot': {
      const { error: _e, ...rest } = s;
      return {
        state: { ...rest, lab: m.lab, positions: { ...m.positions }, log: m.log.slice(-LOG_KEEP), seq: m.seq, stream: typeof m.stream === 'string' ? m.stream : null, status: 'live' },
      };
    }
    case 'patch':
    case 'log': {
      if (!s.lab || m.seq <= s.seq) return { state: s }; // a replay of something already applied
      if (m.seq !== s.seq + 1) return { state: s, resync: true };
      if (m.type === 'log') {
        const log = s.log.concat(m.entries);
        return { state: { ...s, seq: m.seq, log: log.length > LOG_KEEP ? log.slice(-LOG_KEEP) : log } };
      }
      const changesLab = m.upsertNodes.length > 0 || m.removeNodes.length > 0 || m.links !== undefined || m.bridges !== undefined;
      return {
        state: {
          ...s,
          seq: m.seq,
          lab: changesLab ? applyPatch(s.lab, m) : s.lab,
          positions: m.positions ? { ...s.positions, ...m.positions } : s.positions,
        },
      };
    }
    case 'lab-destroyed':
      return { state: { ...s, seq: Math.max(s.seq, m.seq), status: 'destroyed' } };
    case 'error':
      return { state: { ...s, status: 'error', error: m.message } };
    case 'counters':
      return { state: s }; // not lab state: see LabStore.getTraffic
  }
}

export type Listener = (state: LabState, cause: ServerMessage | null) => void;

export interface SocketLike {
  readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

/** Whether the page is being looked at (tests pass a fake). */
export interface Visibility {
  visible(): boolean;
  /** Calls `onChange` whenever visible() may have changed; returns the unsubscribe. */
  subscribe(onChange: () => void): () => void;
}

const documentVisibility: Visibility = {
  visible: () => typeof document !== 'undefined' && document.visibilityState === 'visible',
  subscribe: (onChange) => {
    if (typeof document === 'undefined') return () => {};
    document.addEventListener('visibilitychange', onChange);
    return () => document.removeEventListener('visibilitychange', onChange);
  },
};

export interface LabStoreOptions {
  /** Opens the event socket (tests pass a fake). */
  open?: (url: string) => SocketLike;
  /** ws(s)://host of the page. */
  origin?: string;
  /** Live counters are wanted while this says visible (default: the document's visibility). */
  visibility?: Visibility;
}

export type TrafficListener = (t: Traffic) => void;

// Errors after which retrying cannot help until the learner does something.
const FATAL = new Set(['INVALID_NAME', 'LAB_NOT_FOUND', 'BAD_MESSAGE', 'UNAUTHORIZED']);

/** After the next frame is painted (a macrotask after the next animation frame; outside a page, a macrotask). */
function afterPaint(fn: () => void): void {
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => setTimeout(fn, 0));
  else setTimeout(fn, 0);
}

export class LabStore {
  private state: LabState = initialState;
  private listeners = new Set<Listener>();
  private socket: SocketLike | null = null;
  private retries = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private fatal = false;
  private readonly open: (url: string) => SocketLike;
  private readonly url: string;
  private readonly visibility: Visibility;
  private traffic: Traffic = noTraffic;
  private trafficListeners = new Set<TrafficListener>();
  /** What the server was last told about counters on the current socket. */
  private countersOn = false;
  private helloSent = false;
  /**
   * The lab this socket streams has been drawn (its snapshot applied and a frame painted, or a resume
   * that needs none): only then are counters asked for. Asked with the hello, the server's first
   * sample of every namespace (and its message) competed with drawing a big lab for the first time.
   */
  private drawn = false;
  private unwatchVisibility: (() => void) | null = null;

  constructor(
    readonly name: string,
    opts: LabStoreOptions = {},
  ) {
    this.open = opts.open ?? ((u) => new WebSocket(u) as unknown as SocketLike);
    this.visibility = opts.visibility ?? documentVisibility;
    const origin = opts.origin ?? `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}`;
    this.url = `${origin}/api/v1/labs/${encodeURIComponent(name)}/events`;
  }

  getState = (): LabState => this.state;

  subscribe = (l: Listener): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };

  getTraffic = (): Traffic => this.traffic;

  subscribeTraffic = (l: TrafficListener): (() => void) => {
    this.trafficListeners.add(l);
    return () => this.trafficListeners.delete(l);
  };

  /** Applies one message (exposed for tests; the socket calls it). */
  receive(m: ServerMessage): void {
    if (m.type === 'counters') {
      if (this.countersOn) this.setTraffic(applyCounters(this.traffic, m));
      return;
    }
    const { state, resync } = reduce(this.state, m);
    if (m.type === 'error' && FATAL.has(m.code)) this.fatal = true;
    if (resync) {
      // Drop the gap's history: the server then sends a snapshot instead of what it no longer has.
      this.state = { ...this.state, seq: 0 };
      this.retries = 0;
      this.socket?.close(4000, 'resync');
      return;
    }
    if (state !== this.state) this.setState(state, m);
    if (m.type === 'snapshot' && !this.drawn && this.socket) {
      const ws = this.socket;
      afterPaint(() => {
        if (this.socket !== ws) return;
        this.drawn = true;
        this.syncCounters();
      });
    }
  }

  connect(): void {
    this.stopped = false;
    this.unwatchVisibility ??= this.visibility.subscribe(() => this.syncCounters());
    if (this.socket || this.timer) return;
    this.open_();
  }

  private open_(): void {
    if (this.stopped || this.socket) return;
    let ws: SocketLike;
    try {
      ws = this.open(this.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = ws;
    this.helloSent = false;
    this.countersOn = false;
    this.drawn = false;
    ws.onopen = () => {
      // Without the stream its seq counts in, a number would be compared with another history's.
      const { lab, seq, stream } = this.state;
      const resume = lab && seq > 0 && stream ? { lastSeq: seq, stream } : {};
      ws.send(JSON.stringify({ type: 'hello', version: PROTOCOL_VERSION, ...resume }));
      this.helloSent = true;
      // Resuming gets only what was missed (possibly nothing), so there is no snapshot to wait for.
      if ('lastSeq' in resume) {
        this.drawn = true;
        this.syncCounters();
        this.setState({ ...this.state, status: 'live' }, null);
      }
    };
    ws.onmessage = (ev) => {
      let m: ServerMessage;
      try {
        m = JSON.parse(String(ev.data)) as ServerMessage;
      } catch {
        return;
      }
      this.retries = 0;
      this.receive(m);
    };
    ws.onerror = () => {
      /* onclose follows and reconnects */
    };
    ws.onclose = () => {
      if (this.socket === ws) {
        this.socket = null;
        this.helloSent = false;
        this.countersOn = false;
        this.setTraffic(noTraffic);
      }
      if (this.stopped || this.fatal || this.state.status === 'destroyed') return;
      this.setState({ ...this.state, status: this.state.lab ? 'reconnecting' : 'connecting' }, null);
      this.scheduleReconnect();
    };
  }

  /** Stops listening (the screen went away); connect() starts again. */
  close(): void {
    this.stopped = true;
    this.unwatchVisibility?.();
    this.unwatchVisibility = null;
    this.countersOn = false;
    this.helloSent = false;
    this.setTraffic(noTraffic);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const ws = this.socket;
    this.socket = null;
    if (ws) {
      ws.onclose = null;
      ws.onmessage = null;
      // Closing a socket that is still connecting makes browsers log an error: close it once open.
      if (ws.readyState === 0) ws.onopen = () => ws.close(1000, 'page closed');
      else ws.close(1000, 'page closed');
    }
  }

  private scheduleReconnect(): void {
    if (this.timer) clearTimeout(this.timer);
    // Exponential backoff with jitter, so a restarted server is not stormed by every open tab at once.
    const delay = Math.min(10_000, 300 * 2 ** this.retries) * (0.75 + Math.random() * 0.5);
    this.retries = Math.min(this.retries + 1, 10);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.open_();
    }, delay);
  }

  /** Tells the server whether this page wants counters now (visible) and forgets rates it stops. */
  private syncCounters(): void {
    const ws = this.socket;
    if (!ws || !this.helloSent || !this.drawn || ws.readyState !== 1) return;
    const want = this.visibility.visible();
    if (want === this.countersOn) return;
    this.countersOn = want;
    ws.send(JSON.stringify({ type: 'counters', on: want }));
    // Rates resume from the next full sample; stale ones must not linger on the canvas meanwhile.
    if (!want) this.setTraffic(noTraffic);
  }

  private setTraffic(t: Traffic): void {
    if (t === this.traffic) return;
    this.traffic = t;
    for (const l of [...this.trafficListeners]) l(t);
  }

  private setState(s: LabState, cause: ServerMessage | null): void {
    this.state = s;
    for (const l of [...this.listeners]) l(s, cause);
  }
}
