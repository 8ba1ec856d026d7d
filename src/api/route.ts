import type { CrucibleError } from "../core/errors.ts";

/** A JSON Schema (draft 2020-12) as a plain object; the same object goes into the OpenAPI document. */
export type JsonSchema = Record<string, unknown>;

export type HttpMethod = "get" | "post" | "put" | "patch" | "delete";

/** What a route handler receives: the caller (when the route needs one) and the parsed request. */
export interface RouteRequest<Caller> {
  caller: Caller;
  /** Path parameters by name, e.g. `{ workspace: "acme" }` for `/v1/workspaces/{workspace}`. */
  params: Record<string, string>;
  query: Record<string, string>;
  /** The JSON body, already checked against the route's `body` schema. */
  body: unknown;
  /** Request headers, lower-case names (e.g. `last-event-id` for a resumed event stream). */
  headers: Record<string, string>;
}

/** One Server-Sent Event. */
export interface SseMessage {
  id?: string;
  event?: string;
  data: string;
}

export interface RouteResponse {
  status?: number;
  body?: unknown;
  /**
   * A Server-Sent Events stream instead of a JSON body (routes with `stream: true`): called once
   * the checks before it passed; `signal` aborts when the client goes away.
   */
  sse?: (send: (message: SseMessage) => Promise<void>, signal: AbortSignal) => Promise<void>;
}

/**
 * One HTTP route: its OpenAPI description and its handler. Handlers only parse, call a service
 * and render; authorisation happens in the services (every governed mutation checks policy and
 * audits in one transaction), and `auth: "bearer"` routes never run without an authenticated caller.
 */
export interface Route<Caller> {
  method: HttpMethod;
  /** OpenAPI path template, e.g. `/v1/workspaces/{workspace}/principals`. */
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  auth: "public" | "bearer";
  body?: JsonSchema;
  /** Schema of the success response body (of each event's data, for a stream). */
  response: JsonSchema;
  /** The success response is a `text/event-stream` (see RouteResponse.sse). */
  stream?: boolean;
  /** Status of a success; 200 unless said. */
  status?: number;
  handler: (request: RouteRequest<Caller>) => Promise<RouteResponse>;
}

/** Turns a bearer token into a caller, or throws an `unauthenticated` CrucibleError saying why. */
export type Authenticate<Caller> = (bearer: string) => Promise<Caller>;

export type ErrorMapper = (err: unknown) => CrucibleError;
