import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CrucibleError } from "../core/errors.ts";

/** The installation's Ed25519 signing key for provenance. Only the control plane reads it. */
export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** SHA-256 of the SubjectPublicKeyInfo DER, hex: names the key in DSSE signatures. */
  keyid: string;
}

export const PRIVATE_KEY_FILE = "provenance-ed25519.key.pem";
export const PUBLIC_KEY_FILE = "provenance-ed25519.pub.pem";

/**
 * keyid of a public key: hex SHA-256 of its SPKI DER encoding.
 * @example keyIdOf(key.publicKey) // "3c1f...64 hex"
 */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash("sha256")
    .update(publicKey.export({ type: "spki", format: "der" }))
    .digest("hex");
}

/**
 * Loads the installation key from `dir`, creating it on first use: the private key file is
 * written with mode 0600 (exclusively, so two processes racing create one key), the public key
 * beside it for verifiers. A private key file readable by group or others is refused.
 * @example const key = loadOrCreateSigningKey(join(crucibleHome(), "keys"));
 */
export function loadOrCreateSigningKey(dir: string): SigningKey {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, PRIVATE_KEY_FILE);
  try {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    writeFileSync(path, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600, flag: "wx" });
    chmodSync(path, 0o600); // the umask cannot widen it, but be explicit
    writeFileSync(join(dir, PUBLIC_KEY_FILE), publicKey.export({ type: "spki", format: "pem" }), {
      mode: 0o644,
    });
    return { privateKey, publicKey, keyid: keyIdOf(publicKey) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0)
    throw new CrucibleError(
      "failed_precondition",
      `the provenance signing key ${path} is readable by others (mode ${mode.toString(8)})`,
      {
        field: "signing key",
        value: path,
        fix: `chmod 600 ${path}, and consider rotating the key`,
      },
    );
  const privateKey = createPrivateKey(readFileSync(path));
  if (privateKey.asymmetricKeyType !== "ed25519")
    throw new CrucibleError("failed_precondition", `${path} is not an Ed25519 key`, {
      fix: "Move it away; a new key is created on next use",
    });
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, keyid: keyIdOf(publicKey) };
}
