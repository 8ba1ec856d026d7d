import type { Principal } from "../policy/entities.ts";
import type { TokenId } from "./ids.ts";

/** Who a request comes from, ready for `authorize`. */
export interface Authenticated {
  principal: Principal;
  /** The token used, or null for an OIDC-federated request. */
  tokenId: TokenId | null;
  expiresAt: Date;
}
