import type { Brand } from "../core/ids.ts";

export type WorkspaceId = Brand<string, "WorkspaceId">;
export type PrincipalId = Brand<string, "PrincipalId">;
export type TokenId = Brand<string, "TokenId">;

export { INSTALLATION } from "../policy/entities.ts";
