import { createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { invalid } from "../core/errors.ts";
import { keyIdOf, PRIVATE_KEY_FILE, PUBLIC_KEY_FILE, type SigningKey } from "./signing-key.ts";

/** Every public key the installation ever signed with, as `<keyid>.pub.pem`, under the keys dir. */
export const PUBLIC_KEYS_DIR = "public";

/**
 * A fresh Ed25519 key pair, not yet installed (so its keyid can be audited before it is).
 * @example const next = generateSigningKey(); console.log(next.keyid);
 */
export function generateSigningKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return { privateKey, publicKey, keyid: keyIdOf(publicKey) };
}

function archivePublicKey(dir: string, publicKey: KeyObject): void {
  const archive = join(dir, PUBLIC_KEYS_DIR);
  mkdirSync(archive, { recursive: true, mode: 0o755 });
  const path = join(archive, `${keyIdOf(publicKey)}.pub.pem`);
  if (!existsSync(path))
    writeFileSync(path, publicKey.export({ type: "spki", format: "pem" }), { mode: 0o644 });
}

/** Writes `data` beside `path` and renames it over `path`: readers see the old file or the new one. */
function replaceFile(path: string, data: string, mode: number): void {
  const temp = `${path}.next-${process.pid}`;
  writeFileSync(temp, data, { mode, flag: "w" });
  chmodSync(temp, mode);
  renameSync(temp, path);
}

/**
 * Makes `next` the installation's signing key. The current public key (if any) is kept under
 * `public/` so that statements signed before stay verifiable; the current private key is
 * overwritten, never kept: a retired key cannot sign again. The new private key is 0600.
 * @example installSigningKey(keysDir, generateSigningKey());
 */
export function installSigningKey(dir: string, next: SigningKey): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const currentPublic = join(dir, PUBLIC_KEY_FILE);
  if (existsSync(currentPublic)) archivePublicKey(dir, createPublicKey(readFileSync(currentPublic)));
  archivePublicKey(dir, next.publicKey);
  replaceFile(
    join(dir, PRIVATE_KEY_FILE),
    next.privateKey.export({ type: "pkcs8", format: "pem" }) as string,
    0o600,
  );
  replaceFile(currentPublic, next.publicKey.export({ type: "spki", format: "pem" }) as string, 0o644);
}

/**
 * Every public key a verifier should accept, by keyid: the current one and all retired ones.
 * The keyid is computed from each key, never taken from a file name.
 * @example const keys = loadVerificationKeys(join(home, "keys")); keys.get(envelope.signatures[0].keyid)
 */
export function loadVerificationKeys(dir: string): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  const add = (path: string) => {
    let key: KeyObject;
    try {
      key = createPublicKey(readFileSync(path));
    } catch (err) {
      throw invalid(
        "public key",
        `is not a readable public key: ${(err as Error).message}`,
        path,
        "Remove or replace the file",
      );
    }
    keys.set(keyIdOf(key), key);
  };
  const archive = join(dir, PUBLIC_KEYS_DIR);
  if (existsSync(archive))
    for (const name of readdirSync(archive).sort()) if (name.endsWith(".pub.pem")) add(join(archive, name));
  if (existsSync(join(dir, PUBLIC_KEY_FILE))) add(join(dir, PUBLIC_KEY_FILE));
  return keys;
}
