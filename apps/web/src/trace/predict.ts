// "Predict the next hop": before the envelope moves to a new place, the learner says where the
// packet goes next (a node or bridge on the graph, "flooded out of every port", or "dropped here"),
// and is told right or wrong with the journey's own reason (the route, fdb entry, flood or rule that
// decided, or the drop's evidence). Pure: which step asks what, judging a guess, the score.
import type { Journey, JourneyEvent, ObservedLab } from '@nslab/model';
import { bridgeId } from '../graph/elements.ts';
import { copiesAt, placeOnGraph } from './journey-view.ts';

/** Guesses that are not a place on the graph. */
export const FLOODED = '@flooded';
export const DROPPED = '@dropped';

export interface Question {
  /** Asked at step `at`, before the envelope moves on (-1: still at the source). */
  at: number;
  kind: 'hop' | 'flood' | 'drop';
  /** The graph elements the packet reaches next (a flood: every copy's). */
  places: string[];
  /** The journey's words for what decided it. */
  reasons: string[];
}

export interface Judged {
  right: boolean;
  text: string;
}

/** Where an event's packet is, or is heading: a departure is on its way to the far end of its wire. */
function whereTo(lab: ObservedLab | null, e: JourneyEvent): string {
  const p = placeOnGraph(lab, e.at.node, e.at.interface);
  return e.at.direction === 'out' ? (p.peer ?? p.self) : p.self;
}

const uniq = <T>(xs: T[]) => [...new Set(xs)];

function reasonsOf(events: readonly JourneyEvent[]): string[] {
  const all = events.flatMap((e) => e.why);
  const deciding = all.filter((w) => w.kind !== 'wire' && w.kind !== 'local');
  return uniq((deciding.length ? deciding : all).map((w) => (w.detail && !w.text.includes(w.detail) ? `${w.text} (${w.detail})` : w.text)));
}

/**
 * Every question of a journey, by the step it is asked at. A step whose packet stays where it is
 * (arriving in a node, then leaving it; a flood's copies arriving where the flood was announced) asks
 * nothing; the last step of a dropped journey asks whether it dies there.
 */
export function predictPlan(journey: Journey, lab: ObservedLab | null): Map<number, Question> {
  const events = journey.events;
  const plan = new Map<number, Question>();
  let here = new Set<string>([placeOnGraph(lab, journey.from).self]);
  let announced = new Set<string>();
  let group: number[] = [];
  for (let i = -1; i < events.length - 1; i++) {
    const next = i + 1;
    if (group.includes(next)) continue; // a copy of the flood already shown
    const nextGroup = copiesAt(events, next);
    const evs = nextGroup.map((k) => events[k]!);
    const places = uniq(evs.map((e) => whereTo(lab, e)));
    group = nextGroup;
    if (places.every((p) => here.has(p) || announced.has(p))) {
      here = new Set(places);
      continue;
    }
    const flood = evs.length > 1 && evs.some((e) => e.flooded);
    plan.set(i, { at: i, kind: flood ? 'flood' : 'hop', places, reasons: reasonsOf(evs) });
    announced = new Set(places);
    here = new Set(places);
  }
  if (journey.drop) {
    // The evidence that says why (the rule, the ICMP error, the neighbour, the walker); the probe's own output is not a reason.
    const why = journey.drop.evidence.filter((x) => x.kind !== 'probe' && x.kind !== 'no-sighting');
    const at = events.length - 1;
    plan.set(at, { at, kind: 'drop', places: [DROPPED], reasons: (why.length ? why : journey.drop.evidence).map((x) => x.text.split('\n')[0]!).slice(0, 2) });
  }
  return plan;
}

/** A place's words: "lab host", "bridge br0", "ns1". */
export function placeName(id: string): string {
  if (id === FLOODED) return 'flooded out of every port';
  if (id === DROPPED) return 'dropped here';
  if (id === 'host') return 'the lab host';
  // A bridge's graph id is node:name (graph/elements.ts bridgeId).
  return id.includes(':') ? `bridge ${id.slice(id.indexOf(':') + 1)}` : id;
}

const list = (ids: string[]) => ids.map(placeName).join(' and ');

export function judge(q: Question, guess: string): Judged {
  const why = q.reasons.length ? ` — ${q.reasons.join('; ')}` : '';
  if (q.kind === 'drop') {
    return guess === DROPPED ? { right: true, text: `Right: it was dropped here${why}` } : { right: false, text: `No: it went no further, it was dropped here${why}` };
  }
  if (q.kind === 'flood') {
    if (guess === FLOODED) return { right: true, text: `Right: flooded to ${list(q.places)}${why}` };
    if (q.places.includes(guess)) return { right: false, text: `Not only ${placeName(guess)}: the bridge flooded it to ${list(q.places)}${why}` };
    return { right: false, text: `No: the bridge flooded it to ${list(q.places)}${why}` };
  }
  if (q.places.includes(guess)) return { right: true, text: `Right: ${list(q.places)}${why}` };
  if (guess === DROPPED) return { right: false, text: `No: it was not dropped, it went to ${list(q.places)}${why}` };
  return { right: false, text: `No: it went to ${list(q.places)}, not ${placeName(guess)}${why}` };
}

export interface Score {
  right: number;
  asked: number;
}

export function score(answers: ReadonlyMap<number, Judged>): Score {
  let right = 0;
  for (const a of answers.values()) if (a.right) right++;
  return { right, asked: answers.size };
}

/** Every place a learner may pick from the list (the keyboard's way to answer): nodes, bridges, and the two outcomes. */
export function choices(lab: ObservedLab | null, extra: string[] = []): { id: string; label: string }[] {
  const out: { id: string; label: string }[] = [];
  for (const n of lab?.nodes ?? []) if (!n.unsafeName) out.push({ id: n.name, label: n.kind === 'host' ? 'lab host' : n.name });
  for (const b of lab?.bridges ?? []) out.push({ id: bridgeId(b.node, b.name), label: `bridge ${b.name}` });
  for (const id of extra) if (!out.some((c) => c.id === id)) out.push({ id, label: placeName(id) });
  out.push({ id: FLOODED, label: 'flooded out of every port' }, { id: DROPPED, label: 'dropped here' });
  return out;
}
