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
 * Verifies that some signature in the envelope is by `publicKey`; returns the payload bytes, or
 * null when none verifies.
 * @example const payload = verifyEnvelope(envelope, publicKey);
 */
export function verifyEnvelope(envelope: DsseEnvelope, publicKey: KeyObject): Buffer | null {
  const payload = Buffer.from(envelope.payload, "base64");
  const message = pae(envelope.payloadType, payload);
  for (const { sig } of envelope.signatures ?? [])
    if (verify(null, message, publicKey, Buffer.from(sig, "base64"))) return payload;
  return null;
}
