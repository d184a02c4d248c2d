// REST API under /api/v1: labs, their observed state, granular edits, exec, log, export.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  checkLabName,
  checkNodeName,
  emptyTopology,
  observedToTopology,
  parseTopologyAsync,
  planDeploy,
  TopologyLimitError,
  renderScript,
  shellQuote,
  toClabYaml,
  toNativeYaml,
  type Edit,
  type ParsedTopology,
  type TopologyFormat,
} from '@nslab/model';
import { execFailures, execInLab } from '@nslab/driver';
import { ApiError } from '../errors.ts';
import { applyEdit } from '../edits.ts';
import type { Limits } from '../limits.ts';
import type { LabRegistry } from '../registry.ts';
import { TOKEN_TENANCY, type LabTenancy } from '../classroom/tenancy.ts';
import * as S from './schemas.ts';
import { sourceOf } from './source.ts';

function labName(name: string, field = 'lab'): string {
  const why = checkNodeName(name);
  if (why) throw new ApiError(400, 'INVALID_NAME', `${field} ${JSON.stringify(name)} ${why}`, field);
  return name;
}

/** The name of a lab about to be made: also not `host` (labs made before that rule still answer to it). */
function newLabName(name: string, field: string): string {
  const why = checkLabName(name);
  if (why) throw new ApiError(400, 'INVALID_NAME', `${field} ${JSON.stringify(name)} ${why}`, field);
  return name;
}

// Reading a topology yields to other requests every few milliseconds.
const pause = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A topology from a request: counted before it is parsed (over a cap: 413 naming it, as the
 * registry does for the resolved topology), parsed in slices so the event loop stays free.
 */
async function readTopology(text: string, format: TopologyFormat | undefined, limits: Limits): Promise<ParsedTopology> {
  try {
    return await parseTopologyAsync(text, {
      ...(format ? { format } : {}),
      limits: { nodes: limits.namespacesPerLab, links: limits.linksPerLab, values: limits.topologyValues },
      pause,
    });
  } catch (e) {
    if (!(e instanceof TopologyLimitError)) throw e;
    const field = e.issues[0]!.field;
    if (e.limit === 'nodes') throw new ApiError(413, 'LIMIT_NAMESPACES', `this server allows at most ${e.max} namespaces per lab (the topology has ${e.actual} nodes)`, field);
    if (e.limit === 'links') throw new ApiError(413, 'LIMIT_LINKS', `this server allows at most ${e.max} links per lab (the topology has ${e.actual})`, field);
    throw new ApiError(413, 'LIMIT_VALUES', `this server reads topologies of at most ${e.max} values (scalars, lists and maps); this one has ${e.actual}`, field);
  }
}

export async function labRoutes(app: FastifyInstance, opts: { registry: LabRegistry; mutationRate: number; tenancy?: LabTenancy }): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const { registry } = opts;
  const tenancy = opts.tenancy ?? TOKEN_TENANCY;
  const mutating = { rateLimit: { max: opts.mutationRate, timeWindow: '1 minute' } };
  const read = { access: 'lab-read' } as const;
  const write = { ...mutating, access: 'lab-write' } as const;

  r.get('/labs', { schema: { summary: 'Running and saved labs' }, config: { access: 'signed-in' } }, async (req) => ({ labs: tenancy.visible(req, await registry.list()) }));

  r.post('/labs', { schema: { summary: 'Create a lab (empty, or from native/containerlab YAML)', body: S.CreateLabBody }, config: { ...mutating, access: 'signed-in' } }, async (req, reply) => {
    const { yaml, format } = req.body;
    let topology = emptyTopology();
    let warnings: { field: string; message: string }[] = [];
    if (yaml !== undefined) {
      const parsed = await readTopology(yaml, format, registry.limits);
      topology = parsed.topology;
      warnings = parsed.warnings;
    }
    const typed = newLabName(req.body.name ?? topology.name ?? '', 'name');
    const name = tenancy.newLabName(req, typed, 'name');
    const { executed } = await registry.create(name, topology, sourceOf(req));
    tenancy.created(req, name, typed);
    return reply.code(201).send({ name, commands: executed.map((e) => e.line), warnings, execFailures: execFailures(executed) });
  });

  r.get('/labs/:lab', { schema: { summary: 'Observed state (same JSON as `nslab inspect --json`)', params: S.LabParams }, config: read }, async (req) => {
    const lab = await registry.get(labName(req.params.lab));
    await lab.settled();
    return lab.state;
  });

  r.delete('/labs/:lab', { schema: { summary: 'Destroy a lab (keep=true keeps it saved)', params: S.LabParams, querystring: S.DestroyQuery }, config: write }, async (req) => {
    await registry.destroy(labName(req.params.lab), req.query.keep ?? false);
    if (!req.query.keep) tenancy.removed(req.params.lab);
    return { destroyed: req.params.lab };
  });

  r.post('/labs/:lab/start', { schema: { summary: 'Redeploy a saved lab', params: S.LabParams }, config: write }, async (req, reply) => {
    const { executed } = await registry.start(labName(req.params.lab), sourceOf(req));
    return reply.code(201).send({ name: req.params.lab, commands: executed.map((e) => e.line), execFailures: execFailures(executed) });
  });

  const edit = async (req: FastifyRequest, lab: string, e: Edit) => {
    const live = await registry.get(labName(lab));
    if (e.kind === 'add-node') registry.checkGrowth(live.name, 1);
    return applyEdit(live, e, sourceOf(req), registry.limits);
  };

  r.post('/labs/:lab/edits', { schema: { summary: 'Apply any edit (see Edit in @nslab/model)', params: S.LabParams, body: S.EditBody }, config: write }, async (req) =>
    edit(req, req.params.lab, req.body.edit as unknown as Edit));

  r.post('/labs/:lab/nodes', { schema: { summary: 'Add a namespace', params: S.LabParams, body: S.AddNodeBody }, config: write }, async (req, reply) =>
    reply.code(201).send(await edit(req, req.params.lab, { kind: 'add-node', name: req.body.name })));

  r.delete('/labs/:lab/nodes/:node', { schema: { summary: 'Delete a namespace', params: S.NodeParams }, config: write }, async (req) =>
    edit(req, req.params.lab, { kind: 'remove-node', name: req.params.node }));

  r.post('/labs/:lab/bridges', { schema: { summary: 'Add a bridge (in the lab host unless node is given)', params: S.LabParams, body: S.AddBridgeBody }, config: write }, async (req, reply) =>
    reply.code(201).send(await edit(req, req.params.lab, { kind: 'add-bridge', node: req.body.node ?? 'host', name: req.body.name })));

  r.post('/labs/:lab/links', { schema: { summary: 'Add a veth pair (optionally plugging the b end into a bridge)', params: S.LabParams, body: S.AddLinkBody }, config: write }, async (req, reply) =>
    reply.code(201).send(await edit(req, req.params.lab, { kind: 'add-veth', a: req.body.a, b: req.body.b, ...(req.body.bridge ? { bridge: req.body.bridge } : {}) })));

  r.delete('/labs/:lab/nodes/:node/interfaces/:iface', { schema: { summary: 'Delete an interface (a veth takes its peer along)', params: S.IfaceParams }, config: write }, async (req) =>
    edit(req, req.params.lab, { kind: 'remove-link', node: req.params.node, interface: req.params.iface }));

  r.patch('/labs/:lab/nodes/:node/interfaces/:iface', { schema: { summary: 'Set up/down, MTU, master, promisc', params: S.IfaceParams, body: S.SetLinkBody }, config: write }, async (req) =>
    edit(req, req.params.lab, { kind: 'set-link', node: req.params.node, interface: req.params.iface, ...req.body }));

  r.post('/labs/:lab/nodes/:node/interfaces/:iface/addresses', { schema: { summary: 'Add an address (CIDR)', params: S.IfaceParams, body: S.AddressBody }, config: write }, async (req, reply) =>
    reply.code(201).send(await edit(req, req.params.lab, { kind: 'add-address', node: req.params.node, interface: req.params.iface, address: req.body.address })));

  r.delete('/labs/:lab/nodes/:node/interfaces/:iface/addresses', { schema: { summary: 'Remove an address (CIDR)', params: S.IfaceParams, body: S.AddressBody }, config: write }, async (req) =>
    edit(req, req.params.lab, { kind: 'remove-address', node: req.params.node, interface: req.params.iface, address: req.body.address }));

  r.post('/labs/:lab/nodes/:node/routes', { schema: { summary: 'Add a route', params: S.NodeParams, body: S.RouteBody }, config: write }, async (req, reply) =>
    reply.code(201).send(await edit(req, req.params.lab, { kind: 'add-route', node: req.params.node, route: req.body })));

  r.delete('/labs/:lab/nodes/:node/routes', { schema: { summary: 'Remove a route', params: S.NodeParams, body: S.RouteBody }, config: write }, async (req) =>
    edit(req, req.params.lab, { kind: 'remove-route', node: req.params.node, route: req.body }));

  r.put('/labs/:lab/nodes/:node/sysctls/:key', { schema: { summary: 'Set a network sysctl (e.g. net.ipv4.ip_forward)', params: S.SysctlParams, body: S.SysctlBody }, config: write }, async (req) =>
    edit(req, req.params.lab, { kind: 'set-sysctl', node: req.params.node, key: req.params.key, value: String(req.body.value) }));

  r.post('/labs/:lab/nodes/:node/exec', { schema: { summary: 'Run a command (argv) in a node; bounded time and output', params: S.NodeParams, body: S.ExecBody }, config: write }, async (req) => {
    const lab = await registry.get(labName(req.params.lab));
    const node = req.params.node === 'host' ? 'host' : labName(req.params.node, 'node');
    // execve() takes C strings: a NUL cannot be passed, and Node would throw on spawn (a 500).
    req.body.argv.forEach((arg, i) => {
      if (arg.includes('\u0000')) throw new ApiError(400, 'INVALID_INPUT', `argv[${i}] contains a NUL character (U+0000), which no program can be given as an argument`, `argv[${i}]`);
    });
    const timeoutMs = Math.min(req.body.timeoutMs ?? registry.limits.execTimeoutMs, registry.limits.execTimeoutMs);
    const res = await execInLab(lab.name, node, req.body.argv, {
      timeoutMs,
      maxOutput: registry.limits.execMaxOutput,
      input: req.body.input,
      logAs: sourceOf(req),
    });
    return { code: res.code, signal: res.signal, stdout: res.stdout, stderr: res.stderr, timedOut: res.timedOut, truncated: res.truncated, durationMs: Math.round(res.durationMs) };
  });

  r.get('/labs/:lab/log', { schema: { summary: 'Command log', params: S.LabParams }, config: read }, async (req) => {
    const lab = await registry.get(labName(req.params.lab));
    return { entries: lab.commandLog };
  });

  r.put('/labs/:lab/positions', { schema: { summary: 'Save node positions on the canvas', params: S.LabParams, body: S.PositionsBody }, config: write }, async (req) => {
    const lab = await registry.get(labName(req.params.lab));
    const names = new Set(lab.state.nodes.map((n) => n.name).concat(lab.state.bridges.map((b) => `${b.node}:${b.name}`)));
    for (const k of Object.keys(req.body.positions)) {
      if (!names.has(k)) throw new ApiError(400, 'UNKNOWN_ELEMENT', `positions.${k}: no node or bridge of that name in lab "${lab.name}"`, `positions.${k}`);
    }
    lab.setPositions(req.body.positions);
    return { positions: lab.positions };
  });

  r.get('/labs/:lab/export', { schema: { summary: 'The live lab as YAML, containerlab, a rebuild script, or the command log as a script', params: S.LabParams, querystring: S.ExportQuery }, config: read }, async (req, reply) => {
    const lab = await registry.get(labName(req.params.lab));
    await lab.settled();
    const format = req.query.format ?? 'yaml';
    const topology = { ...observedToTopology(lab.state), name: lab.name };
    for (const n of topology.nodes) {
      const p = lab.positions[n.name];
      if (p) n.position = p;
    }
    const files = {
      yaml: () => ({ type: 'application/yaml', ext: 'yaml', body: toNativeYaml(topology) }),
      clab: () => ({ type: 'application/yaml', ext: 'clab.yml', body: toClabYaml(topology) }),
      sh: () => ({ type: 'text/x-shellscript', ext: 'sh', body: renderScript(planDeploy(topology), `nslab lab "${lab.name}": run as root on a bare Linux host`) }),
      log: () => ({
        type: 'text/x-shellscript',
        ext: 'log.sh',
        body: ['#!/usr/bin/env bash', `# command log of nslab lab ${shellQuote(lab.name)}`, ...lab.commandLog.map((e) => `${e.ok ? '' : '# failed: '}${e.line}`)].join('\n') + '\n',
      }),
    } as const;
    const f = files[format]();
    return reply
      .header('content-type', `${f.type}; charset=utf-8`)
      .header('content-disposition', `attachment; filename="${lab.name}.${f.ext}"`)
      .send(f.body);
  });
}
