// Web app at scale: a 300-namespace star lab in headless Chromium. Prints time from the snapshot's
// arrival to the first full render, frame rate while dragging a node, and the gzipped bundle size.
// Not a test: the numbers are measured and printed, goals are compared, nothing is asserted.
//
// The machine is shared, so beside each render's wall time the bench prints the renderer main
// thread's own CPU time over the same span (from a Chrome trace: thread time of its top-level
// tasks), which other processes' load barely changes, and the canvas's own User Timing measures
// (`nslab:*`, see graph/Canvas.tsx): the first sync, and within it adding the elements, the
// automatic layout (first run only: later runs open the positions it saved) and the fit.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { deployLab, destroyLab, findSandbox } from '../packages/driver/src/index.ts';
import { buildApp } from '../apps/server/src/app.ts';
import { starTopology } from './star.ts';
import { median, table } from './stats.ts';
import { measure, type DrawnEdge, type DrawnNode } from '../apps/web/src/graph/layout-geometry.ts';

const root = join(import.meta.dirname, '..');
const N = Number(process.env.BENCH_WEB_N ?? 300);
const RUNS = Number(process.env.BENCH_WEB_RUNS ?? 3);
const name = `bench-web-${process.pid}`;
const token = `bench-${process.pid}`;

execFileSync('pnpm', ['-C', 'apps/web', 'run', 'build'], { cwd: root, stdio: 'ignore' });
const assets = join(root, 'apps/web/dist/assets');
const js = readdirSync(assets).filter((f) => f.endsWith('.js'));
const gz = js.reduce((sum, f) => sum + gzipSync(readFileSync(join(assets, f))).length, 0);

await deployLab(name, starTopology(N), {});
const { app } = await buildApp({ token, webRoot: join(root, 'apps/web/dist') });
const base = await app.listen({ host: '127.0.0.1', port: 0 });
// playwright's launch() gives every run a fresh, temporary profile.
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
}).catch(async (e) => {
  await app.close();
  await destroyLab(name);
  throw e;
});
const renders: number[] = [];
const cpus: number[] = [];
/** Wall-clock ms of each `nslab:*` measure, per run. */
const phases: Record<string, number>[] = [];

interface TraceEvent { name: string; cat: string; ph: string; pid: number; tid: number; ts: number; dur?: number; tdur?: number }

/** Thread time (ms) of the top-level tasks on the thread that stamped `from`, between the marks `from` and `to`. */
function mainThreadCpu(events: TraceEvent[], from: string, to: string): number {
  const a = events.find((e) => e.name === from);
  const b = events.find((e) => e.name === to);
  if (!a || !b) return NaN;
  const tasks = events
    .filter((e) => e.pid === a.pid && e.tid === a.tid && e.ph === 'X' && e.cat === 'toplevel' && e.tdur !== undefined && e.ts + (e.dur ?? 0) >= a.ts && e.ts <= b.ts)
    .sort((x, y) => x.ts - y.ts || (y.dur ?? 0) - (x.dur ?? 0));
  // Top-level task events nest (a scheduler's task around the task it runs): count the outer one.
  let cpu = 0;
  let until = -Infinity;
  for (const t of tasks) {
    if (t.ts < until) continue;
    until = t.ts + (t.dur ?? 0);
    cpu += t.tdur! / 1000;
  }
  return cpu;
}
const fpsRuns: number[] = [];
/** The first run's automatic layout, as drawn: overlapping nodes, links through nodes, links crossing. */
let drawn: ReturnType<typeof measure> | undefined;
try {
  for (let run = 0; run < RUNS; run++) {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    // Stamp the arrival of the snapshot without touching the app: wrap WebSocket.
    await page.addInitScript(() => {
      const W = window.WebSocket;
      (window as unknown as { __snapAt?: number }).__snapAt = undefined;
      window.WebSocket = class extends W {
        constructor(url: string | URL, p?: string | string[]) {
          super(url, p);
          this.addEventListener('message', (e) => {
            const w = window as unknown as { __snapAt?: number };
            if (w.__snapAt === undefined && typeof e.data === 'string' && e.data.startsWith('{"type":"snapshot"')) {
              w.__snapAt = performance.now();
              performance.mark('bench:snapshot');
            }
          });
        }
      } as typeof WebSocket;
    });
    const cdp = await page.context().newCDPSession(page);
    const events: TraceEvent[] = [];
    cdp.on('Tracing.dataCollected', (e) => events.push(...(e.value as unknown as TraceEvent[])));
    const traced = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
    await cdp.send('Tracing.start', { categories: 'toplevel,blink.user_timing', transferMode: 'ReportEvents' });
    await page.goto(`${base}/labs/${name}?token=${token}`);
    const { ms, measures } = await page.evaluate(async (n) => {
      const w = window as unknown as { __snapAt?: number; __nslab_cy?: { nodes(): { length: number } } };
      while (!(w.__nslab_cy && w.__nslab_cy.nodes().length >= n)) await new Promise((r) => setTimeout(r, 5));
      // Rendered = the frame after the elements exist has been painted.
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      const ms = performance.now() - w.__snapAt!;
      performance.mark('bench:rendered');
      const measures: Record<string, number> = {};
      for (const m of performance.getEntriesByType('measure')) if (m.name.startsWith('nslab:')) measures[m.name.slice(6)] = (measures[m.name.slice(6)] ?? 0) + m.duration;
      return { ms, measures };
    }, N);
    await cdp.send('Tracing.end');
    await traced;
    renders.push(ms);
    cpus.push(mainThreadCpu(events, 'bench:snapshot', 'bench:rendered'));
    phases.push(measures);
    if (run === 0) {
      // As a string, like the frame counter below: what Cytoscape drew, read back and judged here.
      const d = (await page.evaluate(`(() => {
        const cy = window.__nslab_cy;
        const nodes = cy.nodes().map((n) => { const b = n.boundingBox({ includeLabels: false, includeOverlays: false }); const p = n.parent(); return { id: n.id(), box: { x1: b.x1, y1: b.y1, x2: b.x2, y2: b.y2 }, ...(p.nonempty() ? { parent: p.id() } : {}) }; });
        const edges = cy.edges().map((e) => ({ id: e.id(), source: e.source().id(), target: e.target().id() }));
        return { nodes, edges };
      })()`)) as { nodes: DrawnNode[]; edges: DrawnEdge[] };
      drawn = measure(d.nodes, d.edges);
    }
    // Drag one namespace node for ~2 s and count animation frames.
    const pos = await page.evaluate(() => {
      const cy = (window as unknown as { __nslab_cy: { $id(id: string): { renderedPosition(): { x: number; y: number } }; container(): HTMLElement } }).__nslab_cy;
      const p = cy.$id('h1').renderedPosition();
      const r = cy.container().getBoundingClientRect();
      return { x: r.left + p.x, y: r.top + p.y };
    });
    // As a string: tsx would wrap a named arrow function in a helper the page does not have.
    await page.evaluate('window.__frames = 0; (function tick() { window.__frames++; requestAnimationFrame(tick); })();');
    await page.mouse.move(pos.x, pos.y);
    await page.mouse.down();
    const t0 = Date.now();
    const f0 = await page.evaluate(() => (window as unknown as { __frames: number }).__frames);
    for (let i = 0; i < 120; i++) await page.mouse.move(pos.x + 150 * Math.sin(i / 10), pos.y + 100 * Math.cos(i / 10), { steps: 1 });
    const f1 = await page.evaluate(() => (window as unknown as { __frames: number }).__frames);
    const secs = (Date.now() - t0) / 1000;
    await page.mouse.up();
    fpsRuns.push((f1 - f0) / secs);
    await page.close();
  }
} finally {
  await browser.close();
  await app.close();
  if (findSandbox(name)) await destroyLab(name);
}

console.log(`## Web app: ${N}-namespace star lab in headless Chromium (${RUNS} runs, median)\n`);
console.log(table(
  ['measure', 'result', 'goal'],
  [
    ['snapshot arrived -> first full render', `${median(renders).toFixed(0)} ms (runs: ${renders.map((r) => r.toFixed(0)).join(', ')})`, '≤ 1000 ms'],
    ['same span: renderer main-thread CPU time', `${median(cpus).toFixed(0)} ms (runs: ${cpus.map((r) => r.toFixed(0)).join(', ')})`, '—'],
    ['within it, the canvas (wall ms per run): first sync = add + layout + fit', phases.map((p) => ['first-sync', 'add', 'layout', 'fit'].map((k) => (p[k] ?? 0).toFixed(0)).join(' / ')).join('; '), '—'],
    ['frame rate while dragging a node', `${median(fpsRuns).toFixed(0)} fps (runs: ${fpsRuns.map((r) => r.toFixed(0)).join(', ')})`, '≥ 30 fps'],
    ['automatic layout (first run): overlapping nodes / links through a node / links crossing', drawn ? `${drawn.overlaps.length} / ${drawn.crossings.length} / ${drawn.edgeCrossings}` : '—', '0 / 0 / —'],
    ['production JS, gzipped', `${(gz / 1024).toFixed(1)} kB (${js.length} files)`, '—'],
  ],
));
