// lab.yaml -> Lab, every problem reported with its field. Pure: the files come in as strings.
import YAML from 'yaml';
import { CAPABILITIES, checkCidr, checkInterfaceName, checkIp, checkNodeName, splitShellWords, type Capability, type Issue } from '@nslab/model';
import { TopologyError } from '@nslab/model';
import type { Check, CheckSpec, Hint, Lab, Mistake, SolutionCommand, Step } from './format.ts';
import { KNOWN_TOOLS, toolPackage } from './tools.ts';
import { defaultQuestion, TRACE_ASKS, type TraceAsk, type TraceTask } from './trace-question.ts';

export interface LabFiles {
  /** lab.yaml text */
  lab: string;
  /** Read another file of the lab folder (topology, step Markdown); null if absent. */
  read(path: string): string | null;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const CHECK_KINDS = ['namespace', 'interface', 'address', 'peer', 'bridgePort', 'fdb', 'neighbour', 'route', 'sysctl', 'ping', 'iptables', 'command'] as const;
const CHECK_EXTRA: Record<string, string[]> = { namespace: ['absent'], interface: ['up', 'kind', 'mtu', 'master', 'promisc', 'exists', 'details'] };
/** Keys of `details` (what the observer reports per kind: vxlan, macvlan, vlan, bridge). */
export const DETAIL_KEYS = ['id', 'dev', 'local', 'remote', 'group', 'dstport', 'parent', 'mode', 'protocol', 'vlanFiltering', 'stp'] as const;

class Reader {
  issues: Issue[] = [];
  add(field: string, rule: string, message: string): void {
    this.issues.push({ field, rule, message });
  }
  keys(o: Obj, field: string, allowed: string[]): void {
    for (const k of Object.keys(o)) if (!allowed.includes(k)) this.add(`${field}.${k}`, 'unknown-key', `unknown key "${k}" (expected one of: ${allowed.join(', ')})`);
  }
  str(o: Obj, k: string, field: string, required = true): string | undefined {
    const v = o[k];
    if (v === undefined) {
      if (required) this.add(`${field}.${k}`, 'required', `${k} is required`);
      return undefined;
    }
    if (typeof v !== 'string' || v.length === 0) {
      this.add(`${field}.${k}`, 'type', `${k} must be a non-empty string`);
      return undefined;
    }
    return v;
  }
  node(v: unknown, field: string): string {
    if (typeof v !== 'string') {
      this.add(field, 'type', 'must be a node name');
      return '';
    }
    if (v !== 'host') {
      const why = checkNodeName(v);
      if (why) this.add(field, 'node-name', `node name ${JSON.stringify(v)} ${why}`);
    }
    return v;
  }
  iface(v: unknown, field: string): string {
    const why = typeof v === 'string' ? checkInterfaceName(v) : 'must be a string';
    if (why) this.add(field, 'interface-name', `interface name ${JSON.stringify(v)} ${why}`);
    return String(v);
  }
  ifaceRef(v: unknown, field: string, nameKey: 'name' | 'interface' = 'name'): { node: string; name: string } {
    if (!isObj(v)) {
      this.add(field, 'type', `must be {node, ${nameKey}}`);
      return { node: '', name: '' };
    }
    this.keys(v, field, ['node', nameKey]);
    return { node: this.node(v.node, `${field}.node`), name: this.iface(v[nameKey], `${field}.${nameKey}`) };
  }
}

function readCheck(r: Reader, v: unknown, field: string): Check | null {
  if (!isObj(v)) {
    r.add(field, 'type', 'a check must be a mapping with one of: ' + CHECK_KINDS.join(', '));
    return null;
  }
  const kinds = CHECK_KINDS.filter((k) => k in v);
  if (kinds.length !== 1) {
    r.add(field, 'check-kind', `a check needs exactly one of: ${CHECK_KINDS.join(', ')} (found ${kinds.length ? kinds.join(', ') : 'none'})`);
    return null;
  }
  const kind = kinds[0]!;
  r.keys(v, field, [kind, ...(CHECK_EXTRA[kind] ?? [])]);
  const body = v[kind];
  const f = `${field}.${kind}`;
  const o = isObj(body) ? body : {};
  switch (kind) {
    case 'namespace':
      return { namespace: r.node(body, f), ...(v.absent !== undefined ? { absent: v.absent === true } : {}) };
    case 'interface': {
      const ref = r.ifaceRef(body, f);
      const out: Check = { interface: ref };
      for (const k of ['up', 'promisc', 'exists'] as const) if (v[k] !== undefined) {
        if (typeof v[k] !== 'boolean') r.add(`${field}.${k}`, 'type', `${k} must be true or false`);
        else (out as Obj)[k] = v[k];
      }
      if (v.kind !== undefined) (out as Obj).kind = String(v.kind);
      if (v.mtu !== undefined) (out as Obj).mtu = Number(v.mtu);
      if (v.master !== undefined) (out as Obj).master = v.master === null ? null : r.iface(v.master, `${field}.master`);
      if (v.details !== undefined) {
        if (!isObj(v.details) || Object.keys(v.details).length === 0) r.add(`${field}.details`, 'type', `details must be a non-empty mapping of: ${DETAIL_KEYS.join(', ')}`);
        else {
          r.keys(v.details, `${field}.details`, [...DETAIL_KEYS]);
          const details: Record<string, string | number | boolean> = {};
          for (const [k, d] of Object.entries(v.details)) {
            if (typeof d === 'string' || typeof d === 'number' || typeof d === 'boolean') details[k] = d;
            else r.add(`${field}.details.${k}`, 'type', `${k} must be a string, number or boolean`);
          }
          (out as Obj).details = details;
        }
      }
      return out;
    }
    case 'address': {
      r.keys(o, f, ['node', 'interface', 'address']);
      const address = r.str(o, 'address', f) ?? '';
      const why = checkCidr(address);
      if (address && why) r.add(`${f}.address`, 'cidr', why);
      return { address: { node: r.node(o.node, `${f}.node`), ...(o.interface !== undefined ? { interface: r.iface(o.interface, `${f}.interface`) } : {}), address } };
    }
    case 'peer': {
      r.keys(o, f, ['a', 'b']);
      const a = r.ifaceRef(o.a, `${f}.a`, 'interface');
      const b = r.ifaceRef(o.b, `${f}.b`, 'interface');
      return { peer: { a: { node: a.node, interface: a.name }, b: { node: b.node, interface: b.name } } };
    }
    case 'bridgePort':
      r.keys(o, f, ['node', 'bridge', 'port']);
      return { bridgePort: { ...(o.node !== undefined ? { node: r.node(o.node, `${f}.node`) } : {}), bridge: r.iface(o.bridge, `${f}.bridge`), port: r.iface(o.port, `${f}.port`) } };
    case 'fdb':
      r.keys(o, f, ['node', 'bridge', 'macOf']);
      return { fdb: { ...(o.node !== undefined ? { node: r.node(o.node, `${f}.node`) } : {}), bridge: r.iface(o.bridge, `${f}.bridge`), macOf: r.ifaceRef(o.macOf, `${f}.macOf`) } };
    case 'neighbour': {
      r.keys(o, f, ['node', 'address']);
      const address = r.str(o, 'address', f) ?? '';
      if (address && checkIp(address)) r.add(`${f}.address`, 'ip', checkIp(address)!);
      return { neighbour: { node: r.node(o.node, `${f}.node`), address } };
    }
    case 'route': {
      r.keys(o, f, ['node', 'to', 'via', 'dev']);
      const to = r.str(o, 'to', f) ?? '';
      if (to && to !== 'default' && checkCidr(to)) r.add(`${f}.to`, 'cidr', checkCidr(to)!);
      const via = r.str(o, 'via', f, false);
      if (via && checkIp(via)) r.add(`${f}.via`, 'ip', checkIp(via)!);
      return { route: { node: r.node(o.node, `${f}.node`), to, ...(via ? { via } : {}), ...(o.dev !== undefined ? { dev: r.iface(o.dev, `${f}.dev`) } : {}) } };
    }
    case 'sysctl': {
      r.keys(o, f, ['node', 'key', 'value']);
      const key = r.str(o, 'key', f) ?? '';
      if (key && !/^net\.[a-z0-9_.-]+$/.test(key)) r.add(`${f}.key`, 'sysctl', 'only network sysctls (net.*) can be checked');
      return { sysctl: { node: r.node(o.node, `${f}.node`), key, value: String(o.value ?? '') } };
    }
    case 'ping': {
      r.keys(o, f, ['from', 'to', 'expect']);
      const to = r.str(o, 'to', f) ?? '';
      if (to && checkIp(to)) r.add(`${f}.to`, 'ip', checkIp(to)!);
      if (o.expect !== undefined && o.expect !== 'success' && o.expect !== 'failure') r.add(`${f}.expect`, 'enum', 'expect is success or failure');
      return { ping: { from: r.node(o.from, `${f}.from`), to, ...(o.expect ? { expect: o.expect as 'success' | 'failure' } : {}) } };
    }
    case 'iptables':
      r.keys(o, f, ['node', 'table', 'contains']);
      return { iptables: { ...(o.node !== undefined ? { node: r.node(o.node, `${f}.node`) } : {}), ...(o.table !== undefined ? { table: String(o.table) } : {}), contains: r.str(o, 'contains', f) ?? '' } };
    case 'command': {
      r.keys(o, f, ['node', 'run', 'exitCode', 'outputContains']);
      const run = r.str(o, 'run', f) ?? '';
      try {
        splitShellWords(run);
      } catch (e) {
        r.add(`${f}.run`, 'command', (e as Error).message);
      }
      return { command: { node: r.node(o.node, `${f}.node`), run, ...(o.exitCode !== undefined ? { exitCode: Number(o.exitCode) } : {}), ...(o.outputContains !== undefined ? { outputContains: String(o.outputContains) } : {}) } };
    }
  }
}

function readCommands(r: Reader, v: unknown, field: string): SolutionCommand[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) {
    r.add(field, 'type', 'must be a list of commands');
    return [];
  }
  return v.flatMap((c, i): SolutionCommand[] => {
    const f = `${field}[${i}]`;
    const cmd = typeof c === 'string' ? { node: 'host', run: c } : isObj(c) ? { node: c.node === undefined ? 'host' : r.node(c.node, `${f}.node`), run: r.str(c, 'run', f) ?? '' } : null;
    if (!cmd) {
      r.add(f, 'type', 'a command is a string (run in the lab host) or {node, run}');
      return [];
    }
    if (isObj(c)) r.keys(c, f, ['node', 'run']);
    try {
      if (splitShellWords(cmd.run).length === 0) r.add(f, 'command', 'empty command');
    } catch (e) {
      r.add(f, 'command', (e as Error).message);
    }
    return [cmd];
  });
}

function readTrace(r: Reader, v: unknown, f: string): TraceTask | undefined {
  if (!isObj(v)) {
    r.add(f, 'type', 'trace is {from, to, protocol?, port?, ask, question?}');
    return undefined;
  }
  r.keys(v, f, ['from', 'to', 'protocol', 'port', 'ask', 'question']);
  const from = r.node(v.from, `${f}.from`);
  const to = r.str(v, 'to', f) ?? '';
  if (to && checkIp(to) && checkNodeName(to) && to !== 'host') r.add(`${f}.to`, 'target', `to ${JSON.stringify(to)} is neither a node name nor an IPv4 address`);
  const protocol = v.protocol === undefined ? 'icmp' : v.protocol;
  if (protocol !== 'icmp' && protocol !== 'tcp' && protocol !== 'udp') r.add(`${f}.protocol`, 'enum', 'protocol is icmp, tcp or udp');
  let port: number | undefined;
  if (protocol === 'tcp' || protocol === 'udp') {
    if (typeof v.port !== 'number' || !Number.isInteger(v.port) || v.port < 1 || v.port > 65535) r.add(`${f}.port`, 'port', `a ${protocol} trace needs a port from 1 to 65535`);
    else port = v.port;
  } else if (v.port !== undefined) r.add(`${f}.port`, 'port', 'an icmp trace has no port');
  let ask: TraceAsk | undefined;
  const kinds = TRACE_ASKS.join(', ');
  if (typeof v.ask === 'string') {
    if (v.ask === 'next-hop-of') r.add(`${f}.ask`, 'ask', 'next-hop-of names its node: ask: { next-hop-of: router }');
    else if ((TRACE_ASKS as readonly string[]).includes(v.ask)) ask = { kind: v.ask as TraceAsk['kind'] };
    else r.add(`${f}.ask`, 'ask', `unknown question ${JSON.stringify(v.ask)} (known: ${kinds})`);
  } else if (isObj(v.ask) && Object.keys(v.ask).length === 1 && 'next-hop-of' in v.ask) {
    ask = { kind: 'next-hop-of', node: r.node(v.ask['next-hop-of'], `${f}.ask.next-hop-of`) };
  } else r.add(`${f}.ask`, 'ask', `ask is one of ${kinds} (next-hop-of as { next-hop-of: NODE })`);
  const question = v.question === undefined ? undefined : r.str(v, 'question', f);
  if (!ask || (protocol !== 'icmp' && protocol !== 'tcp' && protocol !== 'udp')) return undefined;
  return { from, to, protocol, ...(port !== undefined ? { port } : {}), ask, question: question ?? defaultQuestion(ask) };
}

function readCheckSpec(r: Reader, v: unknown, field: string): CheckSpec | null {
  // Either a bare check, or {check, title?, hints?}.
  if (isObj(v) && 'check' in v) {
    r.keys(v, field, ['check', 'title', 'hints']);
    const check = readCheck(r, v.check, `${field}.check`);
    const hints: Hint[] = [];
    if (v.hints !== undefined && !Array.isArray(v.hints)) r.add(`${field}.hints`, 'type', 'hints must be a list');
    (Array.isArray(v.hints) ? v.hints : []).forEach((h, i) => {
      const hf = `${field}.hints[${i}]`;
      if (!isObj(h)) return r.add(hf, 'type', 'a hint is {when: <check>, text}');
      r.keys(h, hf, ['when', 'text']);
      const when = readCheck(r, h.when, `${hf}.when`);
      const text = r.str(h, 'text', hf);
      if (when && text) hints.push({ when, text });
    });
    return check ? { check, hints, ...(typeof v.title === 'string' ? { title: v.title } : {}) } : null;
  }
  const check = readCheck(r, v, field);
  return check ? { check, hints: [] } : null;
}

export function parseLab(id: string, files: LabFiles): Lab {
  const r = new Reader();
  const idWhy = checkNodeName(id);
  if (idWhy) r.add('id', 'lab-id', `lab folder name ${JSON.stringify(id)} ${idWhy}`);
  let doc: unknown;
  try {
    doc = YAML.parse(files.lab, { maxAliasCount: 50, uniqueKeys: true });
  } catch (e) {
    throw new TopologyError([{ field: 'lab.yaml', rule: 'yaml', message: (e as Error).message }]);
  }
  if (!isObj(doc)) throw new TopologyError([{ field: 'lab.yaml', rule: 'type', message: 'lab.yaml must be a mapping' }]);
  r.keys(doc, 'lab', ['title', 'summary', 'requires', 'tools', 'topology', 'steps']);
  const title = r.str(doc, 'title', 'lab') ?? id;
  const summary = r.str(doc, 'summary', 'lab') ?? '';
  const requires: Capability[] = [];
  if (doc.requires !== undefined) {
    if (!Array.isArray(doc.requires)) r.add('lab.requires', 'type', 'requires must be a list');
    else doc.requires.forEach((c, i) => (CAPABILITIES as readonly string[]).includes(c as string) ? requires.push(c as Capability) : r.add(`lab.requires[${i}]`, 'capability', `unknown capability ${JSON.stringify(c)} (known: ${CAPABILITIES.join(', ')})`));
  }
  const tools: string[] = [];
  if (doc.tools !== undefined) {
    if (!Array.isArray(doc.tools)) r.add('lab.tools', 'type', 'tools must be a list of command names');
    else {
      doc.tools.forEach((t, i) => {
        const f = `lab.tools[${i}]`;
        if (typeof t !== 'string' || toolPackage(t) === undefined) {
          r.add(f, 'tool', `unknown tool ${JSON.stringify(t)}: each must be a command nslab knows the Debian package of (${Object.keys(KNOWN_TOOLS).join(', ')})`);
        } else if (tools.includes(t)) r.add(f, 'duplicate', `tool ${t} is listed twice`);
        else tools.push(t);
      });
    }
  }
  let topology = '';
  if (doc.topology !== undefined) {
    const path = r.str(doc, 'topology', 'lab');
    const text = path ? files.read(path) : null;
    if (path && text === null) r.add('lab.topology', 'missing-file', `no file ${path} in the lab folder`);
    topology = text ?? '';
  }
  const steps: Step[] = [];
  if (!Array.isArray(doc.steps) || doc.steps.length === 0) r.add('lab.steps', 'required', 'a lab needs at least one step');
  const ids = new Set<string>();
  (Array.isArray(doc.steps) ? doc.steps : []).forEach((s, i) => {
    const f = `lab.steps[${i}]`;
    if (!isObj(s)) return r.add(f, 'type', 'a step is a mapping');
    r.keys(s, f, ['id', 'title', 'doc', 'checks', 'trace', 'solution', 'mistakes']);
    const sid = r.str(s, 'id', f) ?? `step-${i + 1}`;
    if (ids.has(sid)) r.add(`${f}.id`, 'duplicate', `step id ${sid} is used twice`);
    ids.add(sid);
    const docPath = r.str(s, 'doc', f);
    const markdown = docPath ? files.read(docPath) : null;
    if (docPath && markdown === null) r.add(`${f}.doc`, 'missing-file', `no file ${docPath} in the lab folder`);
    const trace = s.trace === undefined ? undefined : readTrace(r, s.trace, `${f}.trace`);
    if (s.checks !== undefined && !Array.isArray(s.checks)) r.add(`${f}.checks`, 'type', 'checks must be a list');
    else if ((!Array.isArray(s.checks) || s.checks.length === 0) && s.trace === undefined) r.add(`${f}.checks`, 'required', 'a step needs at least one check (or a trace to explain)');
    const checks = (Array.isArray(s.checks) ? s.checks : []).map((c, k) => readCheckSpec(r, c, `${f}.checks[${k}]`)).filter((c): c is CheckSpec => c !== null);
    const solution = readCommands(r, s.solution, `${f}.solution`);
    const mistakes: Mistake[] = [];
    (Array.isArray(s.mistakes) ? s.mistakes : []).forEach((m, k) => {
      const mf = `${f}.mistakes[${k}]`;
      if (!isObj(m)) return r.add(mf, 'type', 'a mistake is {title, run, expectHint}');
      r.keys(m, mf, ['title', 'run', 'expectHint']);
      mistakes.push({ title: r.str(m, 'title', mf) ?? '', run: readCommands(r, m.run, `${mf}.run`), expectHint: r.str(m, 'expectHint', mf) ?? '' });
    });
    steps.push({ id: sid, title: r.str(s, 'title', f) ?? sid, markdown: markdown ?? '', checks, ...(trace ? { trace } : {}), solution, mistakes });
  });
  if (r.issues.length) throw new TopologyError(r.issues);
  return { id, title, summary, requires, tools, topology, steps };
}
