// The console's only way to the server: same-origin fetch with the session
// cookie, the CSRF token on every state-changing call, and JSON errors turned
// into ApiError (docs/console.md lists the endpoints).

export interface SessionUser {
  id: string;
  name: string;
  type: "human" | "service";
  modules: string[];
  api_access: boolean;
  // Present once the person has API credentials (seed 000's "Client").
  client_id?: string | null;
}

export interface ConsoleSession {
  user: SessionUser;
  csrf_token: string;
  session_id: string;
  expires_at: string;
  idle_expires_at: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly reason: string,
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

let csrfToken = "";
export function setCsrfToken(token: string): void {
  csrfToken = token;
}

// Called when any call answers 401 for the console's own session (expired,
// revoked, signed out elsewhere): the app goes back to the sign-in page.
let onSessionLost: () => void = () => {};
export function setSessionLostHandler(handler: () => void): void {
  onSessionLost = handler;
}

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  // Send this bearer token instead of the session cookie (API explorer).
  bearer?: string;
  // Send neither the cookie nor a token (the explorer's public operations).
  anonymous?: boolean;
  raw?: boolean;
}

export interface RawResponse {
  status: number;
  headers: [string, string][];
  text: string;
}

async function send(method: string, path: string, options: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { Accept: "application/json", ...options.headers };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const cookie = !options.bearer && !options.anonymous;
  if (options.bearer) headers["Authorization"] = `Bearer ${options.bearer}`;
  else if (cookie && method !== "GET" && method !== "HEAD") headers["X-CSRF-Token"] = csrfToken;
  return fetch(path, {
    method,
    headers,
    credentials: cookie ? "same-origin" : "omit",
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
}

async function toError(response: Response): Promise<ApiError> {
  let error = "error";
  let reason = "";
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = await response.json();
    error = body.error ?? error;
    reason = body.reason ?? "";
    message = body.error_description ?? body.message ?? message;
  } catch {
    // not JSON: keep the status line
  }
  const retry = Number(response.headers.get("Retry-After"));
  return new ApiError(response.status, error, reason, message, Number.isFinite(retry) ? retry : undefined);
}

// A 401 on a session call means the session is gone, except where the 401
// is about something else: a failed sign-in or invitation, or the person's
// API access being off (the console's token endpoints).
function losesSession(path: string, error: ApiError): boolean {
  if (path.startsWith("/api/v1/console/sign-in") || path.startsWith("/api/v1/console/invitations/")) return false;
  return error.reason !== "api_access_disabled" && error.error !== "invalid_client";
}

export async function api<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const response = await send(method, path, options);
  if (!response.ok) {
    const error = await toError(response);
    if (response.status === 401 && !options.bearer && !options.anonymous && losesSession(path, error)) onSessionLost();
    throw error;
  }
  if (response.status === 204) return undefined as T;
  const type = response.headers.get("Content-Type") ?? "";
  return (type.includes("json") ? await response.json() : await response.text()) as T;
}

// Any call, any answer: the API explorer shows what came back.
export async function rawRequest(method: string, path: string, options: RequestOptions = {}): Promise<RawResponse> {
  const response = await send(method, path, options);
  const headers: [string, string][] = [];
  response.headers.forEach((value, name) => headers.push([name, value]));
  return { status: response.status, headers, text: await response.text() };
}
