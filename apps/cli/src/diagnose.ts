// `nslab diagnose <lab> <from> <to>`: the walk, hop by hop, the first problem with its fix, and
// whether the real ping agrees.
import { diagnoseLive, type LiveDiagnosis } from '@nslab/labs';
import { execInLab, inspectLab } from '@nslab/driver';

export async function runDiagnose(lab: string, from: string, to: string): Promise<LiveDiagnosis> {
  return diagnoseLive(
    { observe: () => inspectLab(lab), exec: (node, argv) => execInLab(lab, node, argv, { timeoutMs: 15_000 }) },
    from,
    to,
  );
}

export function formatDiagnosis(d: LiveDiagnosis): string {
  const out: string[] = [];
  const where = d.target ? ` (${d.target.address}, ${d.target.interface} in ${d.target.node})` : '';
  out.push(`why can't ${d.from} reach ${d.to}${where}?`);
  let dir = '';
  d.path.forEach((h, i) => {
    if (h.direction !== dir) {
      dir = h.direction;
      out.push(dir === 'forward' ? 'the way there:' : 'the reply:');
    }
    const mark = d.problem?.hop === i ? '✗' : ' ';
    out.push(` ${mark} ${String(i).padStart(2)} ${h.node}${h.interface ? `:${h.interface}` : ''}  ${h.what}`);
  });
  if (d.problem?.cause === 'not-followed') {
    const p = d.problem;
    out.push('', `no verdict: the walk stops at ${p.node}${p.interface ? `:${p.interface}` : ''}: ${p.message}`);
  } else if (d.problem) {
    const p = d.problem;
    out.push('', `problem (${p.cause}) at ${p.node}${p.interface ? `:${p.interface}` : ''}: ${p.message}`);
    if (p.fix.length) {
      out.push('fix (type in the lab host):');
      for (const f of p.fix) out.push(`  ${f}`);
    }
  } else if (d.ping.address && !d.ping.ok) {
    out.push('', `unexplained: the walk finds no break from ${d.from} to ${d.to}, but the real ping gets no reply`);
  } else {
    out.push('', 'no problem found on the path');
  }
  if (d.uncertain?.length) {
    out.push(d.problem || d.ping.ok ? 'might also drop it:' : 'first suspects:');
    for (const u of d.uncertain) out.push(`  ${u}`);
  }
  out.push('');
  const pinged = d.ping.address ? `ping -c1 -W1 ${d.ping.address} from ${d.from}` : 'no ping';
  if (!d.ping.address) out.push(`${pinged}: ${d.ping.output}`);
  else if (d.problem?.cause === 'not-followed') out.push(`${pinged}: the real ping ${d.ping.ok ? 'succeeds' : 'fails'}`);
  else if (d.problem && !d.ping.ok) out.push(`${pinged}: the real ping agrees: it fails`);
  else if (d.problem && d.ping.ok) out.push(`${pinged}: …but the real ping succeeds — nslab's walk missed something (or the problem does not stop a ping)`);
  else if (d.ping.ok) out.push(`${pinged}: the real ping agrees: it succeeds`);
  else out.push(`${pinged}: …but the real ping fails — nslab's walk missed something`);
  return out.join('\n') + '\n';
}
