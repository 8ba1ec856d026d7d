import { Ajv2020 } from "ajv/dist/2020.js";
import type { Hono } from "hono";
import { expect } from "vitest";

export type OpenApiDoc = {
  paths: Record<
    string,
    Record<
      string,
      {
        operationId: string;
        security: unknown[];
        responses: Record<string, { content?: Record<string, { schema: object }> }>;
      }
    >
  >;
  components: { schemas: { Error: object } };
};

/**
 * Checks a response against the schema /openapi.json gives for that route, status and content type.
 * @example await conforms(api, "get", "/v1/me", { status: 200, body });
 */
export async function conforms(
  api: Hono,
  method: string,
  template: string,
  response: { status: number; body: unknown },
  contentType = "application/json",
): Promise<void> {
  const doc = (await (await api.request("/openapi.json")).json()) as OpenApiDoc;
  const op = doc.paths[template]?.[method];
  expect(op, `${method} ${template} is in /openapi.json`).toBeDefined();
  const content = op!.responses[String(response.status)]?.content?.[contentType];
  expect(
    content,
    `${method} ${template} documents status ${response.status} as ${contentType}`,
  ).toBeDefined();
  const schema = JSON.parse(
    JSON.stringify(content!.schema).replace('"#/components/schemas/Error"', '"#/$defs/Error"'),
  );
  const validate = new Ajv2020({ strict: false }).compile({
    ...schema,
    $defs: { Error: doc.components.schemas.Error },
  });
  expect(validate(response.body), JSON.stringify(validate.errors)).toBe(true);
}
