// What `nslab lab list|check` and `nslab doctor` print about guided labs, kernel features and the
// commands labs run. Text only: the data comes from @nslab/labs/runtime and the driver.
import type { CapabilityReport } from '@nslab/driver';
import type { Lab, Progress } from '@nslab/labs';
import type { Availability, ToolStatus } from '@nslab/labs/runtime';

/** One line per catalog lab; a lab this machine cannot run says why and what fixes it. */
export function formatLabList(rows: ({ id: string; title: string; steps: number } & Pick<Availability, 'problems'>)[]): string {
  return rows
    .map((r) => {
      const head = `${r.id.padEnd(16)} ${String(r.steps).padStart(2)} steps  ${r.title}`;
      const p = r.problems;
      return p.length ? `${head}\n${p.map((x) => `${' '.repeat(18)}not runnable here: ${x}\n`).join('')}` : `${head}\n`;
    })
    .join('');
}

/**
 * A check's outcome: every step, those checked now with their checks and hints, the others as
 * passed before or still to do; then the current step, or that the lab is done.
 */
export function formatProgress(lab: Lab, p: Progress, only?: number): string {
  let out = '';
  lab.steps.forEach((s, i) => {
    if (only !== undefined && i !== only - 1) return;
    const r = p.results.find((x) => x.step === s.id);
    if (!r) {
      out += `${p.passed.includes(s.id) ? 'done' : 'todo'}  step ${i + 1}: ${s.title}${p.passed.includes(s.id) ? ' (passed earlier)' : ''}\n`;
      return;
    }
    out += `${r.ok ? 'PASS' : 'FAIL'}  step ${i + 1}: ${r.title}\n`;
    for (const c of r.checks) {
      out += `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.title}${c.detail ? ` — ${c.detail}` : ''}\n`;
      for (const h of c.hints) out += `       hint: ${h}\n`;
    }
  });
  const n = lab.steps.length;
  if (p.done) out += `lab done: all ${n} step${n === 1 ? '' : 's'} passed\n`;
  else out += `current step: ${p.current!.index} of ${n} — ${p.current!.title} (${p.passed.length} passed)\n`;
  return out;
}

/** Kernel features: ok, MISSING (the kernel lacks it) or BLOCKED (it has it, labs may not use it: the fix). */
export function formatCapabilities(report: CapabilityReport, caps: readonly (keyof CapabilityReport)[], help: Record<string, string>): string {
  let out = '';
  for (const c of caps) {
    const r = report[c];
    const label = r.ok ? 'ok     ' : r.cause === 'access' ? 'BLOCKED' : 'MISSING';
    out += `${label} ${c.padEnd(22)} ${r.ok ? help[c] : r.detail}\n`;
    if (!r.ok && r.fix) out += `${' '.repeat(31)}fix, as root: ${r.fix}\n`;
  }
  return out;
}

/** The commands nslab and its guided labs run, each found or with the package to install. */
export function formatTools(tools: ToolStatus[]): string {
  let out = '';
  for (const t of tools) {
    const users = t.labs.length ? `labs: ${t.labs.join(', ')}` : 'nslab itself';
    out += `${t.ok ? 'ok     ' : 'MISSING'} ${t.tool.padEnd(22)} ${t.ok ? `${t.package}; ${users}` : `apt-get install ${t.package} (needed by ${users})`}\n`;
  }
  return out;
}
