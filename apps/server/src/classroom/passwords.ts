// Passwords: scrypt (memory-hard, in Node's crypto: no native add-on of our own), its parameters
// stored with each hash so they can be raised later without locking anyone out.
// Format: scrypt$<log2 N>$<r>$<p>$<salt base64url>$<hash base64url>
import { randomBytes, randomInt, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface KdfParams {
  log2N: number;
  r: number;
  p: number;
}

/** N = 2^15, r = 8: 32 MiB and ~50-100 ms per hash on one core of this class of machine. */
export const DEFAULT_KDF: KdfParams = { log2N: 15, r: 8, p: 1 };

const KEY_BYTES = 32;
const SALT_BYTES = 16;

function scrypt(password: string, salt: Buffer, k: KdfParams): Promise<Buffer> {
  const opts: ScryptOptions = { N: 2 ** k.log2N, r: k.r, p: k.p, maxmem: 256 * 1024 * 1024 };
  return new Promise((resolve, reject) => scryptCb(password.normalize('NFC'), salt, KEY_BYTES, opts, (e, key) => (e ? reject(e) : resolve(key))));
}

/**
 * At most this many hashes at once: each holds 32 MiB, and a burst of logins must not take the
 * server's memory (or every libuv thread, which file reads share) with it.
 */
const MAX_CONCURRENT = 2;
let running = 0;
const waiting: (() => void)[] = [];

async function limited<T>(f: () => Promise<T>): Promise<T> {
  if (running >= MAX_CONCURRENT) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await f();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

export async function hashPassword(password: string, k: KdfParams = DEFAULT_KDF): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await limited(() => scrypt(password, salt, k));
  return ['scrypt', k.log2N, k.r, k.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

function parse(stored: string): { k: KdfParams; salt: Buffer; key: Buffer } | null {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [log2N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  // Bounds: a tampered row must not make a login allocate gigabytes.
  if (!(log2N >= 10 && log2N <= 20 && r >= 1 && r <= 32 && p >= 1 && p <= 16)) return null;
  return { k: { log2N, r, p }, salt: Buffer.from(parts[4]!, 'base64url'), key: Buffer.from(parts[5]!, 'base64url') };
}

/** A hash of a random password: what a login for an unknown name is checked against, so both take the same time. */
let decoy: Promise<string> | null = null;

export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  const target = (stored && parse(stored)) || parse(await (decoy ??= hashPassword(randomBytes(16).toString('hex'))))!;
  const key = await limited(() => scrypt(password, target.salt, target.k));
  const ok = key.length === target.key.length && timingSafeEqual(key, target.key);
  return ok && stored !== null && parse(stored) !== null;
}

/** Whether a stored hash uses weaker parameters than today's (rehash it at the next login). */
export function needsRehash(stored: string, k: KdfParams = DEFAULT_KDF): boolean {
  const p = parse(stored);
  return !p || p.k.log2N < k.log2N || p.k.r < k.r;
}

// No 0/O, 1/l/I: a generated password is read off a printed list.
const ALPHABET = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A password for someone else to hand on (14 characters of 55: ~80 bits). */
export function generatePassword(length = 14): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;

/** Why a password cannot be used, or null. */
export function passwordProblem(password: string): string | null {
  if ([...password].length < PASSWORD_MIN) return `must be at least ${PASSWORD_MIN} characters long`;
  if ([...password].length > PASSWORD_MAX) return `must be at most ${PASSWORD_MAX} characters long`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(password)) return 'must not contain control characters (tabs, newlines, NUL)';
  return null;
}
