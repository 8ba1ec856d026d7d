import { CrucibleError } from "../core/errors.ts";
import { isRole, ROLES, type Role } from "../policy/actions.ts";

/**
 * A `--role` value as a Role, or a bad-input error naming the roles there are.
 * @example const roles = options.role.map(checkRole);
 */
export function checkRole(role: string): Role {
  if (!isRole(role))
    throw new CrucibleError("invalid_argument", "unknown role", {
      field: "--role",
      value: role,
      fix: `Use one of ${ROLES.join(", ")}`,
    });
  return role;
}

/**
 * Commander's collector for a repeatable, comma-separable option (`--role a --role b,c`).
 * @example .option("--role <role>", "role (repeatable)", collectList, [])
 */
export function collectList(value: string, previous: string[]): string[] {
  return [...previous, ...value.split(",").filter(Boolean)];
}
