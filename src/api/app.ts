import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { type Context, Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { asCrucibleError, CrucibleError, httpStatus } from "../core/errors.ts";
import { jsonPath } from "../core/json-path.ts";
import { openApiDocument } from "./openapi.ts";
import type { Authenticate, Route } from "./route.ts";

export interface AppOptions<Caller> {
  routes: readonly Route<Caller>[];
  authenticate: Authenticate<Caller>;
  version: string;
  /** Called with every error that reached the client as a 500, for the server log. */
  onInternalError?: (err: unknown) => void;
}

/**
 * The HTTP API as a Hono app: tests call `app.request(...)` in-process; `crucible serve` binds it
 * to a port. Bodies are checked against each route's schema (400 naming the JSON path), bearer
 * routes authenticate first (401), and every error is the one JSON shape of CrucibleError.
 */
export function createApp<Caller>(options: AppOptions<Caller>): Hono {
  const app = new Hono();
  const ajv = new Ajv2020({ allErrors: false, strict: false });
  const document = openApiDocument(options.routes as readonly Route<unknown>[], options.version);

  app.get("/openapi.json", (c) => c.json(document));
  app.get("/healthz", (c) => c.json({ ok: true }));

  for (const route of options.routes) {
    const validateBody = route.body ? ajv.compile(route.body) : undefined;
    const honoPath = route.path.replace(/\{([a-z_]+)\}/g, ":$1");
    app.on(route.method.toUpperCase(), honoPath, async (c) => {
      try {
        const caller =
          route.auth === "bearer" ? await options.authenticate(bearerOf(c)) : (undefined as Caller);
        const body = validateBody ? await readBody(c, validateBody) : undefined;
        const result = await route.handler({
          caller,
          params: c.req.param() as Record<string, string>,
          query: c.req.query(),
          body,
          headers: c.req.header(),
        });
        const sse = result.sse;
        if (sse)
          return streamSSE(
            c,
            async (stream) => {
              const gone = new AbortController();
              stream.onAbort(() => gone.abort());
              await sse((message) => stream.writeSSE(message), gone.signal);
            },
            async (err, stream) => {
              // the status line is sent already: say what went wrong as a last event
              const error = asCrucibleError(err);
              if (error.code === "internal") options.onInternalError?.(err);
              await stream.writeSSE({ event: "error", data: JSON.stringify(error.toJSON()) });
            },
          );
        return c.json(result.body as object, (result.status ?? route.status ?? 200) as 200);
      } catch (err) {
        return errorResponse(c, err, options.onInternalError);
      }
    });
  }
  app.notFound((c) =>
    c.json(
      new CrucibleError("not_found", `no route ${c.req.method} ${c.req.path}`, {
        fix: "See /openapi.json for the routes",
      }).toJSON(),
      404,
    ),
  );
  return app;
}

function bearerOf(c: Context): string {
  const header = c.req.header("authorization");
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!match) {
    throw new CrucibleError("unauthenticated", "no bearer token", {
      field: "Authorization",
      fix: "Send `Authorization: Bearer <token>` with a token from `crucible token create`",
    });
  }
  return match[1]!;
}

async function readBody(c: Context, validate: ValidateFunction): Promise<unknown> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new CrucibleError("invalid_argument", "the request body is not JSON", {
      field: "body",
      fix: "Send a JSON document with Content-Type: application/json",
    });
  }
  if (!validate(body)) {
    const error = validate.errors?.[0];
    const path = jsonPath(error?.instancePath ?? "");
    throw new CrucibleError("invalid_argument", error?.message ?? "is invalid", {
      field: path,
      fix: "See the request schema in /openapi.json",
    });
  }
  return body;
}

function errorResponse(c: Context, err: unknown, onInternal?: (err: unknown) => void): Response {
  const error = asCrucibleError(err);
  if (error.code === "internal") onInternal?.(err);
  const body =
    error.code === "internal"
      ? new CrucibleError("internal", "internal error; see the server log").toJSON()
      : error.toJSON();
  return c.json(body, httpStatus(error.code) as 500);
}
