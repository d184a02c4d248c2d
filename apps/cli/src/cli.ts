import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  TopologyError,
  observedToTopology,
  parseTopology,
  planDeploy,
  renderScript,
  toClabYaml,
  toNativeYaml,
  checkLabName,
  CAPABILITIES,
  emptyTopology,
} from '@nslab/model';
import {
  CAPABILITY_HELP,
  detectCapabilities,
  deployLab,
  destroyLab,
  ExecInputError,
  inspectLab,
  installRoot,
  listLabs,
  listNamespaces,
  loadConfig,
  describeLimits,
  DEFAULT_CONFIG_PATH,
} from '@nslab/driver';
import { formatDiagnosis, runDiagnose } from './diagnose.ts';
import { captureCmd, CaptureUsageError } from './capture.ts';
import { formatCapabilities, formatLabList, formatProgress, formatTools } from './lab-report.ts';
import { execCmd, ExecUsageError } from './exec.ts';
import { userCmd, UserUsageError } from './user.ts';
import { traceCmd, TraceUsageError } from './trace.ts';

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  /** The nslab process itself when this is the real command (exec forwards its stdin and signals). */
  proc?: NodeJS.Process;
}

const USAGE = `nslab — Linux network namespace labs on the real kernel

Usage:
  nslab deploy <file.yaml|file.clab.yml> [--name NAME] [--quiet]   deploy a topology, print the lab name
  nslab new <NAME>                                                 start an empty lab (just its lab host)
  nslab destroy <NAME> | --all                                     destroy a lab (or every lab)
  nslab list [--json]                                              running labs
  nslab inspect <NAME> [--json]                                    the lab's real state, read from the kernel
  nslab exec [-i] [-t] [--timeout S] [-e K=V] <NAME> <NODE> -- <cmd> [args...]
                                                                   run a command in a node ("host" = the lab host):
                                                                   output streamed, piped input forwarded (-i: the
                                                                   terminal too), -t a pty, signals forwarded, its exit status
  nslab diagnose <NAME> <FROM> <TO> [--json]                       why can't FROM reach TO (a node or an address)? then the real ping
  nslab trace <NAME> <FROM> <TO> [--icmp | --tcp PORT | --udp PORT] [--json]
                                                                   follow one probe through the lab: every hop, what changed, why
  nslab capture <NAME> <NODE> <IF> [-f FILTER] [-w FILE] [-c N] [-s SECONDS] [-e]
                                                                   tcpdump inside the lab: lines on stdout, pcap to FILE
  nslab export <NAME> --format yaml|clab|sh                        the live lab as a topology file or a bash script
  nslab doctor [--json] [--refresh] [--config FILE]                kernel features and per-lab limits on this machine
  nslab serve [--host 127.0.0.1] [--port 7070] [--config FILE]     start the web server (prints a URL with an access token)
  nslab serve --classroom [--database FILE] [...]                  the same server with accounts instead of the token
  nslab user add --admin|--instructor|--student NAME [--display-name TEXT] [--password-stdin]
                                                                   a classroom account (prints a one-time password)
  nslab user list [--json] | user reset-password NAME              classroom accounts; a new one-time password
  nslab lab list [--json]                                          the guided labs, and whether this kernel can run them
  nslab lab start <lab> [--name NAME]                              deploy a guided lab's starting topology
  nslab lab check <NAME> [--step N] [--json]                       check the current step (or step N); passed steps stay
                                                                   done (exit 0 once every step has passed, or N passes)
  nslab lab solve <NAME> [--step N]                                apply the reference solution (one step, or all)
`;

class UsageError extends Error {}

function need(v: string | undefined, what: string): string {
  if (!v) throw new UsageError(`missing ${what}`);
  return v;
}

export async function runCli(argv: string[], io: Io): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    // Sandboxes made from here get the config's limits (NSLAB_CONFIG or /etc/nslab/config.yaml).
    if (cmd === 'deploy' || cmd === 'new' || cmd === 'lab') loadConfig();
    switch (cmd) {
      case 'deploy': return await deploy(rest, io);
      case 'new': return await newLab(rest, io);
      case 'destroy': return await destroy(rest, io);
      case 'list': return await list(rest, io);
      case 'inspect': return await inspect(rest, io);
      case 'exec': return await exec(rest, io);
      case 'export': return await exportLab(rest, io);
      case 'diagnose': return await diagnoseCmd(rest, io);
      case 'capture': return await captureCmd(rest, io);
      case 'trace': return await traceCmd(rest, io);
      case 'doctor': return await doctor(rest, io);
      case 'serve': return await serveCmd(rest, io);
      case 'lab': return await labCmd(rest, io);
      case 'user': return await userCmd(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE);
        return cmd === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${cmd}"`);
    }
  } catch (e) {
    return report(e, io);
  }
}

function report(e: unknown, io: Io): number {
  if (e instanceof UsageError || e instanceof CaptureUsageError || e instanceof ExecUsageError || e instanceof ExecInputError || e instanceof UserUsageError || e instanceof TraceUsageError) {
    io.err(`nslab: ${e.message}\n\n${USAGE}`);
    return 2;
  }
  if (e instanceof TopologyError) {
    io.err(`nslab: the topology is invalid (nothing was changed):\n`);
    for (const i of e.issues) io.err(`  ${i.field}: ${i.message} [${i.rule}]\n`);
    return 1;
  }
  const msg = e instanceof Error ? e.message : String(e);
  io.err(`nslab: ${msg}\n`);
  return 1;
}

async function deploy(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { name: { type: 'string' }, quiet: { type: 'boolean', short: 'q' } },
  });
  const file = need(positionals[0], 'topology file');
  const text = readFileSync(file, 'utf8');
  // As containerlab does, a clab file's $VAR and ${VAR:=default} come from the caller's environment.
  const parsed = parseTopology(text, { fileName: file, env: process.env });
  for (const w of parsed.warnings) io.err(`warning: ${w.field}: ${w.message}\n`);
  const name = values.name ?? parsed.topology.name ?? basename(file).replace(/(\.clab)?\.ya?ml$/, '');
  const bad = checkLabName(name);
  if (bad) throw new UsageError(`lab name ${JSON.stringify(name)}: ${bad} (use --name)`);
  const { execFailures } = await deployLab(name, parsed.topology, {
    source: 'cli',
    onExecuted: values.quiet ? undefined : (e) => io.err(`+ ${e.line}\n`),
  });
  // The lab stays (containerlab logs a failing exec and goes on); say which node's lines failed.
  for (const f of execFailures) io.err(`warning: exec in ${f.node} failed: ${f.command}: ${f.message}\n`);
  io.out(`${name}\n`);
  return 0;
}

async function destroy(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { all: { type: 'boolean' } } });
  if (values.all) {
    for (const sb of listLabs()) {
      await destroyLab(sb.name);
      io.err(`destroyed ${sb.name}\n`);
    }
    return 0;
  }
  const name = need(positionals[0], 'lab name (or --all)');
  await destroyLab(name);
  io.err(`destroyed ${name}\n`);
  return 0;
}

async function list(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } } });
  const labs = await Promise.all(listLabs().map(async (sb) => ({
    name: sb.name,
    pid: sb.pid,
    createdAt: sb.record.createdAt,
    namespaces: (await listNamespaces(sb)).map((n) => n.name),
  })));
  if (values.json) io.out(JSON.stringify(labs, null, 2) + '\n');
  else if (labs.length === 0) io.out('no labs running\n');
  else for (const l of labs) io.out(`${l.name}\t${l.namespaces.length} namespaces\tsince ${l.createdAt}\n`);
  return 0;
}

async function inspect(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' } } });
  const lab = await inspectLab(need(positionals[0], 'lab name'), { firewall: true });
  if (values.json) {
    io.out(JSON.stringify(lab, null, 2) + '\n');
    return 0;
  }
  for (const n of lab.nodes) {
    io.out(`${n.kind === 'host' ? 'lab host' : 'netns'} ${n.name}${n.sysctls['net.ipv4.ip_forward'] === '1' ? ' (ip_forward on)' : ''}\n`);
    for (const i of n.interfaces) {
      const peer = i.peer ? ` peer ${i.peer.node ?? '?'}:${i.peer.interface ?? i.peer.ifindex}` : '';
      const master = i.master ? ` master ${i.master}` : '';
      const d = i.details ?? {};
      const parent = (i.kind === 'macvlan' || i.kind === 'vlan') && typeof d.parent === 'string' ? ` on ${typeof d.parentNode === 'string' && d.parentNode !== n.name ? `${d.parentNode}:` : ''}${d.parent}${typeof d.mode === 'string' ? ` mode ${d.mode}` : ''}` : '';
      io.out(`  ${i.name.padEnd(15)} ${i.kind.padEnd(8)} ${i.state.padEnd(8)} ${i.mac} ${i.addresses.join(' ')}${master}${parent}${peer}\n`);
      for (const f of Array.isArray(d.fdb) ? (d.fdb as { mac: string; dst: string }[]) : []) io.out(`    fdb ${f.mac} dst ${f.dst}\n`);
    }
    for (const r of n.routes) io.out(`  route ${r.dst}${r.via ? ` via ${r.via}` : ''}${r.dev ? ` dev ${r.dev}` : ''}\n`);
    for (const rule of n.iptables ?? []) io.out(`  iptables ${rule}\n`);
  }
  for (const b of lab.bridges) {
    io.out(`bridge ${b.node}:${b.name} ports ${b.ports.join(', ') || '-'}\n`);
    for (const f of b.fdb) io.out(`  ${f.mac} on ${f.port}${f.permanent ? ' permanent' : ''}\n`);
  }
  return 0;
}

async function exec(args: string[], io: Io): Promise<number> {
  return execCmd(args, io);
}

/** A lab with nothing but its lab host: for following a tutorial from scratch. */
async function newLab(args: string[], io: Io): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  const name = need(positionals[0], 'lab name');
  const bad = checkLabName(name);
  if (bad) throw new UsageError(`lab name ${JSON.stringify(name)}: ${bad}`);
  await deployLab(name, emptyTopology(name), { source: 'cli' });
  io.err(`started an empty lab; a shell in it: nslab exec -it ${name} host -- bash\n`);
  io.out(`${name}\n`);
  return 0;
}

async function diagnoseCmd(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' } } });
  const d = await runDiagnose(need(positionals[0], 'lab name'), need(positionals[1], 'from (a node)'), need(positionals[2], 'to (a node or an address)'));
  io.out(values.json ? JSON.stringify(d, null, 2) + '\n' : formatDiagnosis(d));
  return d.ping.ok ? 0 : 1;
}

async function exportLab(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { format: { type: 'string', default: 'yaml' } } });
  const name = need(positionals[0], 'lab name');
  const topology = observedToTopology(await inspectLab(name, { firewall: true }));
  topology.name = name;
  switch (values.format) {
    case 'yaml': io.out(toNativeYaml(topology)); break;
    case 'clab': io.out(toClabYaml(topology)); break;
    case 'sh': io.out(renderScript(planDeploy(topology), `nslab lab "${name}": run as root on a bare Linux host`)); break;
    default: throw new UsageError(`--format must be yaml, clab or sh (got "${values.format}")`);
  }
  return 0;
}

async function doctor(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' }, refresh: { type: 'boolean' }, config: { type: 'string' } } });
  const config = loadConfig(values.config);
  const report = await detectCapabilities(values.refresh ?? false);
  const tools = (await import('@nslab/labs/runtime')).toolReport();
  const limits = describeLimits();
  if (values.json) {
    io.out(JSON.stringify({ ...report, tools, limits, config: config.path }, null, 2) + '\n');
    return 0;
  }
  io.out(formatCapabilities(report, CAPABILITIES, CAPABILITY_HELP));
  io.out(`\nCommands nslab and its guided labs run:\n${formatTools(tools)}`);
  io.out(`\nLimits per lab (${config.path ? `from ${config.path}` : `defaults; set them in ${DEFAULT_CONFIG_PATH}`}):\n`);
  for (const l of limits) {
    const value = l.limit === 'memoryBytes' ? `${Math.round(l.value / 1024 / 1024)} MiB` : String(l.value);
    io.out(`${l.kernel ? 'kernel ' : 'partial'} ${l.limit.padEnd(12)} ${value.padEnd(9)} held by ${l.heldBy}\n`);
  }
  return 0;
}

async function serveCmd(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args, options: { host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string', default: '7070' }, config: { type: 'string' }, classroom: { type: 'boolean' }, database: { type: 'string' } } });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0-65535 (got "${values.port}")`);
  const config = loadConfig(values.config);
  const { serve, classroomOptionsOf } = await import('@nslab/server');
  const classroomMode = values.classroom === true || config.classroom.enabled === true;
  if (values.database && !classroomMode) throw new UsageError('--database is the classroom database: use it with --classroom');
  const classroom = classroomMode ? { ...classroomOptionsOf(config.classroom), ...(values.database ? { database: values.database } : {}) } : undefined;
  const webRoot = join(installRoot(), 'apps/web/dist');
  const stop = await serve({ host: values.host!, port, webRoot, limits: config.limits, ...(classroom ? { classroom } : {}) }, io.out);
  await new Promise<void>((resolve) => {
    const done = () => resolve();
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await stop();
  return 0;
}

async function labCmd(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  const g = await import('@nslab/labs/runtime');
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, name: { type: 'string' }, step: { type: 'string' } },
  });
  const step = values.step === undefined ? undefined : Number(values.step);
  if (step !== undefined && !Number.isInteger(step)) throw new UsageError(`--step must be a step number (got "${values.step}")`);
  switch (sub) {
    case 'list': {
      const rows = [];
      for (const id of g.catalogIds(g.labsDir())) {
        const lab = g.loadLab(g.labsDir(), id);
        rows.push({ id, title: lab.title, steps: lab.steps.length, requires: lab.requires, tools: lab.tools, ...(await g.labAvailability(lab)) });
      }
      if (values.json) io.out(JSON.stringify(rows, null, 2) + '\n');
      else io.out(formatLabList(rows));
      return 0;
    }
    case 'start': {
      const id = need(positionals[0], 'lab (see nslab lab list)');
      const name = values.name ?? id;
      const lab = await g.startLab(id, name);
      io.err(`started "${lab.title}" as lab ${name}: ${lab.steps.length} steps. Next: nslab lab check ${name}\n`);
      io.out(`${name}\n`);
      return 0;
    }
    case 'check': {
      const name = need(positionals[0], 'lab name');
      const progress = await g.checkRunning(name, step);
      if (values.json) io.out(JSON.stringify(progress, null, 2) + '\n');
      else io.out(formatProgress(g.guideOf(name), progress, step));
      // One step: whether it passes now. The lab: whether every step has passed, now or before.
      return (step !== undefined ? progress.results.every((r) => r.ok) : progress.done) ? 0 : 1;
    }
    case 'solve': {
      const name = need(positionals[0], 'lab name');
      const done = await g.solveRunning(name, step);
      io.err(`applied the reference solution of: ${done.join(', ')}\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown lab command "${sub ?? ''}" (list, start, check, solve)`);
  }
}
