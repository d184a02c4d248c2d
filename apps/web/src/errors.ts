// Server errors in words a learner can act on. The server's message is already specific (it names
// the field and the rule); here we add what kind of failure it was and keep the kernel's own words
// separate, because "the kernel said X" is the lesson.
import { ApiError } from './api.ts';

export interface Explained {
  /** One sentence: what went wrong. */
  summary: string;
  /** The kernel's (or ip's) message, verbatim. */
  kernel?: string;
  /** The command that failed, as typed. */
  command?: string;
  /** The request field at fault, to place the message next to it. */
  field?: string;
  /** Every problem, when there are several (a topology file's issues). */
  details?: string[];
  /** What the kernel's terse message usually means, when we recognise it. */
  hint?: string;
}

// The kernel's messages are exact but terse; these say what a learner usually has to do about them.
const KERNEL_HINTS: [RegExp, string][] = [
  [/Nexthop has invalid gateway|Network is unreachable/i, 'The gateway must be directly reachable: give an interface of this namespace an address in the gateway\'s subnet, and bring it up.'],
  [/File exists/i, 'It is already there (an address, route or interface of that name).'],
  [/Cannot find device|No such device/i, 'That interface does not exist (any more) in this namespace.'],
  [/Cannot assign requested address/i, 'That address is not on any interface of this namespace.'],
  [/No such process/i, 'Nothing matched: the route or entry is not there.'],
  [/Operation not permitted|Permission denied/i, 'The lab\'s sandbox does not allow this.'],
  [/Numerical result out of range|Invalid argument/i, 'The kernel does not accept this value here.'],
];

export function explain(e: unknown): Explained {
  if (!(e instanceof ApiError)) return { summary: e instanceof Error ? e.message : String(e) };
  const b = e.body;
  const field = b.field;
  switch (b.code) {
    case 'OPERATION_FAILED': {
      const hint = b.kernelMessage ? KERNEL_HINTS.find(([re]) => re.test(b.kernelMessage!))?.[1] : undefined;
      return {
        summary: 'The kernel refused the command, so nothing changed.',
        ...(b.kernelMessage ? { kernel: b.kernelMessage } : {}),
        ...(b.command ? { command: b.command } : {}),
        ...(hint ? { hint } : {}),
      };
    }
    case 'INVALID_TOPOLOGY': {
      const issues = b.issues ?? [];
      if (issues.length > 1) {
        return {
          summary: `Nothing was run: ${issues.length} problems to fix first.`,
          details: issues.map((i) => (i.field ? `${i.field}: ${i.message}` : i.message)),
          ...(field !== undefined ? { field } : {}),
        };
      }
      return { summary: `Nothing was run: ${issues[0]?.message ?? b.message}`, ...(field !== undefined ? { field } : {}) };
    }
    case 'NETWORK':
      return { summary: 'Could not reach the nslab server. Is `pnpm nslab serve` still running?' };
    case 'UNAUTHORIZED':
      return { summary: 'This page is not signed in: open the URL with the token that the server printed.' };
    case 'LAB_NOT_FOUND':
      return { summary: b.message };
    case 'FST_TOO_MANY_REQUESTS':
    case 'HTTP_429':
      return { summary: 'Too many changes in a short time; wait a moment and try again.' };
    case 'MISSING_CAPABILITY':
    case 'MISSING_TOOL':
      // The message says which: a feature the kernel lacks, a device labs may not open (with its fix), a package.
      return { summary: `This lab cannot run on this machine: ${b.message}` };
    default:
      if (e.status === 429) return { summary: 'Too many changes in a short time; wait a moment and try again.' };
      return { summary: b.message, ...(field !== undefined ? { field } : {}) };
  }
}
