// Runs a step's checks against a live lab. Pure over a probe (observe + exec), so unit tests use a
// fake lab and CI the real kernel. A failed check explains itself: hints the lab author attached
// (each guarded by a condition on the real state) plus what the state itself shows.
import { assumeFixed, splitShellWords, HOST, type Diagnosis, type ObservedInterface, type ObservedLab, type ObservedNode } from '@nslab/model';
import { walk } from './diagnose-live.ts';
import type { Check, CheckSpec, Lab, Step } from './format.ts';
import { describeCheck } from './describe.ts';
import { expectedEnd, expectedVeths, type ExpectedVeth } from './expect.ts';
import { stepNodes } from './named-nodes.ts';
import { traceCheck, type GuideTraces } from './guide-trace.ts';

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface LabProbe {
  /**
   * The lab's state. `nodes` (the namespaces the caller's checks name, `host` the lab host) must be
   * read from the kernel now; a probe may take the other namespaces from a view netlink events keep
   * fresh (the server's live lab) or read them too (the CLI reads the whole lab).
   */
  observe(nodes?: readonly string[]): Promise<ObservedLab>;
  exec(node: string, argv: string[]): Promise<ExecResult>;
  /** The lab's name and the traces its learner ran with their answers (steps that ask about a trace). */
  guideTraces?(): { lab: string; record: GuideTraces | null };
}

export interface CheckResult {
  title: string;
  ok: boolean;
  /** What was found, when it differs from what was wanted. */
  detail?: string;
  hints: string[];
}

export interface StepResult {
  step: string;
  title: string;
  ok: boolean;
  checks: CheckResult[];
}

interface Ctx {
  lab: ObservedLab;
  probe: LabProbe;
  /** The veth pairs the lab's checks name: what a pair under other names was meant to be. */
  veths: ExpectedVeth[];
}

interface Outcome {
  ok: boolean;
  detail?: string;
  /** Hints the state itself suggests. */
  auto?: string[];
}

const node = (ctx: Ctx, name: string): ObservedNode | undefined => ctx.lab.nodes.find((n) => n.name === name);
const iface = (ctx: Ctx, n: string, i: string): ObservedInterface | undefined => node(ctx, n)?.interfaces.find((x) => x.name === i);
/** Kinds whose settings `ip link set` cannot change: the interface must be re-created. */
const FIXED_AT_CREATION = new Set(['vxlan', 'vlan']);
const ipOf = (cidr: string) => cidr.split('/')[0]!;
const nsArg = (n: string) => (n === HOST ? 'the lab host' : n);
const ipCmd = (n: string) => (n === HOST ? 'ip' : `ip -n ${n}`);

/** Where an interface of that name lives, if not where it was expected. */
function elsewhere(ctx: Ctx, name: string, not: string): string | undefined {
  return ctx.lab.nodes.find((n) => n.name !== not && n.interfaces.some((i) => i.name === name))?.name;
}

/** Renaming `x` in `n` to `to`: the kernel renames only an interface that is down. */
function renameCommand(n: string, x: ObservedInterface, to: string): string {
  const set = `${ipCmd(n)} link set dev`;
  return x.up ? `${set} ${x.name} down && ${set} ${x.name} name ${to} && ${set} ${to} up` : `${set} ${x.name} name ${to}`;
}

/**
 * When `i` is missing from `n` but `n` has a veth to where `i`'s pair should lead, under a name
 * no check expects in `n`: the pair was made (by hand, or drawn in the editor, which proposes its
 * own names) and only its names differ. One hint per end to rename.
 */
function misnamedHints(ctx: Ctx, n: string, i: string): string[] | undefined {
  const want = expectedEnd(ctx.veths, n, i);
  if (!want) return undefined;
  const expectedIn = (node: string) => new Set(ctx.veths.flatMap((v) => [v.a, v.b]).filter((e) => e.node === node).map((e) => e.name));
  const here = expectedIn(n);
  const to = want.other.node;
  const x = node(ctx, n)?.interfaces.find((y) => y.kind === 'veth' && y.peer?.node === to && !here.has(y.name));
  if (!x) return undefined;
  const hints = [`${nsArg(n)} has a veth to ${nsArg(to)} named ${x.name}; this step expects it to be named ${i}: ${renameCommand(n, x, i)}`];
  const p = x.peer?.interface ? iface(ctx, to, x.peer.interface) : undefined;
  if (p && p.name !== want.other.name && !iface(ctx, to, want.other.name)) {
    hints.push(`Its other end, in ${nsArg(to)}, is named ${p.name}; this step expects ${want.other.name}: ${renameCommand(to, p, want.other.name)}`);
  }
  hints.push(`Or delete that pair and create it again as ${i} in ${nsArg(n)} and ${want.other.name} in ${nsArg(to)}.`);
  return hints;
}

function missingIface(ctx: Ctx, n: string, i: string): Outcome {
  if (!node(ctx, n)) return { ok: false, detail: `there is no namespace ${n}`, auto: [`Create it first: ip netns add ${n}`] };
  const misnamed = misnamedHints(ctx, n, i);
  if (misnamed) return { ok: false, detail: `${nsArg(n)} has no interface ${i}`, auto: misnamed };
  const other = elsewhere(ctx, i, n);
  if (other) {
    return {
      ok: false,
      detail: `${i} is in ${nsArg(other)}, not in ${nsArg(n)}`,
      auto: [`${i} is still in ${nsArg(other)}: move it with ${ipCmd(other)} link set dev ${i} netns ${n}`],
    };
  }
  return { ok: false, detail: `${nsArg(n)} has no interface ${i}` };
}

function upHints(ctx: Ctx, n: string, x: ObservedInterface): string[] {
  if (!x.up) return [`${x.name} is still DOWN in ${nsArg(n)}: ${ipCmd(n)} link set dev ${x.name} up`];
  if (!x.carrier && x.peer?.node && x.peer.interface) {
    const p = iface(ctx, x.peer.node, x.peer.interface);
    if (p && !p.up) return [`${x.name} is UP but its peer ${x.peer.interface} (in ${nsArg(x.peer.node)}) is DOWN, so there is no carrier: ${ipCmd(x.peer.node)} link set dev ${p.name} up`];
  }
  return [];
}

/** A failed ping lists at most this many problems, in path order. */
const MAX_PING_HINTS = 3;

/**
 * One walk as a hint: the first broken hop's message with the commands that fix it, or, when the
 * walk finds every hop in order, what it could not see.
 */
export function diagnosisHint(d: Diagnosis): string | undefined {
  const p = d.problem;
  if (p) return p.fix.length ? `${p.message}: ${p.fix.join(' && ')}` : p.message;
  // An IPv6 target is not walked: nothing to say beyond the failed ping itself.
  if (!d.path.some((h) => h.direction === 'return')) return undefined;
  if (d.uncertain?.length) return `every hop from ${d.from} to ${d.target?.address ?? d.to} and back looks right, except what the walk cannot judge: ${d.uncertain.join('; ')}`;
  return `every hop from ${d.from} to ${d.target?.address ?? d.to} and back looks right in the kernel's state (addresses, links, bridges, routes, forwarding, iptables filter rules): what drops the ping is something the walk does not read, such as the raw or mangle table or tc — or ARP was still resolving, so check again`;
}

/**
 * Why a ping failed, from the diagnosis walker. A link left down is assumed brought up and the walk
 * goes on, so a learner sees every interface to bring up along the path at once.
 */
export async function pingHints(probe: Pick<LabProbe, 'exec'>, lab: ObservedLab, from: string, to: string): Promise<string[]> {
  const out: string[] = [];
  let state: ObservedLab | undefined = lab;
  for (let i = 0; state && i < MAX_PING_HINTS; i++) {
    const d = await walk(probe, state, from, to);
    if (i > 0 && !d.problem) break;
    const hint = diagnosisHint(d);
    if (hint) out.push(hint);
    state = d.problem && assumeFixed(state, d.problem);
  }
  return out;
}

async function evaluate(c: Check, ctx: Ctx): Promise<Outcome> {
  if ('namespace' in c) {
    const exists = !!node(ctx, c.namespace);
    return c.absent ? { ok: !exists, detail: exists ? `${c.namespace} still exists` : undefined } : { ok: exists, detail: exists ? undefined : `there is no namespace ${c.namespace}`, auto: exists ? [] : [`ip netns add ${c.namespace}`] };
  }
  if ('interface' in c) {
    const { node: n, name } = c.interface;
    const x = iface(ctx, n, name);
    if (c.exists === false) return { ok: !x, detail: x ? `${name} still exists in ${nsArg(n)}` : undefined };
    if (!x) return missingIface(ctx, n, name);
    const bad: string[] = [];
    const auto: string[] = [];
    if (c.kind && x.kind !== c.kind) bad.push(`${name} is a ${x.kind}, not a ${c.kind}`);
    if (c.up === true && !(x.up && (x.carrier || x.kind === 'loopback' || x.kind === 'bridge'))) {
      bad.push(x.up ? `${name} is UP but has no carrier` : `${name} is DOWN`);
      auto.push(...upHints(ctx, n, x));
    }
    if (c.up === false && x.up) bad.push(`${name} is UP`);
    if (c.mtu !== undefined && x.mtu !== c.mtu) bad.push(`${name} has MTU ${x.mtu}`);
    if (c.master !== undefined && (x.master ?? null) !== c.master) {
      bad.push(x.master ? `${name} is a port of ${x.master}` : `${name} is in no bridge`);
      if (c.master) auto.push(`${name} is not attached to ${c.master}: ${ipCmd(n)} link set dev ${name} master ${c.master}`);
    }
    if (c.promisc !== undefined && x.promisc !== c.promisc) bad.push(`${name} is ${x.promisc ? '' : 'not '}in promiscuous mode`);
    if (c.details) {
      const wrong = Object.entries(c.details).filter(([k, v]) => String(x.details?.[k]) !== String(v));
      for (const [k, v] of wrong) {
        const have = x.details?.[k];
        bad.push(have === undefined ? `${name} reports no ${k}` : `${name} has ${k} ${String(have)}`);
        if (have === undefined) continue;
        let how = '';
        if (x.kind === 'macvlan' && k === 'mode') how = `: ${ipCmd(n)} link set dev ${name} type macvlan mode ${String(v)}`;
        else if (FIXED_AT_CREATION.has(x.kind)) how = `: ${x.kind} settings are fixed when the interface is created, so delete it (${ipCmd(n)} link del ${name}) and add it again with ${k} ${String(v)}`;
        auto.push(`${name}'s ${k} is ${String(have)}, not ${String(v)}${how}`);
      }
    }
    return { ok: bad.length === 0, detail: bad.join('; ') || undefined, auto };
  }
  if ('address' in c) {
    const { node: n, interface: i, address } = c.address;
    const nd = node(ctx, n);
    if (!nd) return { ok: false, detail: `there is no namespace ${n}` };
    const candidates = nd.interfaces.filter((x) => !i || x.name === i);
    if (i && candidates.length === 0) return missingIface(ctx, n, i);
    if (candidates.some((x) => x.addresses.includes(address))) return { ok: true };
    const sameIp = nd.interfaces.flatMap((x) => x.addresses.map((a) => ({ x, a }))).find(({ a }) => ipOf(a) === ipOf(address));
    if (sameIp) {
      if (sameIp.a !== address) return { ok: false, detail: `${sameIp.x.name} has ${sameIp.a}`, auto: [`${sameIp.a} is in a different subnet from ${address}: the prefix length decides which addresses are on the same link. ${ipCmd(n)} addr del ${sameIp.a} dev ${sameIp.x.name} && ${ipCmd(n)} addr add ${address} dev ${sameIp.x.name}`] };
      return { ok: false, detail: `${address} is on ${sameIp.x.name}, not on ${i}` };
    }
    return { ok: false, detail: `${i ?? nsArg(n)} has no ${address}`, auto: [`${ipCmd(n)} addr add ${address} dev ${i ?? '<interface>'}`] };
  }
  if ('peer' in c) {
    const a = iface(ctx, c.peer.a.node, c.peer.a.interface);
    if (!a) return missingIface(ctx, c.peer.a.node, c.peer.a.interface);
    const ok = a.peer?.node === c.peer.b.node && a.peer?.interface === c.peer.b.interface;
    if (ok) return { ok };
    const detail = a.peer ? `${a.name}'s peer is ${a.peer.node ?? '?'}:${a.peer.interface ?? a.peer.ifindex}` : `${a.name} is not a veth`;
    // The right pair with its far end under another name.
    const p = a.peer?.node === c.peer.b.node && a.peer.interface ? iface(ctx, c.peer.b.node, a.peer.interface) : undefined;
    if (p && !iface(ctx, c.peer.b.node, c.peer.b.interface)) {
      return { ok: false, detail, auto: [`${a.name}'s other end, in ${nsArg(c.peer.b.node)}, is named ${p.name}; this step expects ${c.peer.b.interface}: ${renameCommand(c.peer.b.node, p, c.peer.b.interface)}`] };
    }
    return { ok: false, detail };
  }
  if ('bridgePort' in c) {
    const n = c.bridgePort.node ?? HOST;
    const br = iface(ctx, n, c.bridgePort.bridge);
    if (!br) return { ok: false, detail: `there is no bridge ${c.bridgePort.bridge} in ${nsArg(n)}`, auto: [`${ipCmd(n)} link add name ${c.bridgePort.bridge} type bridge`] };
    const p = iface(ctx, n, c.bridgePort.port);
    if (!p) return missingIface(ctx, n, c.bridgePort.port);
    if (p.master === c.bridgePort.bridge) return { ok: true };
    return {
      ok: false,
      detail: p.master ? `${p.name} is a port of ${p.master}` : `${p.name} is in no bridge`,
      auto: [`${p.name} is not attached to ${c.bridgePort.bridge}: ${ipCmd(n)} link set dev ${p.name} master ${c.bridgePort.bridge}`],
    };
  }
  if ('fdb' in c) {
    const n = c.fdb.node ?? HOST;
    const target = iface(ctx, c.fdb.macOf.node, c.fdb.macOf.name);
    if (!target) return missingIface(ctx, c.fdb.macOf.node, c.fdb.macOf.name);
    const b = ctx.lab.bridges.find((x) => x.node === n && x.name === c.fdb.bridge);
    if (!b) return { ok: false, detail: `there is no bridge ${c.fdb.bridge}` };
    const ok = b.fdb.some((e) => e.mac === target.mac);
    return { ok, detail: ok ? undefined : `${c.fdb.bridge} has not seen ${target.mac} yet`, auto: ok ? [] : [`A bridge learns a MAC when a frame from it arrives: send some traffic from ${c.fdb.macOf.node} (ping), then look again with bridge fdb show br ${c.fdb.bridge}`] };
  }
  if ('neighbour' in c) {
    const nd = node(ctx, c.neighbour.node);
    const e = nd?.neighbours.find((x) => x.address === c.neighbour.address && x.mac && !x.state.includes('FAILED') && !x.state.includes('INCOMPLETE'));
    return { ok: !!e, detail: e ? undefined : `${c.neighbour.node} has no resolved entry for ${c.neighbour.address}`, auto: e ? [] : [`ARP resolves an address when you first send to it: ping ${c.neighbour.address} from ${c.neighbour.node}, then ip neigh`] };
  }
  if ('route' in c) {
    const nd = node(ctx, c.route.node);
    if (!nd) return { ok: false, detail: `there is no namespace ${c.route.node}` };
    const r = nd.routes.find((x) => x.dst === c.route.to && (!c.route.via || x.via === c.route.via) && (!c.route.dev || x.dev === c.route.dev));
    if (r) return { ok: true };
    const same = nd.routes.find((x) => x.dst === c.route.to);
    return {
      ok: false,
      detail: same ? `the route to ${c.route.to} goes ${same.via ? `via ${same.via}` : `dev ${same.dev}`}` : `${nsArg(c.route.node)} has no route to ${c.route.to}`,
      auto: [`${ipCmd(c.route.node)} route add ${c.route.to}${c.route.via ? ` via ${c.route.via}` : ''}${c.route.dev ? ` dev ${c.route.dev}` : ''}`],
    };
  }
  if ('sysctl' in c) {
    const nd = node(ctx, c.sysctl.node);
    let v = nd?.sysctls[c.sysctl.key];
    if (v === undefined && nd) {
      const r = await ctx.probe.exec(c.sysctl.node, ['sysctl', '-n', c.sysctl.key]);
      v = r.code === 0 ? r.stdout.trim() : undefined;
    }
    const ok = v === c.sysctl.value;
    return { ok, detail: ok ? undefined : `${c.sysctl.key} is ${v ?? 'unknown'}`, auto: ok ? [] : [`${c.sysctl.node === HOST ? '' : `ip netns exec ${c.sysctl.node} `}sysctl -w ${c.sysctl.key}=${c.sysctl.value}`] };
  }
  if ('ping' in c) {
    const argv = ['ping', '-c', '1', '-W', '1', c.ping.to];
    let r = await ctx.probe.exec(c.ping.from, argv);
    const want = (c.ping.expect ?? 'success') === 'success';
    // An ARP/ND resolution still pending from an earlier failed attempt (made before the fix) holds
    // the first echo until its next retransmission, which can miss the 1 s wait: try once more.
    if (r.code !== 0 && want && node(ctx, c.ping.from)?.neighbours.some((e) => e.state.includes('INCOMPLETE') || e.state.includes('PROBE'))) {
      r = await ctx.probe.exec(c.ping.from, argv);
    }
    const success = r.code === 0;
    if (success === want) return { ok: true };
    if (!want) return { ok: false, detail: `${c.ping.from} can still reach ${c.ping.to}`, auto: [] };
    return { ok: false, detail: `ping from ${c.ping.from} to ${c.ping.to} failed`, auto: await pingHints(ctx.probe, ctx.lab, c.ping.from, c.ping.to) };
  }
  if ('iptables' in c) {
    const n = c.iptables.node ?? HOST;
    const r = await ctx.probe.exec(n, ['iptables-save', '-t', c.iptables.table ?? 'filter']);
    const ok = r.code === 0 && r.stdout.includes(c.iptables.contains);
    return { ok, detail: ok ? undefined : `no ${c.iptables.table ?? 'filter'} rule in ${nsArg(n)} contains "${c.iptables.contains}"` };
  }
  const r = await ctx.probe.exec(c.command.node, splitShellWords(c.command.run));
  const ok = (c.command.outputContains === undefined || r.stdout.includes(c.command.outputContains)) && (c.command.exitCode === undefined ? c.command.outputContains !== undefined || r.code === 0 : r.code === c.command.exitCode);
  return { ok, detail: ok ? undefined : `exit ${r.code}: ${(r.stdout + r.stderr).trim().split('\n').slice(0, 3).join(' / ')}` };
}

/** The node a check runs a command in, if it has one. */
function execNode(c: Check): string | undefined {
  if ('ping' in c) return c.ping.from;
  if ('iptables' in c) return c.iptables.node ?? HOST;
  if ('command' in c) return c.command.node;
  if ('sysctl' in c) return c.sysctl.node;
  return undefined;
}

async function evaluateSafely(c: Check, ctx: Ctx): Promise<Outcome> {
  const n = execNode(c);
  if (n !== undefined && !node(ctx, n)) return { ok: false, detail: `there is no namespace ${n}`, auto: [`ip netns add ${n}`] };
  try {
    return await evaluate(c, ctx);
  } catch (e) {
    // The namespace vanished between observing and running: a failed check, not a crash.
    return { ok: false, detail: (e as Error).message };
  }
}

async function runCheck(spec: CheckSpec, ctx: Ctx): Promise<CheckResult> {
  const o = await evaluateSafely(spec.check, ctx);
  const hints: string[] = [];
  if (!o.ok) {
    for (const h of spec.hints) if ((await evaluateSafely(h.when, ctx)).ok) hints.push(h.text);
    for (const a of o.auto ?? []) if (!hints.includes(a)) hints.push(a);
  }
  return { title: spec.title ?? describeCheck(spec.check), ok: o.ok, ...(o.detail ? { detail: o.detail } : {}), hints };
}

/** Checks one step; `lab` (the step's lab) lets a check know the pairs other steps name. */
export async function checkStep(step: Step, probe: LabProbe, lab?: Pick<Lab, 'steps'>): Promise<StepResult> {
  const ctx: Ctx = { lab: await probe.observe(stepNodes(step)), probe, veths: expectedVeths(lab?.steps ?? [step], lab) };
  const checks: CheckResult[] = [];
  for (const spec of step.checks) checks.push(await runCheck(spec, ctx));
  if (step.trace) {
    const g = probe.guideTraces?.();
    checks.push(g ? traceCheck(g.record, g.lab, step) : { title: `Trace and answer: ${step.trace.question}`, ok: false, detail: 'this step is answered in the guide after a trace of the running lab', hints: [] });
  }
  return { step: step.id, title: step.title, ok: checks.every((c) => c.ok), checks };
}

export async function checkLab(lab: Lab, probe: LabProbe, only?: number): Promise<StepResult[]> {
  const steps = only === undefined ? lab.steps : [lab.steps[only]!].filter(Boolean);
  const out: StepResult[] = [];
  for (const s of steps) out.push(await checkStep(s, probe, lab));
  return out;
}

/** Where a guided lab stands after a check. */
export interface Progress {
  /** The steps this check looked at, in order. */
  results: StepResult[];
  /** Every step passed so far, now or in an earlier check, in the lab's order. */
  passed: string[];
  /** The first step not passed yet (`index` from 1); null when every step has passed. */
  current: { index: number; step: string; title: string } | null;
  done: boolean;
}

/**
 * Checks a guided lab against the steps already passed (`passedBefore`): a passed step stays
 * passed, because later steps may undo what it checked (the promisc lab turns promiscuous mode off
 * again; the macvlan lab moves the lab host's address off eth0). Without `only`, the open steps
 * are checked in order until one fails: that is the current step, and later ones are not looked
 * at (one may pass by accident before the learner gets there). With `only` (0-based), that step is
 * checked whatever came before.
 */
export async function checkProgress(lab: Lab, probe: LabProbe, passedBefore: Iterable<string>, only?: number): Promise<Progress> {
  const ids = new Set(lab.steps.map((s) => s.id));
  const passed = new Set([...passedBefore].filter((id) => ids.has(id)));
  const results: StepResult[] = [];
  const steps = only === undefined ? lab.steps.filter((s) => !passed.has(s.id)) : [lab.steps[only]!].filter(Boolean);
  for (const s of steps) {
    const r = await checkStep(s, probe, lab);
    results.push(r);
    if (r.ok) passed.add(s.id);
    else if (only === undefined) break;
  }
  return progressOf(lab, passed, results);
}

/** The progress `passed` makes (ids of steps the lab no longer has are dropped). */
export function progressOf(lab: Lab, passed: Iterable<string>, results: StepResult[] = []): Progress {
  const set = new Set(passed);
  const open = lab.steps.findIndex((s) => !set.has(s.id));
  const cur = open < 0 ? null : lab.steps[open]!;
  return {
    results,
    passed: lab.steps.filter((s) => set.has(s.id)).map((s) => s.id),
    current: cur ? { index: open + 1, step: cur.id, title: cur.title } : null,
    done: open < 0,
  };
}
