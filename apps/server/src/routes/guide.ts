// Guided labs over HTTP: the catalog, starting a lab from it, checking and solving steps.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@fastify/type-provider-typebox';
import { checkNodeName } from '@nslab/model';
import { AnswerError, taskWords, describeCheck, expectedVeths, type Check, type GuideTraces, type Lab, type StepResult } from '@nslab/labs';
import { answerRunning, catalogIds, checkRunning, guideOf, labAvailability, labsDir, loadGuideTraces, loadLab, progressRunning, solveRunning, startLab, startingTopology, type Availability } from '@nslab/labs/runtime';
import { labStore } from '@nslab/driver';
import { ApiError } from '../errors.ts';
import type { LabRegistry } from '../registry.ts';
import { TOKEN_TENANCY, type LabTenancy } from '../classroom/tenancy.ts';
import { liveProbe } from '../live-probe.ts';
import * as S from './schemas.ts';

const LabId = Type.Object({ id: S.Name });
const StartBody = Type.Object({ name: Type.Optional(S.Name) }, { additionalProperties: false });
const StepBody = Type.Object({ step: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })) }, { additionalProperties: false });
// The answer's shape depends on the step's question: checked by @nslab/labs (checkAnswerShape), field by field.
const AnswerBody = Type.Object(
  {
    step: Type.Integer({ minimum: 1, maximum: 100 }),
    answer: Type.Object({ node: Type.Optional(Type.String({ maxLength: 64 })), flooded: Type.Optional(Type.Boolean()), ports: Type.Optional(Type.Array(Type.String({ maxLength: 15 }), { maxItems: 64 })) }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);

const RUNNABLE: Availability = { missing: [], missingTools: [], blocked: [], problems: [] };

function publicLab(lab: Lab, availability: Availability) {
  return {
    id: lab.id,
    title: lab.title,
    summary: lab.summary,
    requires: lab.requires,
    tools: lab.tools,
    ...availability,
    // veths: the pairs the step names, so the editor can propose those names.
    // pings and loopback: where a down lo matters in this step (the graph shows it loudly only there).
    steps: lab.steps.map((s) => ({
      id: s.id, title: s.title, markdown: s.markdown, checks: [...s.checks.map((c) => c.title ?? describeCheck(c.check)), ...(s.trace ? [`Trace ${taskWords(s.trace)} and answer: ${s.trace.question}`] : [])], veths: expectedVeths([s], lab),
      pings: s.checks.flatMap((c) => ('ping' in c.check ? [{ from: c.check.ping.from, to: c.check.ping.to }] : [])),
      loopback: loopbackNodes(s),
      // A trace step's task and question (its answer is computed from the learner's own trace, never sent).
      ...(s.trace ? { trace: s.trace } : {}),
    })),
  };
}

/** The last answer to each trace step (right or not, and the journey's words for it). */
function publicAnswers(rec: GuideTraces | null): Record<string, { ok: boolean; text: string; at: string }> {
  const out: Record<string, { ok: boolean; text: string; at: string }> = {};
  for (const [id, a] of Object.entries(rec?.answers ?? {})) out[id] = { ok: a.ok, text: a.text, at: a.at };
  return out;
}

/** Nodes whose lo a step's checks or hints name: the exercise is about their loopback. */
function loopbackNodes(s: Lab['steps'][number]): string[] {
  const out = new Set<string>();
  const look = (c: Check) => {
    if ('interface' in c && c.interface.name === 'lo') out.add(c.interface.node);
  };
  for (const c of s.checks) {
    look(c.check);
    for (const h of c.hints) look(h.when);
  }
  return [...out];
}

function catalogLab(id: string): Lab {
  if (checkNodeName(id) || !catalogIds(labsDir()).includes(id)) throw new ApiError(404, 'LAB_NOT_IN_CATALOG', `there is no guided lab "${id}"`, 'id');
  return loadLab(labsDir(), id);
}

/** Classroom mode's hooks: every check is recorded, and an assignment's solutions stay hidden. */
export interface GuideHooks {
  /** The server checked `lab` (for the request `req`) with these results. */
  checked(req: FastifyRequest, lab: string, results: StepResult[]): void;
  /** Throws when the lab's reference solutions may not be applied (a student's assignment copy). */
  beforeSolve(req: FastifyRequest, lab: string): void;
}

export async function guideRoutes(app: FastifyInstance, opts: { registry: LabRegistry; mutationRate: number; tenancy?: LabTenancy; hooks?: GuideHooks }): Promise<void> {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tenancy = opts.tenancy ?? TOKEN_TENANCY;
  const mutating = { rateLimit: { max: opts.mutationRate, timeWindow: '1 minute' } };
  const write = { ...mutating, access: 'lab-write' } as const;

  r.get('/catalog', { schema: { summary: 'Guided labs, and whether this kernel can run each' }, config: { access: 'signed-in' } }, async () => {
    const labs = [];
    for (const id of catalogIds(labsDir())) {
      const lab = loadLab(labsDir(), id);
      labs.push(publicLab(lab, await labAvailability(lab)));
    }
    return { labs };
  });

  r.post('/catalog/:id/start', { schema: { summary: 'Deploy a guided lab\'s starting topology', params: LabId, body: StartBody }, config: { ...mutating, access: 'signed-in' } }, async (req, reply) => {
    const lab = catalogLab(req.params.id);
    const typed = req.body.name ?? lab.id;
    const why = checkNodeName(typed);
    if (why) throw new ApiError(400, 'INVALID_NAME', `name ${JSON.stringify(typed)} ${why}`, 'name');
    const name = tenancy.newLabName(req, typed, 'name');
    await opts.registry.deployNew(name, startingTopology(lab), () => startLab(lab.id, name));
    tenancy.created(req, name, typed);
    return reply.code(201).send({ name, lab: lab.id });
  });

  const guided = async (name: string) => {
    await opts.registry.get(name); // 404 unless running
    try {
      return guideOf(name);
    } catch {
      throw new ApiError(404, 'NO_GUIDE', `lab "${name}" was not started from the catalog`);
    }
  };

  r.get('/labs/:lab/guide', { schema: { summary: 'The guided lab a running lab follows and its progress; {guide: null} for a lab not started from the catalog', params: S.LabParams }, config: { access: 'lab-read' } }, async (req) => {
    await opts.registry.get(req.params.lab); // 404 unless running
    // Not an error: most labs have no guide, and a page asks for every lab it opens.
    if (!labStore.loadGuide(req.params.lab)) return { guide: null };
    const lab = await guided(req.params.lab);
    const { passed, current, done } = progressRunning(req.params.lab);
    return { guide: lab.id, ...publicLab(lab, RUNNABLE), passed, current, done, answers: publicAnswers(loadGuideTraces(req.params.lab)) };
  });

  r.post(
    '/labs/:lab/guide/answer',
    {
      schema: { summary: 'Answer a trace step\'s question: judged against the newest trace of this lab that fits the step (one answer per trace); a right answer passes the step', params: S.LabParams, body: AnswerBody },
      config: write,
    },
    async (req) => {
      const lab = await guided(req.params.lab);
      const step = lab.steps[req.body.step - 1];
      if (!step) throw new ApiError(400, 'BAD_STEP', `step must be 1-${lab.steps.length}`, 'step');
      const live = await opts.registry.get(req.params.lab);
      try {
        const { answer, results, passed, current, done } = await answerRunning(req.params.lab, req.body.step, req.body.answer, liveProbe(live));
        opts.hooks?.checked(req, req.params.lab, results);
        return { ok: answer.ok, text: answer.text, results, passed, current, done };
      } catch (e) {
        if (e instanceof AnswerError) throw new ApiError(e.code === 'BAD_ANSWER' || e.code === 'NOT_A_TRACE_STEP' ? 400 : 409, e.code, e.message, e.field);
        throw e;
      }
    },
  );

  r.post(
    '/labs/:lab/guide/check',
    { schema: { summary: 'Check one step, or the current step and the open ones after it while they pass; passed steps stay passed', params: S.LabParams, body: StepBody }, config: write },
    async (req) => {
      await guided(req.params.lab);
      // Through the live view: only the namespaces the step's checks name are read again.
      const live = await opts.registry.get(req.params.lab);
      const { results, passed, current, done } = await checkRunning(req.params.lab, req.body.step, liveProbe(live));
      opts.hooks?.checked(req, req.params.lab, results);
      return { results, passed, current, done };
    },
  );

  r.post('/labs/:lab/guide/solve', { schema: { summary: 'Apply a step\'s reference solution', params: S.LabParams, body: StepBody }, config: write }, async (req) => {
    const lab = await guided(req.params.lab);
    opts.hooks?.beforeSolve(req, req.params.lab);
    if (req.body.step !== undefined && req.body.step > lab.steps.length) throw new ApiError(400, 'BAD_STEP', `step must be 1-${lab.steps.length}`, 'step');
    return { solved: await solveRunning(req.params.lab, req.body.step) };
  });
}
