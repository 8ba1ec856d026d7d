import type { Brand } from "../core/ids.ts";

export type WorkspaceId = Brand<string, "WorkspaceId">;
export type PrincipalId = Brand<string, "PrincipalId">;
export type TokenId = Brand<string, "TokenId">;

/** The workspace named on credentials of users, who belong to no single workspace. */
export const INSTALLATION = "_installation";
