import { createHash, hash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * API keys look like `pf_<16 hex key id>_<43 chars of base64url secret>`. The key id finds the
 * stored row; the secret is kept only as a salted scrypt hash, with its parameters, so that a copy
 * of the database gives nothing to log in with even at a low guessing cost, and the cost can be
 * raised later without invalidating keys.
 */
const KEY_PATTERN = /^pf_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** scrypt's cost: about 16 MiB and tens of milliseconds per hash; stored with each hash. */
export const SCRYPT_PARAMS = { N: 16_384, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const STORED = /^scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;
/** The format before scrypt: a bare SHA-256 in hex. Still accepted, and upgraded on next use. */
const LEGACY_SHA256 = /^[0-9a-f]{64}$/;

export interface ParsedKey {
  keyId: string;
  secret: string;
}

export function parseApiKey(key: string): ParsedKey | null {
  const m = KEY_PATTERN.exec(key);
  return m ? { keyId: m[1]!, secret: m[2]! } : null;
}

export function isWellFormedApiKey(key: string): boolean {
  return KEY_PATTERN.test(key);
}

function derive(secret: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  // 128·N·r bytes of memory; allow twice that so stored parameters up to N=2^17 verify.
  const maxmem = 256 * params.N * params.r + 1024 * 1024;
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, KEY_LENGTH, { ...params, maxmem }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** `scrypt$N=16384,r=8,p=1$<salt>$<hash>` (base64url) for a secret, with a fresh random salt. */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await derive(secret, salt, SCRYPT_PARAMS);
  const { N, r, p } = SCRYPT_PARAMS;
  return `scrypt$N=${N},r=${r},p=${p}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

export interface Verification {
  ok: boolean;
  /** The stored hash is in an older format (or weaker parameters) and should be replaced. */
  upgrade: boolean;
}

/** Checks a secret against its stored hash, in constant time for a given stored hash. */
export async function verifySecret(secret: string, stored: string): Promise<Verification> {
  const m = STORED.exec(stored);
  if (m) {
    const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const expected = Buffer.from(m[5]!, 'base64url');
    const actual = await derive(secret, Buffer.from(m[4]!, 'base64url'), { N, r, p });
    const ok = actual.length === expected.length && timingSafeEqual(actual, expected);
    return { ok, upgrade: ok && (N < SCRYPT_PARAMS.N || r < SCRYPT_PARAMS.r) };
  }
  if (LEGACY_SHA256.test(stored)) {
    const ok = timingSafeEqual(createHash('sha256').update(secret).digest(), Buffer.from(stored, 'hex'));
    return { ok, upgrade: ok };
  }
  return { ok: false, upgrade: false };
}

/**
 * Successful verifications, so that a key used again costs no scrypt. Entries are keyed by the key
 * id, the stored hash (a rehash or a reissue misses) and a SHA-256 of the presented secret (the
 * secret itself is not kept). Revocation, expiry and disabled users are not cached: they are read
 * from the key's row on every request. A Map in insertion order is the whole LRU: a dependency
 * would be larger than these lines.
 */
export class VerifiedKeys {
  private readonly entries = new Map<string, true>();

  constructor(readonly capacity = 10_000) {}

  private static id(keyId: string, storedHash: string, secret: string): string {
    return `${keyId}\n${storedHash}\n${hash('sha256', secret, 'base64url')}`;
  }

  has(keyId: string, storedHash: string, secret: string): boolean {
    const id = VerifiedKeys.id(keyId, storedHash, secret);
    if (!this.entries.has(id)) return false;
    // Most recently used goes last.
    this.entries.delete(id);
    this.entries.set(id, true);
    return true;
  }

  add(keyId: string, storedHash: string, secret: string): void {
    const id = VerifiedKeys.id(keyId, storedHash, secret);
    this.entries.delete(id);
    this.entries.set(id, true);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  get size(): number {
    return this.entries.size;
  }
}

export async function generateApiKey(): Promise<{ key: string; keyId: string; secretHash: string }> {
  const keyId = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { key: `pf_${keyId}_${secret}`, keyId, secretHash: await hashSecret(secret) };
}
