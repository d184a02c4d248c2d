// Uploaded labs: a lab folder an instructor sent as {path: text} files, checked, parsed and kept
// under nslab's data dir (next to the classroom database) as `upload/<slug>-<hash>`. The "/" keeps
// these ids apart from the catalog's, which are folder names. The uploader may be hostile (a stolen
// instructor session) and the lab then runs for students, so every file name and size is checked
// before anything is written, and a refused upload leaves nothing on disk: the folder is written
// under a temporary name and renamed into place only once complete.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import YAML from 'yaml';
import { parseTopology, TopologyError, type Issue } from '@nslab/model';
import { dataDir } from '@nslab/driver';
import type { Lab } from './format.ts';
import { loadLab } from './load.ts';
import { parseLab } from './parse.ts';

export const UPLOAD_PREFIX = 'upload/';

export interface UploadLimits {
  /** Files in one lab folder. */
  files: number;
  /** Bytes of one file (UTF-8). */
  fileBytes: number;
  /** Bytes of all files together. */
  totalBytes: number;
  /** Bytes of one path. */
  pathBytes: number;
  /** Folders deep (steps/01.md is 2). */
  depth: number;
}

export const UPLOAD_LIMITS: UploadLimits = { files: 64, fileBytes: 256 * 1024, totalBytes: 1024 * 1024, pathBytes: 160, depth: 4 };

/** What a lab folder holds: text only (its YAML and Markdown). */
export const UPLOAD_EXTENSIONS = ['.yaml', '.yml', '.md', '.txt'] as const;

/** The name an upload's id starts with: what the uploader calls the folder. */
export const MAX_SLUG = 24;

export function isUploadId(id: string): boolean {
  return typeof id === 'string' && id.startsWith(UPLOAD_PREFIX);
}

/** Where uploaded labs live: NSLAB_UPLOADS_DIR, else `uploaded-labs` in nslab's data dir (/var/lib/nslab). */
export function uploadedLabsDir(): string {
  return process.env.NSLAB_UPLOADS_DIR ?? join(dataDir(), 'uploaded-labs');
}

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');
const fileField = (path: string) => `files[${JSON.stringify(path)}]`;

/** Why a path of the folder is refused (null: fine). Rules are named so a test and a form can tell them apart. */
export function checkUploadPath(path: string, limits: UploadLimits = UPLOAD_LIMITS): { rule: string; message: string } | null {
  if (path === '') return { rule: 'path', message: 'a file needs a name' };
  if (utf8(path) > limits.pathBytes) return { rule: 'path-length', message: `the path is ${utf8(path)} bytes; at most ${limits.pathBytes}` };
  if (path.includes('\\')) return { rule: 'path-separator', message: 'uses "\\": paths inside a lab folder are separated by "/"' };
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return { rule: 'absolute-path', message: 'is an absolute path: give paths relative to the lab folder' };
  const parts = path.split('/');
  if (parts.some((p) => p === '..' || p === '.' || p === '')) return { rule: 'path-traversal', message: 'has an empty, "." or ".." part: every file must stay inside the lab folder' };
  const bad = /[^A-Za-z0-9_.-/]/.exec(path);
  if (bad) return { rule: 'path-chars', message: `contains ${JSON.stringify(bad[0])}: file names use ASCII letters, digits, "_", "." and "-"` };
  if (parts.some((p) => p.startsWith('.'))) return { rule: 'hidden-file', message: 'is a hidden file or folder (starts with "."): leave it out' };
  if (parts.length > limits.depth) return { rule: 'path-depth', message: `is ${parts.length} folders deep; at most ${limits.depth}` };
  if (!UPLOAD_EXTENSIONS.some((e) => path.toLowerCase().endsWith(e))) return { rule: 'file-type', message: `is not one of the text files a lab is made of (${UPLOAD_EXTENSIONS.join(', ')})` };
  return null;
}

/** Every problem of the folder's names and sizes (empty: fine to parse). */
export function checkUploadFiles(files: unknown, limits: UploadLimits = UPLOAD_LIMITS): Issue[] {
  const issues: Issue[] = [];
  const add = (field: string, rule: string, message: string) => issues.push({ field, rule, message });
  if (typeof files !== 'object' || files === null || Array.isArray(files)) {
    add('files', 'type', 'files must be a mapping of path -> text');
    return issues;
  }
  const entries = Object.entries(files as Record<string, unknown>);
  if (entries.length > limits.files) {
    add('files', 'file-count', `the folder has ${entries.length} files; at most ${limits.files}`);
    return issues;
  }
  let total = 0;
  const paths = new Set(entries.map(([p]) => p));
  for (const [path, text] of entries) {
    const f = fileField(path);
    const why = checkUploadPath(path, limits);
    if (why) {
      add(f, why.rule, `${JSON.stringify(path)} ${why.message}`);
      continue;
    }
    if (typeof text !== 'string') {
      add(f, 'type', `${path}: the content must be text`);
      continue;
    }
    const bytes = utf8(text);
    total += bytes;
    if (bytes > limits.fileBytes) add(f, 'file-size', `${path} is ${bytes} bytes; a file of a lab is at most ${limits.fileBytes} bytes`);
    // A NUL or other control bytes: not the YAML or Markdown a lab is made of.
    else if (/[\u0000-\u0008\u000e-\u001f]/.test(text)) add(f, 'binary', `${path} is not text (it has control characters)`);
    // "a.md" and "a.md/b.md" cannot both be: one is a file, the other needs it as a folder.
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      if (paths.has(prefix)) add(f, 'path-conflict', `${path} needs ${prefix} to be a folder, but it is a file of the upload`);
    }
  }
  if (total > limits.totalBytes) add('files', 'total-size', `the files add up to ${total} bytes; a lab folder is at most ${limits.totalBytes} bytes`);
  if (!paths.has('lab.yaml')) add(fileField('lab.yaml'), 'required', 'a lab folder has a lab.yaml at its top');
  return issues;
}

/** The name part of an upload's id, from what the uploader calls the folder. */
export function checkUploadName(name: unknown): string | null {
  if (typeof name !== 'string' || name === '') return 'name the lab (its folder name)';
  if (name.length > MAX_SLUG) return `is ${name.length} characters; at most ${MAX_SLUG}`;
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) return 'uses only lowercase letters, digits and "-", starting with a letter or digit';
  if (/^[0-9-]+$/.test(name)) return 'must have a letter (iproute2 reads a number as a process id)';
  return null;
}

/**
 * Checks and parses an upload in memory: names and sizes, lab.yaml (the lab parser's own YAML limits:
 * at most 50 aliases), the files it names, the starting topology (the model's parser and validator:
 * node names, exec lines split to argv). Throws TopologyError with every issue and its field.
 */
export function parseUpload(name: string, files: Record<string, string>, limits: UploadLimits = UPLOAD_LIMITS): Lab {
  const nameWhy = checkUploadName(name);
  const issues = [...(nameWhy ? [{ field: 'name', rule: 'name', message: `name ${JSON.stringify(name)} ${nameWhy}` }] : []), ...checkUploadFiles(files, limits)];
  if (issues.length) throw new TopologyError(issues);
  // Own properties only: a path "constructor" or "__proto__" must not find Object's.
  const read = (p: string): string | null => (Object.hasOwn(files, p) ? files[p]! : null);
  const lab = parseLab(name, { lab: files['lab.yaml']!, read });
  if (lab.topology.trim()) {
    // Read again only for the file's name (parseLab accepted it, aliases and all).
    const raw = String((YAML.parse(files['lab.yaml']!, { maxAliasCount: 50 }) as { topology?: unknown }).topology);
    try {
      parseTopology(lab.topology);
    } catch (e) {
      if (!(e instanceof TopologyError)) throw e;
      throw new TopologyError(e.issues.map((i) => ({ ...i, field: `${raw}: ${i.field}` })));
    }
  }
  return lab;
}

/** The folder name of an upload: its name and a hash of its files and of who uploaded it (`scope`). */
export function uploadFolder(name: string, files: Record<string, string>, scope: string): string {
  const h = createHash('sha256').update(scope).update('\0');
  for (const p of Object.keys(files).sort()) h.update(p).update('\0').update(files[p]!).update('\0');
  return `${name}-${h.digest('hex').slice(0, 16)}`;
}

export class DuplicateUploadError extends Error {
  readonly code = 'UPLOAD_EXISTS';
  constructor(readonly id: string) {
    super(`this very folder was uploaded already, as ${id}`);
    this.name = 'DuplicateUploadError';
  }
}

export class UnknownUploadError extends Error {
  readonly code = 'UPLOAD_NOT_FOUND';
  constructor(readonly id: string) {
    super(`there is no uploaded lab "${id}"`);
    this.name = 'UnknownUploadError';
  }
}

export class UploadedLabStore {
  constructor(readonly root: string = uploadedLabsDir()) {}

  /** The folder of an id, or null for anything that is not one of ours (a catalog id, a made-up path). */
  private folderOf(id: string): string | null {
    if (!isUploadId(id)) return null;
    const folder = id.slice(UPLOAD_PREFIX.length);
    return /^[a-z0-9][a-z0-9-]{0,23}-[0-9a-f]{16}$/.test(folder) ? folder : null;
  }

  has(id: string): boolean {
    const f = this.folderOf(id);
    return f !== null && existsSync(join(this.root, f, 'lab.yaml'));
  }

  /** The lab, parsed again from its folder (cached by loadLab while its files do not change). */
  load(id: string): Lab {
    const f = this.folderOf(id);
    if (f === null || !this.has(id)) throw new UnknownUploadError(id);
    return { ...loadLab(this.root, f), id };
  }

  ids(): string[] {
    try {
      return readdirSync(this.root).filter((f) => this.folderOf(UPLOAD_PREFIX + f) !== null).map((f) => UPLOAD_PREFIX + f).sort();
    } catch {
      return [];
    }
  }

  /**
   * Checks, parses and keeps an upload; returns its id and lab. `scope` (the uploader) goes into the
   * id's hash: the same folder twice from one uploader is a DuplicateUploadError, from two is two labs.
   */
  add(name: string, files: Record<string, string>, scope: string, limits: UploadLimits = UPLOAD_LIMITS): { id: string; lab: Lab; files: number; bytes: number } {
    const lab = parseUpload(name, files, limits);
    const folder = uploadFolder(name, files, scope);
    const id = UPLOAD_PREFIX + folder;
    const target = join(this.root, folder);
    if (existsSync(target)) throw new DuplicateUploadError(id);
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
    const tmp = join(this.root, `.incoming-${randomBytes(8).toString('hex')}`);
    mkdirSync(tmp, { mode: 0o700 });
    try {
      for (const [p, text] of Object.entries(files)) {
        const full = resolve(tmp, p);
        // checkUploadPath already refused anything that could leave the folder; this holds it anyway.
        if (!full.startsWith(tmp + sep)) throw new Error(`refusing to write ${p} outside the upload`);
        mkdirSync(dirname(full), { recursive: true, mode: 0o700 });
        // flag wx: never through something already there (a symlink included).
        writeFileSync(full, text, { mode: 0o600, flag: 'wx' });
      }
      try {
        renameSync(tmp, target);
      } catch (e) {
        // Two identical uploads at once: the other one won.
        if ((e as NodeJS.ErrnoException).code === 'ENOTEMPTY' || (e as NodeJS.ErrnoException).code === 'EEXIST') throw new DuplicateUploadError(id);
        throw e;
      }
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
    const bytes = Object.values(files).reduce((n, t) => n + utf8(t), 0);
    return { id, lab: { ...lab, id }, files: Object.keys(files).length, bytes };
  }

  remove(id: string): void {
    const f = this.folderOf(id);
    if (f === null) throw new UnknownUploadError(id);
    const target = join(this.root, f);
    if (!existsSync(target)) throw new UnknownUploadError(id);
    // Renamed away first: a lab being started from it meanwhile sees it whole or not at all.
    const gone = join(this.root, `.removing-${randomBytes(8).toString('hex')}`);
    renameSync(target, gone);
    rmSync(gone, { recursive: true, force: true });
  }

  /** Leftovers of uploads cut short (a crash between writing and renaming). */
  sweep(): void {
    try {
      for (const f of readdirSync(this.root)) if (f.startsWith('.incoming-') || f.startsWith('.removing-')) {
        if (lstatSync(join(this.root, f)).isDirectory()) rmSync(join(this.root, f), { recursive: true, force: true });
      }
    } catch {
      /* no folder yet */
    }
  }
}
