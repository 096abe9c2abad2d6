// Password hashing for end-user accounts: Argon2id (@node-rs/argon2) with the
// OWASP-recommended minimum cost (19 MiB, 2 passes, 1 lane); the PHC string
// carries its own parameters, so raising them later keeps old hashes valid.
import { hash, verify, type Options } from '@node-rs/argon2';

// Algorithm is an ambient const enum (not importable under verbatimModuleSyntax): 2 is Argon2id.
const ARGON2ID = 2 as NonNullable<Options['algorithm']>;
const OPTIONS: Options = { algorithm: ARGON2ID, memoryCost: 19456, timeCost: 2, parallelism: 1 };

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

/** Whether a stored hash is Argon2id (the PHC string names its algorithm). */
export function isArgon2id(stored: string): boolean {
  return stored.startsWith('$argon2id$');
}

/** False for a wrong password and for a malformed stored hash alike. */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}
