// A lab folder picked in the browser (<input webkitdirectory>) as the upload's request: its files
// by path inside the folder, hidden files (.DS_Store, .git) left out and said so, and a name for
// the lab made from the folder's. The server checks everything again (names, sizes, the lab).
import { ApiError } from '../api.ts';

/** What the server takes (packages/labs UPLOAD_LIMITS): read no more than it would keep. */
export const MAX_UPLOAD_BYTES = 1024 * 1024;

export interface PickedFile {
  /** `folder/steps/01.md` (webkitRelativePath), or a bare name. */
  path: string;
  size: number;
}

export interface FolderPlan {
  /** The lab's name, from the folder's: lowercase letters, digits and "-". */
  name: string;
  /** Paths inside the folder to send, each with the index of its file. */
  keep: { path: string; index: number }[];
  /** Hidden files left out. */
  skipped: string[];
  /** Bytes of the kept files. */
  bytes: number;
}

export function slugOf(folder: string): string {
  return folder.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 24).replace(/-+$/, '') || 'lab';
}

export function planFolder(files: readonly PickedFile[]): FolderPlan {
  const first = files[0]?.path.split('/')[0] ?? 'lab';
  const inFolder = files.every((f) => f.path.includes('/') && f.path.split('/')[0] === first);
  const keep: FolderPlan['keep'] = [];
  const skipped: string[] = [];
  let bytes = 0;
  files.forEach((f, index) => {
    const path = inFolder ? f.path.slice(first.length + 1) : f.path;
    if (path.split('/').some((p) => p.startsWith('.'))) skipped.push(path);
    else {
      keep.push({ path, index });
      bytes += f.size;
    }
  });
  return { name: slugOf(inFolder ? first : 'lab'), keep, skipped, bytes };
}

export interface UploadIssue {
  field: string;
  rule?: string;
  message: string;
}

/** The field-by-field problems of a refused upload (none: the message says it all). */
export function uploadIssues(e: unknown): UploadIssue[] {
  if (!(e instanceof ApiError)) return [];
  const issues = (e.body as { issues?: unknown }).issues;
  return Array.isArray(issues) ? issues.filter((i): i is UploadIssue => typeof i?.field === 'string' && typeof i?.message === 'string') : [];
}
