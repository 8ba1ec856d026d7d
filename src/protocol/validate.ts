import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import { CrucibleError } from "../core/errors.ts";
import { jsonPath } from "../core/json-path.ts";
import { loadSchemaFiles } from "./schemas.ts";

export interface ProtocolIssue {
  /** JSON path of the offending value, `$` for the document itself (e.g. `$.mix.sources[1].share`). */
  path: string;
  message: string;
}

let validators: Map<string, ValidateFunction> | undefined;
let ajv: Ajv2020 | undefined;

function compiled(): Map<string, ValidateFunction> {
  if (!validators) {
    const instance = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true });
    const files = loadSchemaFiles();
    // all first: a schema refers to another by its $id (`crucible:protocol/stage`)
    for (const file of files) instance.addSchema(file.schema);
    validators = new Map(files.map((file) => [file.name, instance.getSchema(file.schema.$id)!]));
    ajv = instance;
  }
  return validators;
}

/** Names of the protocol documents, e.g. `job-spec`, `reward-request`. */
export function protocolNames(): string[] {
  return [...compiled().keys()];
}

/**
 * Checks a document against a protocol schema and lists every problem with its JSON path.
 * @example checkDocument("reward-response", { protocol_version: 1, results: [] }) // []
 */
export function checkDocument(name: string, document: unknown): ProtocolIssue[] {
  const validate = validatorFor(name);
  if (validate(document)) return [];
  return (validate.errors ?? []).map(toIssue);
}

/**
 * The raw validator errors of a document against one `$defs` entry of a protocol schema (or the
 * whole schema): for callers that map errors onto their own positions, like recipes onto YAML.
 * @example schemaErrors("recipe", doc, "pipeline") // [] when doc is a valid pipeline recipe
 */
export function schemaErrors(name: string, document: unknown, definition?: string): ErrorObject[] {
  const whole = validatorFor(name);
  const validate = definition
    ? ajv!.getSchema(`${(whole.schema as { $id: string }).$id}#/$defs/${definition}`)
    : whole;
  if (!validate) throw new CrucibleError("internal", `protocol/${name} has no $defs/${definition}`);
  return validate(document) ? [] : [...(validate.errors ?? [])];
}

/** The compiled schema of a protocol document; an unknown name is bad input. */
export function validatorFor(name: string): ValidateFunction {
  const validate = compiled().get(name);
  if (!validate) {
    throw new CrucibleError("invalid_argument", "unknown protocol document", {
      field: "schema",
      value: name,
      fix: `Use one of: ${protocolNames().join(", ")}`,
    });
  }
  return validate;
}

/** Like checkDocument, but throws one error naming the first bad field and counting the rest. */
export function assertDocument<T>(name: string, document: unknown): T {
  const issues = checkDocument(name, document);
  const first = issues[0];
  if (first) {
    const more =
      issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? "s" : ""})` : "";
    throw new CrucibleError("invalid_argument", `${first.message}${more}`, {
      field: first.path,
      fix: `Correct the ${name} document so it matches protocol/${name}.schema.json`,
    });
  }
  return document as T;
}

function toIssue(error: ErrorObject): ProtocolIssue {
  const path = jsonPath(error.instancePath);
  let message = error.message ?? "is invalid";
  if (error.keyword === "additionalProperties") {
    message = `has an unknown field ${JSON.stringify((error.params as { additionalProperty: string }).additionalProperty)}`;
  } else if (error.keyword === "enum") {
    message = `must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(", ")}`;
  } else if (error.keyword === "const") {
    message = `must be ${JSON.stringify((error.params as { allowedValue: unknown }).allowedValue)}`;
  }
  return { path, message };
}
