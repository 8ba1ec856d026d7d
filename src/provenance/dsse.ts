import { type KeyObject, sign, verify } from "node:crypto";

/** A DSSE envelope (https://github.com/secure-systems-lab/dsse), as JSON. */
export interface DsseEnvelope {
  payloadType: string;
  /** base64 of the payload bytes. */
  payload: string;
  signatures: { keyid: string; sig: string }[];
}

export const IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";

/**
 * DSSE pre-authentication encoding: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths
 * in ASCII decimal bytes. It is what gets signed, so type and body cannot be confused.
 * @example pae("application/vnd.in-toto+json", Buffer.from("{}"))
 */
export function pae(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, "utf8");
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, "utf8"),
    type,
    Buffer.from(` ${payload.length} `, "utf8"),
    payload,
  ]);
}

/**
 * Signs a payload with Ed25519 into a DSSE envelope.
 * @example const envelope = signEnvelope(IN_TOTO_PAYLOAD_TYPE, Buffer.from(json), key.privateKey, key.keyid);
 */
export function signEnvelope(
  payloadType: string,
  payload: Uint8Array,
  privateKey: KeyObject,
  keyid: string,
): DsseEnvelope {
  const sig = sign(null, pae(payloadType, payload), privateKey);
  return {
    payloadType,
    payload: Buffer.from(payload).toString("base64"),
    signatures: [{ keyid, sig: sig.toString("base64") }],
  };
}

/**
 * Verifies that some signature in the envelope is by `keys`: one public key (any keyid), or a
 * keyring by keyid (each signature checked only against the key its keyid names, so old
 * statements verify with retired keys after a rotation). Returns the payload bytes and the keyid
 * that verified, or null when none does.
 * @example const verified = verifyEnvelope(envelope, loadVerificationKeys(keysDir));
 */
export function verifyEnvelope(
  envelope: DsseEnvelope,
  keys: KeyObject | ReadonlyMap<string, KeyObject>,
): { payload: Buffer; keyid: string } | null {
  const payload = Buffer.from(envelope.payload, "base64");
  const message = pae(envelope.payloadType, payload);
  for (const { keyid, sig } of envelope.signatures ?? []) {
    const key = keys instanceof Map ? keys.get(keyid) : (keys as KeyObject);
    if (key && verify(null, message, key, Buffer.from(sig, "base64"))) return { payload, keyid };
  }
  return null;
}
