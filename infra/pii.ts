import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from './config';

/**
 * The key of the keyed hash kept of personal identity numbers: PII_HASH_KEY when configured
 * (required in production), otherwise one generated on first start and kept in DATA_DIR (like the
 * administrator's first key) so that hashes stay comparable across restarts.
 */
export function piiHashKey(config: Pick<Config, 'PII_HASH_KEY' | 'DATA_DIR'>): string {
  if (config.PII_HASH_KEY) return config.PII_HASH_KEY;
  const dir = path.resolve(config.DATA_DIR);
  const file = path.join(dir, 'pii-hash-key');
  fs.mkdirSync(dir, { recursive: true });
  try {
    // 'wx': of two processes starting at once, one writes and both read the same key.
    fs.writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const key = fs.readFileSync(file, 'utf8').trim();
  if (key.length < 32) throw new Error(`${file} does not hold a usable key; remove it or set PII_HASH_KEY`);
  return key;
}

/**
 * A keyed hash of an identity number: equal numbers give equal hashes (so duplicates can be
 * found), but an 18-digit number with a birth date and a check digit, easily enumerated against a
 * plain SHA-256, cannot be recovered without the server's key.
 */
export function keyedHash(key: string, value: string): string {
  return createHmac('sha256', key).update(value).digest('hex');
}
