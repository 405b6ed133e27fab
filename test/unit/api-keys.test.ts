// API key secrets are stored as salted scrypt hashes with their parameters; the SHA-256 hashes of
// before are still accepted (and flagged for upgrade); successful checks are remembered in a
// bounded LRU keyed by key id, stored hash and a digest of the secret.
import { createHash, randomBytes, scryptSync } from 'node:crypto';
import { SCRYPT_PARAMS, VerifiedKeys, generateApiKey, hashSecret, parseApiKey, verifySecret } from '../../api/auth/api-keys';

it('stores a secret as scrypt with its parameters and a fresh salt, and verifies it', async () => {
  const { key, secretHash } = await generateApiKey();
  const { secret } = parseApiKey(key)!;
  expect(secretHash).toMatch(new RegExp(`^scrypt\\$N=${SCRYPT_PARAMS.N},r=${SCRYPT_PARAMS.r},p=${SCRYPT_PARAMS.p}\\$[A-Za-z0-9_-]{22}\\$[A-Za-z0-9_-]{43}$`));
  expect(secretHash).not.toContain(secret);
  const again = await hashSecret(secret);
  expect(again).not.toBe(secretHash); // another salt
  expect(await verifySecret(secret, secretHash)).toEqual({ ok: true, upgrade: false });
  expect(await verifySecret(secret, again)).toEqual({ ok: true, upgrade: false });
  const wrong = `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
  expect(await verifySecret(wrong, secretHash)).toEqual({ ok: false, upgrade: false });
});

it('accepts a legacy SHA-256 hash and asks for its upgrade; weaker scrypt parameters too', async () => {
  const secret = 'x'.repeat(43);
  const legacy = createHash('sha256').update(secret).digest('hex');
  expect(await verifySecret(secret, legacy)).toEqual({ ok: true, upgrade: true });
  expect(await verifySecret('y'.repeat(43), legacy)).toEqual({ ok: false, upgrade: false });
  // A hash with other parameters is another hash: relabelling one does not verify; a real N=1024 one does.
  const relabelled = (await hashSecret(secret)).replace(/^scrypt\$N=\d+,/, 'scrypt$N=1024,');
  const salt = randomBytes(16);
  const weakHash = `scrypt$N=1024,r=8,p=1$${salt.toString('base64url')}$${scryptSync(secret, salt, 32, { N: 1024, r: 8, p: 1 }).toString('base64url')}`;
  expect(await verifySecret(secret, relabelled)).toEqual({ ok: false, upgrade: false });
  expect(await verifySecret(secret, weakHash)).toEqual({ ok: true, upgrade: true });
});

it('refuses anything that is not a stored hash it knows', async () => {
  for (const stored of ['', 'plain', 'scrypt$N=16384,r=8,p=1$$', 'A'.repeat(64), 'bcrypt$2b$10$abc']) {
    expect(await verifySecret('x'.repeat(43), stored)).toEqual({ ok: false, upgrade: false });
  }
});

it('remembers verified keys in a bounded LRU that misses on another stored hash or secret', () => {
  const cache = new VerifiedKeys(2);
  cache.add('k1', 'h1', 's1');
  cache.add('k2', 'h2', 's2');
  expect(cache.has('k1', 'h1', 's1')).toBe(true); // k1 now most recent
  cache.add('k3', 'h3', 's3'); // evicts k2
  expect(cache.size).toBe(2);
  expect(cache.has('k2', 'h2', 's2')).toBe(false);
  expect(cache.has('k1', 'h1', 's1')).toBe(true);
  expect(cache.has('k1', 'h1-rehashed', 's1')).toBe(false);
  expect(cache.has('k1', 'h1', 'another secret')).toBe(false);
});
