// The commands guided labs run: every one a check, hint, solution, mistake or starting topology
// runs is nslab's own or declared in the lab's `tools`; every command a step's text tells the learner
// to type is known; and scripts/setup.sh (and the Dockerfile) install the package of each.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseTopology } from '@nslab/model';
import { BASE_TOOLS, commandNames, KNOWN_TOOLS, labTools, loadCatalog, shellCommands, type Check, type Lab } from '../src/index.ts';
import { labFrom, labIssues, pairs } from './helpers.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const catalog = loadCatalog(`${root}labs`);

/** Every command line the lab runs, with where it is written. */
function commandLines(lab: Lab): [string, string][] {
  const out: [string, string][] = [];
  const fromCheck = (c: Check, field: string) => {
    if ('command' in c) out.push([`${field}.command.run`, c.command.run]);
  };
  lab.steps.forEach((s, i) => {
    const f = `${lab.id}: steps[${i}]`;
    s.checks.forEach((c, k) => {
      fromCheck(c.check, `${f}.checks[${k}]`);
      c.hints.forEach((h, j) => fromCheck(h.when, `${f}.checks[${k}].hints[${j}].when`));
    });
    s.solution.forEach((c, k) => out.push([`${f}.solution[${k}]`, c.run]));
    s.mistakes.forEach((m, k) => m.run.forEach((c, j) => out.push([`${f}.mistakes[${k}].run[${j}]`, c.run])));
  });
  if (lab.topology) for (const n of parseTopology(lab.topology).topology.nodes) n.exec.forEach((line, k) => out.push([`${lab.id}: topology ${n.name}.exec[${k}]`, line]));
  return out;
}

/** Lines of the ```bash blocks of a step's text, comments dropped. */
function docLines(markdown: string): string[] {
  return [...markdown.matchAll(/```(?:bash|sh)\n([\s\S]*?)```/g)].flatMap((m) =>
    m[1]!
      .split('\n')
      .map((l) => l.replace(/(^|\s)#.*$/, '').trim())
      .filter(Boolean),
  );
}

/** The packages a bash array `name=(...)` (setup.sh) or an apt-get install line (Dockerfile) lists. */
function setupPackages(): Set<string> {
  const text = readFileSync(`${root}scripts/setup.sh`, 'utf8');
  const m = /^pkgs=\(([^)]*)\)/m.exec(text);
  if (!m) throw new Error('scripts/setup.sh has no pkgs=(...) list');
  return new Set(m[1]!.split(/\s+/).filter(Boolean));
}

function dockerPackages(): Set<string> {
  const text = readFileSync(`${root}Dockerfile`, 'utf8').replace(/\\\n/g, ' ');
  const m = /apt-get install -y --no-install-recommends ([^&]*)&&/.exec(text);
  if (!m) throw new Error('the Dockerfile has no apt-get install line');
  return new Set(m[1]!.split(/\s+/).filter(Boolean));
}

describe('commandNames', () => {
  it('sees through ip netns exec, timeout, exec and bash -c, and leaves out builtins and redirections', () => {
    expect(commandNames('ip netns exec ns1 ip -d -o link show dev int0')).toEqual(['ip']);
    expect(commandNames('ip netns exec ns1 timeout -s INT 5 tcpdump -c 1 -i eth0')).toEqual(['ip', 'timeout', 'tcpdump']);
    expect(
      commandNames(
        `bash -c 'exec 3< <(exec ip netns exec internet timeout 5 tcpdump -l -n -c 1 -i eth0 icmp 2>&1); T=$!; while read -t 3 -u 3 l && [[ $l != listening* ]]; do :; done; ip netns exec app1 ping -c 2 203.0.113.2 >/dev/null; sleep 0.2; kill $T 2>/dev/null; cat <&3'`,
      ),
    ).toEqual(['bash', 'ip', 'timeout', 'tcpdump', 'ping', 'sleep', 'cat']);
    expect(
      commandNames(`bash -c 'ip netns exec app1 timeout 5 socat TCP-LISTEN:80,reuseaddr SYSTEM:"echo hi; uname" & L=$!; for i in 1 2; do ip netns exec internet socat - TCP:1.2.3.4:80 </dev/null && break; sleep 0.1; done; wait'`),
    ).toEqual(['bash', 'ip', 'timeout', 'socat', 'sleep']);
  });

  it('cuts a script at unquoted separators only', () => {
    expect(shellCommands(`a 'b;c' "d|e" && f $(g h) | i > out; j 2>&1 &`)).toEqual([['a', 'b;c', 'd|e'], ['f'], ['g', 'h'], ['i'], ['j']]);
  });
});

describe('lab tools', () => {
  it('parses `tools` and refuses an unknown or repeated one, naming the field and the rule', () => {
    const body = 'steps:\n  - { id: a, title: A, doc: one.md, checks: [{ namespace: ns1 }] }';
    const files = { 'one.md': '# One' };
    expect(labFrom(`title: T\nsummary: S\ntools: [socat, tcpdump]\n${body}`, files).tools).toEqual(['socat', 'tcpdump']);
    expect(labFrom(`title: T\nsummary: S\n${body}`, files).tools).toEqual([]);
    const issues = labIssues(`title: T\nsummary: S\ntools: [socat, nc, socat, 7]\n${body}`, files);
    expect(pairs(issues)).toEqual(['lab.tools[1] tool', 'lab.tools[2] duplicate', 'lab.tools[3] tool']);
    expect(issues[0]!.message).toMatch(/^unknown tool "nc": each must be a command nslab knows the Debian package of \(.*socat/);
    expect(pairs(labIssues(`title: T\nsummary: S\ntools: socat\n${body}`, files))).toEqual(['lab.tools type']);
  });

  it('adds what check kinds run by themselves, and leaves out nslab\'s own commands', () => {
    const lab = labFrom(
      'title: T\nsummary: S\ntools: [socat, ip]\nsteps:\n  - { id: a, title: A, doc: one.md, checks: [{ ping: { from: ns1, to: 10.0.0.1 } }, { check: { namespace: ns1 }, hints: [{ when: { iptables: { contains: X } }, text: t }] }] }',
      { 'one.md': '# One' },
    );
    expect(labTools(lab)).toEqual(['iptables-save', 'ping', 'socat']);
  });

  it.each(catalog.map((l) => [l.id, l] as const))('%s: every command it runs is nslab\'s own or in its tools', (_id, lab) => {
    const have = new Set([...Object.keys(BASE_TOOLS), ...labTools(lab)]);
    const undeclared = commandLines(lab).flatMap(([field, line]) => commandNames(line).filter((c) => !have.has(c)).map((c) => `${field}: ${c} (in "${line}")`));
    expect(undeclared, `declare these in labs/${lab.id}/lab.yaml tools`).toEqual([]);
  });

  it('every command a step tells the learner to type is a known tool (or nslab itself)', () => {
    const unknown = catalog.flatMap((lab) =>
      lab.steps.flatMap((s) =>
        docLines(s.markdown).flatMap((line) => commandNames(line).filter((c) => !Object.hasOwn(KNOWN_TOOLS, c) && c !== 'pnpm' && c !== 'nslab').map((c) => `${lab.id}/${s.id}: ${c} in "${line}"`)),
      ),
    );
    expect(unknown).toEqual([]);
  });

  it('scripts/setup.sh and the Dockerfile install the package of every known tool', () => {
    const setup = setupPackages();
    const docker = dockerPackages();
    expect(setup.has('iproute2') && docker.has('iproute2'), 'the package lists were found').toBe(true);
    for (const [tool, pkg] of Object.entries(KNOWN_TOOLS)) {
      expect(setup.has(pkg), `scripts/setup.sh pkgs lacks ${pkg} (for ${tool})`).toBe(true);
      expect(docker.has(pkg), `the Dockerfile lacks ${pkg} (for ${tool})`).toBe(true);
    }
  });

  it('the schema lists exactly the known tools', () => {
    const schema = JSON.parse(readFileSync(new URL('../schema/lab.schema.json', import.meta.url), 'utf8'));
    expect([...schema.properties.tools.items.enum].sort()).toEqual(Object.keys(KNOWN_TOOLS).sort());
  });
});
