import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API keys look like `pf_<16 hex key id>_<43 chars of base64url secret>`. The key id finds the
 * stored row; only a SHA-256 of the secret is kept. A fast hash is enough here because the secret
 * is 256 random bits: slow hashes exist to protect low-entropy passwords from guessing.
 */
const KEY_PATTERN = /^pf_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

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

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

export function generateApiKey(): { key: string; keyId: string; secretHash: string } {
  const keyId = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { key: `pf_${keyId}_${secret}`, keyId, secretHash: hashSecret(secret) };
}
