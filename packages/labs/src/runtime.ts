// Guided labs on a live sandbox (start, check, solve), shared by the CLI and the server. Kept out
// of the package index so the browser can import the pure parts without the driver.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { emptyTopology, parseTopology, requiredCapabilities, type Journey, type Topology } from '@nslab/model';
import { walk } from './diagnose-live.ts';
import { answerStep, emptyGuideTraces, withTrace, type GuideTraces, type StepAnswer } from './guide-trace.ts';
import { rightAnswer } from './trace-question.ts';
import { checkProgress, progressOf, type LabProbe, type Progress } from './check.ts';
import type { Lab } from './format.ts';
import { catalogIds, loadLab } from './load.ts';
import { isUploadId, UploadedLabStore } from './store.ts';
import { runCommands, solveStep } from './solve.ts';
import { BASE_TOOLS, KNOWN_TOOLS, labTools } from './tools.ts';
import {
  CAPABILITY_HELP,
  dataDir,
  deployLab,
  destroyLab,
  detectCapabilities,
  execInLab,
  inspectLab,
  installRoot,
  labStore,
  missingCapabilities,
  MissingCapabilityError,
  missingTools,
  traceLab,
  writeFileAtomic,
} from '@nslab/driver';
import type { Step } from './format.ts';

export function labsDir(): string {
  return process.env.NSLAB_LABS_DIR ?? join(installRoot(), 'labs');
}

/**
 * A guided lab by id: the catalog's (a folder of labs/), or an uploaded one (`upload/...`, kept by
 * UploadedLabStore): a lab started from either is checked and guided the same way.
 */
export function guidedLab(id: string): Lab {
  return isUploadId(id) ? new UploadedLabStore().load(id) : loadLab(labsDir(), id);
}

/** Whether `id` names a guided lab there is (catalog or upload). */
export function guidedLabExists(id: string): boolean {
  return isUploadId(id) ? new UploadedLabStore().has(id) : catalogIds(labsDir()).includes(id);
}

export function startingTopology(lab: Lab): Topology {
  const t = lab.topology.trim() ? parseTopology(lab.topology).topology : emptyTopology();
  t.requires = [...new Set([...t.requires, ...lab.requires])];
  return t;
}

/** Capabilities the lab needs that this machine cannot give it (empty = runnable as far as the kernel goes). */
export async function labMissing(lab: Lab): Promise<string[]> {
  return missingCapabilities(await detectCapabilities(), requiredCapabilities(startingTopology(lab)));
}

export interface MissingTool {
  tool: string;
  /** The Debian package that has it. */
  package: string;
}

/** A command a kernel feature cannot stand in for: the lab would fail a check with "not found". */
export class MissingToolError extends Error {
  readonly code = 'MISSING_TOOL';
  constructor(readonly missing: MissingTool[]) {
    super(`this lab runs ${missing.map((m) => m.tool).join(', ')}, which this machine lacks: ${installHint(missing)}`);
    this.name = 'MissingToolError';
  }
}

function installHint(missing: readonly MissingTool[]): string {
  return `apt-get install ${[...new Set(missing.map((m) => m.package))].join(' ')}`;
}

function toolRows(tools: readonly string[]): MissingTool[] {
  return missingTools(tools).map((tool) => ({ tool, package: KNOWN_TOOLS[tool] ?? tool }));
}

/** Commands the lab runs (declared, or run by its check kinds) that this machine does not have. */
export function labMissingTools(lab: Lab): MissingTool[] {
  return toolRows(labTools(lab));
}

export interface Availability {
  /** Capabilities this machine cannot give the lab: the kernel lacks them, or a lab may not use them. */
  missing: string[];
  /** Commands the lab runs that this machine lacks, each with its package. */
  missingTools: MissingTool[];
  /** Capabilities the kernel has but a lab may not use (a device's mode), with the host command that fixes each. */
  blocked: { capability: string; detail: string; fix?: string }[];
  /** One line per problem, with what to do about it (empty = runnable). */
  problems: string[];
}

/** Whether this machine can run the lab, and if not, why and what fixes it. */
export async function labAvailability(lab: Lab): Promise<Availability> {
  const report = await detectCapabilities();
  const missing = missingCapabilities(report, requiredCapabilities(startingTopology(lab)));
  const tools = labMissingTools(lab);
  const blocked = missing
    .filter((c) => report[c]?.cause === 'access')
    .map((c) => ({ capability: c, detail: report[c].detail, ...(report[c].fix ? { fix: report[c].fix } : {}) }));
  const problems = [
    ...missing.map((c) => {
      const b = blocked.find((x) => x.capability === c);
      return b ? `${c} — ${b.detail}${b.fix ? ` (fix, as root: ${b.fix})` : ''}` : `${c} — ${CAPABILITY_HELP[c]}, which this kernel lacks`;
    }),
    ...tools.map((t) => `the ${t.tool} command — ${installHint([t])}`),
  ];
  return { missing, missingTools: tools, blocked, problems };
}

export interface ToolStatus {
  tool: string;
  package: string;
  ok: boolean;
  /** Guided labs that run it (empty for nslab's own tools). */
  labs: string[];
}

/** nslab's own commands and every command of the catalog's labs, each found or not (nslab doctor). */
export function toolReport(): ToolStatus[] {
  const users = new Map<string, string[]>();
  for (const t of Object.keys(BASE_TOOLS)) users.set(t, []);
  for (const id of catalogIds(labsDir())) for (const t of labTools(loadLab(labsDir(), id))) users.set(t, [...(users.get(t) ?? []), id]);
  const missing = new Set(missingTools([...users.keys()]));
  return [...users].map(([tool, labs]) => ({ tool, package: KNOWN_TOOLS[tool] ?? tool, ok: !missing.has(tool), labs }));
}

export function probe(name: string): LabProbe {
  return {
    observe: () => inspectLab(name),
    exec: (node, argv) => execInLab(name, node, argv, { timeoutMs: 15_000 }),
    guideTraces: () => ({ lab: name, record: loadGuideTraces(name) }),
  };
}

// ---------- trace steps: the traces a guided lab's learner ran, and their answers ----------

/** Beside guide.json (the lab's data folder: it goes when the lab's data does). */
const tracesFile = (name: string) => join(dataDir(), 'labs', name, 'guide-traces.json');

/** The recorded traces and answers of a guided lab (null for a lab not started from the catalog). */
export function loadGuideTraces(name: string): GuideTraces | null {
  if (!labStore.loadGuide(name)) return null;
  try {
    const r = JSON.parse(readFileSync(tracesFile(name), 'utf8')) as GuideTraces;
    return Array.isArray(r.traces) && typeof r.answers === 'object' && r.answers !== null ? r : emptyGuideTraces();
  } catch {
    return emptyGuideTraces();
  }
}

function saveGuideTraces(name: string, rec: GuideTraces): void {
  writeFileAtomic(tracesFile(name), JSON.stringify(rec), `the recorded traces of lab "${name}"`);
}

/**
 * Keeps a journey the trace engine just produced on `name` for its guide's trace steps (nothing for
 * a lab not started from the catalog). Only nslab's own trace paths call this: the server's trace
 * route and `nslab trace`.
 */
export function recordGuideTrace(name: string, journey: Journey): void {
  const rec = loadGuideTraces(name);
  if (!rec || journey.lab !== name) return;
  saveGuideTraces(name, withTrace(rec, journey, randomBytes(6).toString('hex'), new Date().toISOString()));
}

/**
 * The learner's answer to trace step `step` (from 1), judged against their newest matching trace;
 * a right one passes the step (its progress stored as a check stores it). Throws AnswerError for an
 * answer that cannot be judged (no trace, the trace already used, a bad shape).
 */
export async function answerRunning(name: string, step: number, answer: unknown, through: LabProbe = probe(name)): Promise<{ answer: StepAnswer } & Progress> {
  const judged = recordAnswer(name, step, answer);
  return { answer: judged, ...(await checkRunning(name, step, through)) };
}

/** Judges and keeps the answer to trace step `step` (from 1); the step's progress is stored by the next check. */
export function recordAnswer(name: string, step: number, answer: unknown): StepAnswer {
  const lab = guideOf(name);
  const s = lab.steps[step - 1];
  if (!s) throw new Error(`--step must be 1-${lab.steps.length}`);
  const r = answerStep(loadGuideTraces(name) ?? emptyGuideTraces(), name, s, answer, new Date().toISOString());
  saveGuideTraces(name, r.rec);
  return r.answer;
}

/** Traces the lab as `nslab trace` does and records the journey for the guide. */
export async function traceForGuide(name: string, req: { from: string; to: string; protocol?: 'icmp' | 'tcp' | 'udp'; port?: number }): Promise<Journey> {
  const j = await traceLab(name, req, { diagnose: (observed) => walk({ exec: (node, argv) => execInLab(name, node, argv, { timeoutMs: 15_000 }) }, observed, req.from, req.to) });
  recordGuideTrace(name, j);
  return j;
}

/** A step's reference solution on a running lab: its commands, then for a trace step the trace and the answer its journey calls for. */
export async function solveLabStep(name: string, step: Step): Promise<void> {
  await solveStep(step, labExec(name));
  const t = step.trace;
  if (!t) return;
  const j = await traceForGuide(name, { from: t.from, to: t.to, protocol: t.protocol, ...(t.port !== undefined ? { port: t.port } : {}) });
  const lab = guideOf(name);
  const index = lab.steps.findIndex((x) => x.id === step.id);
  if (index < 0) return; // a step of another lab: nothing to answer in this lab's guide
  // As any solution: the lab is left so that the step's check passes (the check stores the progress).
  recordAnswer(name, index + 1, rightAnswer(t.ask, j).answer);
}

export const labExec = (name: string) => (node: string, argv: string[]) => execInLab(name, node, argv, { timeoutMs: 30_000, logAs: 'lab' });

export async function startLab(id: string, name: string): Promise<Lab> {
  const lab = guidedLab(id);
  const report = await detectCapabilities();
  const missing = missingCapabilities(report, requiredCapabilities(startingTopology(lab)));
  if (missing.length) throw new MissingCapabilityError(missing, report);
  const tools = labMissingTools(lab);
  if (tools.length) throw new MissingToolError(tools);
  const { execFailures } = await deployLab(name, startingTopology(lab), { source: 'lab' });
  // A containerlab file's exec line may fail and the lab go on (containerlab does); a guided lab's
  // own starting point is the author's promise: a failed line means it is not what the steps expect.
  if (execFailures.length > 0) {
    await destroyLab(name).catch(() => {});
    const f = execFailures[0]!;
    throw new Error(`guided lab "${id}" did not start as written: exec in ${f.node} failed: ${f.command}: ${f.message}${execFailures.length > 1 ? ` (and ${execFailures.length - 1} more)` : ''}`);
  }
  labStore.saveGuide(name, { lab: id, passed: [] });
  return lab;
}

export function guideOf(name: string): Lab {
  const g = labStore.loadGuide(name);
  if (!g) throw new Error(`lab "${name}" was not started from the catalog (nslab lab start <lab> --name ${name})`);
  return guidedLab(g.lab);
}

/** The guide's progress as stored with the lab (nothing is checked). */
export function progressRunning(name: string): Progress {
  return progressOf(guideOf(name), labStore.loadGuide(name)?.passed ?? []);
}

/**
 * Checks the lab's current step (and the open ones after it while they pass), or only `step`
 * (from 1), and stores what passed with the lab: the CLI and the web guide share it. `through`: how
 * the lab is looked at (the server's reads only what the checks name); a fresh read of everything
 * by default.
 */
export async function checkRunning(name: string, step?: number, through: LabProbe = probe(name)): Promise<Progress> {
  const lab = guideOf(name);
  const view = through;
  // Trace steps read the lab's recorded traces, whichever way the lab itself is looked at.
  through = { observe: (n) => view.observe(n), exec: (node, argv) => view.exec(node, argv), guideTraces: () => ({ lab: name, record: loadGuideTraces(name) }) };
  if (step !== undefined && (step < 1 || step > lab.steps.length)) throw new Error(`--step must be 1-${lab.steps.length}`);
  const before = labStore.loadGuide(name)!;
  const p = await checkProgress(lab, through, before.passed, step === undefined ? undefined : step - 1);
  // Another check (the web guide's auto-check, the CLI) may have stored steps meanwhile: merge.
  const now = labStore.loadGuide(name) ?? before;
  const merged = progressOf(lab, [...now.passed, ...p.passed], p.results);
  // Written only when a step passed: most checks change nothing, and a write holds the server's loop.
  if (merged.passed.join('\0') !== now.passed.join('\0')) labStore.saveGuide(name, { lab: now.lab, passed: merged.passed });
  return merged;
}

export async function solveRunning(name: string, step?: number): Promise<string[]> {
  const lab = guideOf(name);
  const steps = step === undefined ? lab.steps : [lab.steps[step - 1]].filter((s) => s !== undefined);
  if (steps.length === 0) throw new Error(`--step must be 1-${lab.steps.length}`);
  for (const s of steps) await solveLabStep(name, s);
  return steps.map((s) => s.id);
}

export { catalogIds, loadLab, runCommands };
export * from './store.ts';
