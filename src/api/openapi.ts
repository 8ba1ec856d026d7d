import type { JsonSchema, Route } from "./route.ts";

const ERROR_SCHEMA: JsonSchema = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      properties: {
        code: {
          type: "string",
          enum: [
            "invalid_argument",
            "not_found",
            "already_exists",
            "unauthenticated",
            "permission_denied",
            "failed_precondition",
            "unavailable",
            "internal",
          ],
        },
        message: { type: "string" },
        field: { type: "string" },
        value: {},
        fix: { type: "string" },
        rule: { type: "string" },
        issues: {
          type: "array",
          items: {
            type: "object",
            required: ["path", "message", "fix"],
            properties: {
              path: { type: "string" },
              line: { type: "integer" },
              column: { type: "integer" },
              message: { type: "string" },
              fix: { type: "string" },
            },
          },
        },
      },
    },
  },
};

/**
 * The OpenAPI 3.1 document of a route table. It is built from the same schemas the server
 * validates requests with, so the document cannot drift from the behaviour.
 */
export function openApiDocument(routes: readonly Route<unknown>[], version: string): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const parameters = [...route.path.matchAll(/\{([a-z_]+)\}/g)].map((m) => ({
      name: m[1],
      in: "path",
      required: true,
      schema: { type: "string" },
    }));
    const responses: Record<string, unknown> = {
      [String(route.status ?? 200)]: route.stream
        ? {
            description: "a Server-Sent Events stream; each event's data is a JSON document of this schema",
            content: { "text/event-stream": { schema: route.response } },
          }
        : { description: "success", content: json(route.response) },
      "400": {
        description: "bad input: the message names the field, the value and the fix",
        content: errorContent(),
      },
      "403": { description: "denied by policy: the message names the rule", content: errorContent() },
      "404": { description: "not found", content: errorContent() },
      "409": { description: "conflicts with the current state", content: errorContent() },
    };
    if (route.auth === "bearer") {
      responses["401"] = {
        description: "missing, unknown, expired or revoked token",
        content: errorContent(),
      };
    }
    paths[route.path] ??= {};
    paths[route.path]![route.method] = {
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.tag],
      ...(parameters.length ? { parameters } : {}),
      ...(route.body ? { requestBody: { required: true, content: json(route.body) } } : {}),
      ...(route.auth === "bearer" ? { security: [{ bearer: [] }] } : { security: [] }),
      responses,
    };
  }
  return {
    openapi: "3.1.0",
    info: { title: "Crucible API", version },
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "crt_… token or OIDC JWT" } },
      schemas: { Error: ERROR_SCHEMA },
    },
    paths,
  };
}

function json(schema: JsonSchema): Record<string, unknown> {
  return { "application/json": { schema } };
}

function errorContent(): Record<string, unknown> {
  return json({ $ref: "#/components/schemas/Error" });
}
