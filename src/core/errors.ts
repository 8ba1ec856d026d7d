/**
 * The closed catalogue of error codes. Every failure a user can see carries one of these; the
 * HTTP status and the CLI exit code follow from the code alone (see `httpStatus` / `exitCode`).
 */
export type ErrorCode =
  | "invalid_argument"
  | "not_found"
  | "already_exists"
  | "unauthenticated"
  | "permission_denied"
  | "failed_precondition"
  | "unavailable"
  | "internal";

export interface ErrorDetails {
  /** The input field at fault, as the user wrote it: a flag, a JSON path, a YAML path, a column. */
  field?: string;
  /** The offending value, rendered for humans (never a secret). */
  value?: unknown;
  /** What to do about it. */
  fix?: string;
  /** For denials: the policy ids that determined the decision. */
  rule?: string;
  /** Several problems reported at once (a recipe): each with its path, position and fix. */
  issues?: readonly { path: string; line?: number; column?: number; message: string; fix: string }[];
}

/** The one error base of Crucible. It knows its HTTP status and its CLI exit code. */
export class CrucibleError extends Error {
  readonly code: ErrorCode;
  /** What is wrong, without the field, value and fix (those are in `details`). */
  readonly problem: string;
  readonly details: ErrorDetails;

  /** The message names the field, the value, the rule and the fix wherever the error is printed. */
  constructor(code: ErrorCode, problem: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(compose(problem, details), options);
    this.name = "CrucibleError";
    this.code = code;
    this.problem = problem;
    this.details = details;
  }

  /** Message with field, value and fix, as printed by the CLI and returned by the API. */
  describe(): string {
    return this.message;
  }

  toJSON(): { error: { code: ErrorCode; message: string } & ErrorDetails } {
    return { error: { code: this.code, message: this.describe(), ...this.details } };
  }
}

export function httpStatus(code: ErrorCode): number {
  switch (code) {
    case "invalid_argument":
      return 400;
    case "unauthenticated":
      return 401;
    case "permission_denied":
      return 403;
    case "not_found":
      return 404;
    case "already_exists":
    case "failed_precondition":
      return 409;
    case "unavailable":
      return 503;
    case "internal":
      return 500;
  }
}

/** CLI exit codes: 2 bad input, 3 policy denial, 1 anything else. */
export function exitCode(code: ErrorCode): 1 | 2 | 3 {
  switch (code) {
    case "invalid_argument":
    case "not_found":
    case "already_exists":
      return 2;
    case "unauthenticated":
    case "permission_denied":
      return 3;
    case "failed_precondition":
    case "unavailable":
    case "internal":
      return 1;
  }
}

/** Shorthand for the most common error: bad input in a named field. */
export function invalid(field: string, problem: string, value: unknown, fix: string): CrucibleError {
  return new CrucibleError("invalid_argument", problem, { field, value, fix });
}

/** Wraps anything thrown into a CrucibleError, keeping CrucibleErrors as they are. */
export function asCrucibleError(err: unknown): CrucibleError {
  if (err instanceof CrucibleError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new CrucibleError("internal", message, {}, { cause: err });
}

function compose(problem: string, { field, value, fix, rule }: ErrorDetails): string {
  let text = field ? `${field}: ${problem}` : problem;
  if (value !== undefined) text += ` (got ${renderValue(value)})`;
  if (rule) text += ` [rule: ${rule}]`;
  if (fix) text += `. ${fix}`;
  return text;
}

function renderValue(value: unknown): string {
  const text = typeof value === "string" ? JSON.stringify(value) : safeJson(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
