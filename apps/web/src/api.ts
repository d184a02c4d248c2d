// REST client for /api/v1. Same-origin only: the server trades the page's ?token= for an HttpOnly
// cookie, so requests carry no token of their own. Mutations say they come from the UI, so the
// command log can tell a click from a script.
import type { Edit, ObservedLab } from '@nslab/model';
import type { CaptureInfo, CommandLogEntry, Position } from '@nslab/protocol';
import type { LiveDiagnosis } from './diagnose/diagnosis.ts';

const BASE = '/api/v1';

/** The server's error body: `{code, message, field?, command?, kernelMessage?}`. */
export interface ApiErrorBody {
  code: string;
  message: string;
  field?: string;
  command?: string;
  kernelMessage?: string;
  issues?: { field: string; rule: string; message: string }[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
  ) {
    super(body.message);
    this.name = 'ApiError';
  }
  get code(): string {
    return this.body.code;
  }
  get field(): string | undefined {
    return this.body.field;
  }
}

export interface LabSummary {
  name: string;
  state: 'running' | 'saved';
  namespaces: number;
  /** Classroom mode: the name its owner typed (`name` is the kernel's, `u4-lab1`). */
  displayName?: string;
  /** Classroom mode: the owner's username. */
  owner?: string;
}

export interface EditResult {
  commands: string[];
  effects: string[];
  /** The edits that undo this one, worked out by the server beside the edit's plan. */
  undo: Edit[];
  /** What the edit did: "add ns5". */
  label: string;
}

export interface ExecResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  truncated: boolean;
  durationMs: number;
}

/** A guided lab as the server describes it (GET /catalog, GET /labs/:lab/guide). */
export interface GuideStep {
  id: string;
  title: string;
  markdown: string;
  checks: string[];
  /** The veth pairs this step's checks name (both ends, and the bridge an end is plugged into). */
  veths?: { step: string; a: GuideVethEnd; b: GuideVethEnd }[];
  /** The pings this step's checks run. */
  pings?: { from: string; to: string }[];
  /** Nodes whose loopback this step is about. */
  loopback?: string[];
  /** Trace and explain: the trace to run and the question answered from its journey (guide/TraceQuestion). */
  trace?: GuideTraceTask;
}

export interface GuideTraceTask {
  from: string;
  to: string;
  protocol: 'icmp' | 'tcp' | 'udp';
  port?: number;
  ask: { kind: 'which-node-rewrote-source' | 'first-packet-flooded' | 'where-dropped' | 'next-hop-of'; node?: string };
  question: string;
}

/** A trace step's answer: a node (or "none"), or for first-packet-flooded yes/no and the ports. */
export interface GuideTraceAnswer {
  node?: string;
  flooded?: boolean;
  ports?: string[];
}

export interface GuideVethEnd {
  node: string;
  name: string;
  bridge?: string;
}

export interface GuideLab {
  id: string;
  title: string;
  summary: string;
  requires: string[];
  /** Commands beyond nslab's own that the lab runs. */
  tools: string[];
  /** Kernel features the lab needs and this machine cannot give it (empty: runnable). */
  missing: string[];
  /** Of `missing`, those the kernel has but a lab may not use (a device's mode), with the host's fix. */
  blocked: { capability: string; detail: string; fix?: string }[];
  /** Commands the lab runs that this machine lacks, with the Debian package of each. */
  missingTools: { tool: string; package: string }[];
  steps: GuideStep[];
}

/** Where a guided lab stands: passed steps stay passed; `current` is the first open one. */
export interface GuideProgress {
  passed: string[];
  current: { index: number; step: string; title: string } | null;
  done: boolean;
}

export interface GuideCheckResult {
  title: string;
  ok: boolean;
  detail?: string;
  hints: string[];
}

export interface GuideStepResult {
  step: string;
  title: string;
  ok: boolean;
  checks: GuideCheckResult[];
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Told of every 401 and PASSWORD_CHANGE_REQUIRED, with the request's path (classroom/session.ts). */
let onAuthRefused: ((path: string, e: ApiError) => void) | null = null;
export function setAuthRefusedListener(fn: ((path: string, e: ApiError) => void) | null): void {
  onAuthRefused = fn;
}

export async function request<T>(method: Method, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (method !== 'GET') headers['x-nslab-source'] = 'ui';
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(BASE + path, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch {
    throw new ApiError(0, { code: 'NETWORK', message: 'could not reach the nslab server' });
  }
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON: handled below */
  }
  if (!res.ok) {
    const b = json as Partial<ApiErrorBody> | undefined;
    const err = new ApiError(res.status, {
      ...(b && typeof b === 'object' ? b : {}),
      code: typeof b?.code === 'string' ? b.code : `HTTP_${res.status}`,
      message: typeof b?.message === 'string' ? b.message : `${res.status} ${res.statusText}`,
    } as ApiErrorBody);
    if (res.status === 401 || err.code === 'PASSWORD_CHANGE_REQUIRED') onAuthRefused?.(path, err);
    throw err;
  }
  return json as T;
}

const seg = encodeURIComponent;
/** An exec line of the topology that failed at deploy; the lab was kept. */
export interface ExecFailure {
  node: string;
  command: string;
  message: string;
}

const lab = (name: string) => `/labs/${seg(name)}`;
const iface = (name: string, node: string, ifname: string) => `${lab(name)}/nodes/${seg(node)}/interfaces/${seg(ifname)}`;

export const api = {
  listLabs: () => request<{ labs: LabSummary[] }>('GET', '/labs').then((r) => r.labs),
  createLab: (body: { name?: string; yaml?: string; format?: 'native' | 'clab' }) =>
    request<{ name: string; commands: string[]; warnings: { field: string; message: string }[]; execFailures: ExecFailure[] }>('POST', '/labs', body),
  startLab: (name: string) => request<{ name: string; commands: string[]; execFailures: ExecFailure[] }>('POST', `${lab(name)}/start`),
  destroyLab: (name: string, keep = false) => request<{ destroyed: string }>('DELETE', `${lab(name)}${keep ? '?keep=true' : ''}`),
  getLab: (name: string) => request<ObservedLab>('GET', lab(name)),
  log: (name: string) => request<{ entries: CommandLogEntry[] }>('GET', `${lab(name)}/log`).then((r) => r.entries),

  edit: (name: string, edit: Edit) => request<EditResult>('POST', `${lab(name)}/edits`, { edit }),
  addNode: (name: string, node: string) => request<EditResult>('POST', `${lab(name)}/nodes`, { name: node }),
  removeNode: (name: string, node: string) => request<EditResult>('DELETE', `${lab(name)}/nodes/${seg(node)}`),
  addBridge: (name: string, bridge: string, node = 'host') => request<EditResult>('POST', `${lab(name)}/bridges`, { name: bridge, node }),
  addLink: (name: string, body: { a: { node: string; interface: string }; b: { node: string; interface: string }; bridge?: string }) =>
    request<EditResult>('POST', `${lab(name)}/links`, body),
  removeLink: (name: string, node: string, ifname: string) => request<EditResult>('DELETE', iface(name, node, ifname)),
  setLink: (name: string, node: string, ifname: string, body: { up?: boolean; mtu?: number; master?: string | null; promisc?: boolean }) =>
    request<EditResult>('PATCH', iface(name, node, ifname), body),
  addAddress: (name: string, node: string, ifname: string, address: string) =>
    request<EditResult>('POST', `${iface(name, node, ifname)}/addresses`, { address }),
  removeAddress: (name: string, node: string, ifname: string, address: string) =>
    request<EditResult>('DELETE', `${iface(name, node, ifname)}/addresses`, { address }),
  addRoute: (name: string, node: string, route: { to: string; via?: string; dev?: string; metric?: number }) =>
    request<EditResult>('POST', `${lab(name)}/nodes/${seg(node)}/routes`, route),
  removeRoute: (name: string, node: string, route: { to: string; via?: string; dev?: string; metric?: number }) =>
    request<EditResult>('DELETE', `${lab(name)}/nodes/${seg(node)}/routes`, route),
  setSysctl: (name: string, node: string, key: string, value: string) =>
    request<EditResult>('PUT', `${lab(name)}/nodes/${seg(node)}/sysctls/${seg(key)}`, { value }),
  exec: (name: string, node: string, argv: string[]) => request<ExecResult>('POST', `${lab(name)}/nodes/${seg(node)}/exec`, { argv }),
  putPositions: (name: string, positions: Record<string, Position>) =>
    request<{ positions: Record<string, Position> }>('PUT', `${lab(name)}/positions`, { positions }),
  catalog: () => request<{ labs: GuideLab[] }>('GET', '/catalog').then((r) => r.labs),
  startGuided: (id: string, name?: string) => request<{ name: string; lab: string }>('POST', `/catalog/${seg(id)}/start`, name ? { name } : {}),
  /** `{guide: null}` for a lab not started from the catalog. */
  guide: (name: string) => request<(GuideLab & GuideProgress & { guide: string; answers?: Record<string, { ok: boolean; text: string; at: string }> }) | { guide: null }>('GET', `${lab(name)}/guide`),
  answerGuide: (name: string, step: number, answer: GuideTraceAnswer) =>
    request<{ ok: boolean; text: string; results: GuideStepResult[] } & GuideProgress>('POST', `${lab(name)}/guide/answer`, { step, answer }),
  /** `step` is 1-based; without it the current step (and the open ones after it while they pass). */
  checkGuide: (name: string, step?: number) =>
    request<{ results: GuideStepResult[] } & GuideProgress>('POST', `${lab(name)}/guide/check`, step === undefined ? {} : { step }),
  solveGuide: (name: string, step: number) => request<{ solved: string[] }>('POST', `${lab(name)}/guide/solve`, { step }),
  /** "Why can't FROM reach TO?": the walk, its first broken hop with the fix, and the real ping. */
  diagnose: (name: string, from: string, to: string) => request<LiveDiagnosis>('GET', `${lab(name)}/diagnose?from=${seg(from)}&to=${seg(to)}`),
  exportUrl: (name: string, format: 'sh' | 'yaml' | 'clab' | 'log') => `${BASE}${lab(name)}/export?format=${format}`,
  /** Packet captures: tcpdump on one interface inside the lab; lines stream over captureEventsPath. */
  startCapture: (name: string, body: { node: string; interface: string; filter?: string; linkHeader?: boolean }) =>
    request<CaptureInfo>('POST', `${lab(name)}/captures`, body),
  listCaptures: (name: string) => request<{ captures: CaptureInfo[] }>('GET', `${lab(name)}/captures`).then((r) => r.captures),
  stopCapture: (name: string, id: string) => request<CaptureInfo>('POST', `${lab(name)}/captures/${seg(id)}/stop`),
  discardCapture: (name: string, id: string) => request<void>('DELETE', `${lab(name)}/captures/${seg(id)}`),
  pcapUrl: (name: string, id: string) => `${BASE}${lab(name)}/captures/${seg(id)}/pcap`,
  /** A trace's merged capture (pcapng), while the server still keeps it. */
  tracePcapUrl: (name: string, id: string) => `${BASE}${lab(name)}/trace/${seg(id)}/pcapng`,
  captureEventsPath: (name: string, id: string) => `${BASE}${lab(name)}/captures/${seg(id)}/events`,
};

/** Sends an edit through the REST route made for its kind (the same routes a script would use). */
export function applyEdit(name: string, e: Edit): Promise<EditResult> {
  switch (e.kind) {
    case 'add-node':
      return api.addNode(name, e.name);
    case 'remove-node':
      return api.removeNode(name, e.name);
    case 'add-bridge':
      return api.addBridge(name, e.name, e.node ?? 'host');
    case 'add-veth':
      return api.addLink(name, { a: e.a, b: e.b, ...(e.bridge !== undefined ? { bridge: e.bridge } : {}) });
    case 'remove-link':
      return api.removeLink(name, e.node, e.interface);
    case 'set-link': {
      const { kind: _k, node, interface: ifname, ...body } = e;
      return api.setLink(name, node, ifname, body);
    }
    case 'add-address':
      return api.addAddress(name, e.node, e.interface, e.address);
    case 'remove-address':
      return api.removeAddress(name, e.node, e.interface, e.address);
    case 'add-route':
      return api.addRoute(name, e.node, e.route);
    case 'remove-route':
      return api.removeRoute(name, e.node, e.route);
    case 'set-sysctl':
      return api.setSysctl(name, e.node, e.key, e.value);
    default:
      return api.edit(name, e);
  }
}
