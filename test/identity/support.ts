import { loadPrincipal } from "../../src/identity/principals.ts";
import type { Principal } from "../../src/policy/entities.ts";
import type { Db } from "../../src/store/db.ts";

/** The principal as authorize sees it (roles loaded fresh). */
export async function as(db: Db, id: string): Promise<Principal> {
  const p = await loadPrincipal(db, id);
  if (!p) throw new Error(`no principal ${id}`);
  const { disabled: _, ...principal } = p;
  return principal as Principal;
}

/** The error a promise rejects with (fails the test if it resolves). */
export async function rejection(
  promise: Promise<unknown>,
): Promise<Error & { code?: string; details?: { rule?: string } }> {
  const outcome = await promise.then(
    () => ({ ok: true as const }),
    (err: unknown) => ({ ok: false as const, err }),
  );
  if (outcome.ok) throw new Error("expected a rejection, but the promise resolved");
  return outcome.err as Error & { code?: string; details?: { rule?: string } };
}
