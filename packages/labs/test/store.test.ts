// Uploaded labs (store.ts): a hostile folder is refused with its field and rule, and a refused
// upload leaves nothing on disk; a good one gets an id no catalog folder can have and is found by
// the guide runtime like a catalog lab.
import { mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { planDeploy, TopologyError, type Issue } from '@nslab/model';
import { DuplicateUploadError, guidedLab, guidedLabExists, startingTopology, UnknownUploadError, UPLOAD_LIMITS, UploadedLabStore } from '../src/runtime.ts';

const root = mkdtempSync(join(tmpdir(), 'nslab-uploads-'));
const store = new UploadedLabStore(root);
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeEach(() => {
  for (const f of readdirSync(root)) rmSync(join(root, f), { recursive: true, force: true });
});

const LAB = `title: Two namespaces
summary: Make two namespaces.
requires: [veth]
topology: topology.yaml
steps:
  - id: first
    title: Make ns1
    doc: steps/01.md
    checks:
      - namespace: ns1
    solution:
      - ip netns add ns1
`;
const TOPOLOGY = 'nodes:\n  a1: {}\n';
const good = (): Record<string, string> => ({ 'lab.yaml': LAB, 'topology.yaml': TOPOLOGY, 'steps/01.md': '# Make ns1\n\n    ip netns add ns1\n', 'README.md': 'A lab.\n' });

/** The issues of a refused upload, after checking it left nothing behind. */
function refused(files: Record<string, string>, name = 'mine', scope = 'u1'): Issue[] {
  let err: unknown;
  try {
    store.add(name, files, scope);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(TopologyError);
  expect(readdirSync(root)).toEqual([]);
  return (err as TopologyError).issues;
}

const rules = (issues: Issue[]) => issues.map((i) => `${i.field} ${i.rule}`);

describe('a good upload', () => {
  it('is kept under an upload/ id, parsed, and found by the guide runtime as a catalog lab is', () => {
    const { id, lab, files } = store.add('two-ns', good(), 'u1');
    expect(id).toMatch(/^upload\/two-ns-[0-9a-f]{16}$/);
    expect(lab.id).toBe(id);
    expect(files).toBe(4);
    expect(store.ids()).toEqual([id]);
    expect(store.load(id).steps.map((s) => s.markdown)).toEqual(['# Make ns1\n\n    ip netns add ns1\n']);
    process.env.NSLAB_UPLOADS_DIR = root;
    try {
      expect(guidedLabExists(id)).toBe(true);
      expect(guidedLab(id).title).toBe('Two namespaces');
      expect(startingTopology(guidedLab(id)).nodes.map((n) => n.name)).toContain('a1');
      // A catalog id still means the catalog; an upload id never does.
      expect(guidedLab('veth-pair').id).toBe('veth-pair');
      expect(guidedLabExists('two-ns')).toBe(false);
    } finally {
      delete process.env.NSLAB_UPLOADS_DIR;
    }
  });

  it('the same folder twice from one uploader is refused as a duplicate; from another it is their own', () => {
    const first = store.add('two-ns', good(), 'u1');
    expect(() => store.add('two-ns', good(), 'u1')).toThrow(DuplicateUploadError);
    try {
      store.add('two-ns', good(), 'u1');
    } catch (e) {
      expect((e as DuplicateUploadError).message).toContain(first.id);
    }
    const other = store.add('two-ns', good(), 'u2');
    expect(other.id).not.toBe(first.id);
    expect(store.ids()).toHaveLength(2);
  });

  it('remove deletes the folder; made-up and traversing ids are unknown, never a path', () => {
    const { id } = store.add('two-ns', good(), 'u1');
    store.remove(id);
    expect(readdirSync(root)).toEqual([]);
    expect(() => store.load(id)).toThrow(UnknownUploadError);
    for (const bad of ['upload/../../etc', 'upload/x/../../y', 'veth-pair', 'upload/two-ns-zzzzzzzzzzzzzzzz', `${id}/..`]) {
      expect(store.has(bad), bad).toBe(false);
      expect(() => store.load(bad), bad).toThrow(UnknownUploadError);
      expect(() => store.remove(bad), bad).toThrow(UnknownUploadError);
    }
  });
});

describe('hostile folders are refused, naming the field and the rule, leaving nothing on disk', () => {
  it('paths that leave the folder or are not plain names', () => {
    const cases: [string, string][] = [
      ['../escape.md', 'path-traversal'],
      ['steps/../../escape.md', 'path-traversal'],
      ['steps//01.md', 'path-traversal'],
      ['./lab2.yaml', 'path-traversal'],
      ['/etc/cron.d/x.yaml', 'absolute-path'],
      ['C:/x.md', 'absolute-path'],
      ['steps\\01.md', 'path-separator'],
      ['..\\..\\x.md', 'path-separator'],
      ['.git/config.yaml', 'hidden-file'],
      ['steps/.x.md', 'hidden-file'],
      ['a\u0000b.md', 'path-chars'],
      ['a b.md', 'path-chars'],
      ['ѕteps.md', 'path-chars'],
      ['run.sh', 'file-type'],
      ['lib.so', 'file-type'],
      ['a/b/c/d/e.md', 'path-depth'],
      [`${'x'.repeat(200)}.md`, 'path-length'],
    ];
    for (const [path, rule] of cases) {
      const issues = refused({ ...good(), [path]: 'x' });
      expect(rules(issues), path).toContain(`files[${JSON.stringify(path)}] ${rule}`);
    }
  });

  it('a file and a folder of the same name; a missing lab.yaml; a name that is not a slug', () => {
    expect(rules(refused({ ...good(), 'steps/01.md/x.md': 'x' }))).toContain('files["steps/01.md/x.md"] path-conflict');
    const { 'lab.yaml': _, ...noLab } = good();
    expect(rules(refused(noLab))).toContain('files["lab.yaml"] required');
    for (const name of ['../x', 'UPPER', 'a'.repeat(25), '123', 'with space', '']) expect(rules(refused(good(), name)), name).toContain('name name');
  });

  it('too many files, too large a file, too much in all, binary content', () => {
    const many = good();
    for (let i = 0; i < UPLOAD_LIMITS.files; i++) many[`n${i}.md`] = 'x';
    expect(rules(refused(many))).toEqual(['files file-count']);
    expect(rules(refused({ ...good(), 'big.md': 'x'.repeat(UPLOAD_LIMITS.fileBytes + 1) }))).toContain('files["big.md"] file-size');
    const total = good();
    for (let i = 0; i < 5; i++) total[`part${i}.md`] = 'y'.repeat(UPLOAD_LIMITS.fileBytes - 10);
    expect(rules(refused(total))).toContain('files total-size');
    expect(rules(refused({ ...good(), 'bin.md': 'ELF\u0000\u0001' }))).toContain('files["bin.md"] binary');
    // Multi-byte text counts in bytes, not characters.
    expect(rules(refused({ ...good(), 'wide.md': 'é'.repeat(UPLOAD_LIMITS.fileBytes / 2 + 1) }))).toContain('files["wide.md"] file-size');
  });

  it('YAML alias bombs in lab.yaml and in the topology', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`)].join('\n');
    const inLab = refused({ ...good(), 'lab.yaml': `${LAB}x-bomb:\n${bomb.replace(/^/gm, '  ')}\n` });
    expect(inLab[0]).toMatchObject({ field: 'lab.yaml', rule: 'yaml' });
    expect(inLab[0]!.message).toMatch(/alias count/i);
    const inTopology = refused({ ...good(), 'topology.yaml': `${TOPOLOGY}${bomb.replace(/^(\w): /gm, 'x$1: ')}\n` });
    expect(inTopology[0]).toMatchObject({ field: 'topology.yaml: yaml', rule: 'yaml' });
    expect(inTopology[0]!.message).toMatch(/alias count/i);
  });

  it('node names iproute2 would not take as a name, in the topology and in checks', () => {
    // `ip -n 1` is the namespace of process 1, not a namespace named "1".
    const topo = refused({ ...good(), 'topology.yaml': 'nodes:\n  "1": {}\n' });
    expect(topo.map((i) => i.field).join(' ')).toMatch(/^topology\.yaml: nodes/);
    expect(topo.map((i) => i.message).join(' ')).toMatch(/process 1|digits/);
    for (const bad of ['"1"', '"-n"', '"a;b"']) {
      const issues = refused({ ...good(), 'lab.yaml': LAB.replace('namespace: ns1', `namespace: ${bad}`) });
      expect(rules(issues), bad).toContain('lab.steps[0].checks[0].namespace node-name');
    }
  });

  it('a requirement that is not a kernel feature nslab knows', () => {
    const issues = refused({ ...good(), 'lab.yaml': LAB.replace('requires: [veth]', 'requires: [veth, rootkit]') });
    expect(rules(issues)).toContain('lab.requires[1] capability');
  });

  it('a doc or topology file that is not in the folder (never read from elsewhere)', () => {
    const outside = refused({ ...good(), 'lab.yaml': LAB.replace('doc: steps/01.md', 'doc: ../../../../etc/passwd') });
    expect(rules(outside)).toContain('lab.steps[0].doc missing-file');
    const proto = refused({ ...good(), 'lab.yaml': LAB.replace('doc: steps/01.md', 'doc: __proto__') });
    expect(rules(proto)).toContain('lab.steps[0].doc missing-file');
  });
});

describe('commands are argv, never a shell', () => {
  it("an exec line's and a solution's shell metacharacters stay literal words", () => {
    const topology = 'nodes:\n  a1:\n    exec:\n      - "touch /tmp/x; rm -rf / && $(reboot) | cat > /etc/passwd"\n';
    const { lab } = store.add('meta', { ...good(), 'topology.yaml': topology }, 'u1');
    const ops = planDeploy(startingTopology(lab)).filter((o) => o.op === 'exec');
    expect(ops).toHaveLength(1);
    expect((ops[0] as { argv: string[] }).argv).toEqual(['touch', '/tmp/x;', 'rm', '-rf', '/', '&&', '$(reboot)', '|', 'cat', '>', '/etc/passwd']);
  });
});

describe('what is on disk', () => {
  it('a symlink planted in the store is not followed when writing (flag wx), and nothing half-written stays', () => {
    // A leftover of a crash is swept; a new upload never writes through an existing path.
    mkdirSync(join(root, '.incoming-deadbeefdeadbeef'));
    writeFileSync(join(root, '.incoming-deadbeefdeadbeef', 'lab.yaml'), 'half');
    symlinkSync('/etc', join(root, '.removing-0000000000000000'));
    store.sweep();
    expect(readdirSync(root)).toEqual(['.removing-0000000000000000']);
    expect(store.ids()).toEqual([]);
  });
});
