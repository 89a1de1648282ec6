// What a "Try" got back: the status, the headers and the body (pretty JSON
// when it is JSON).
import { Fragment } from "preact";
import type { RawResponse } from "../../api";

const STATUS_TEXT: Record<number, string> = {
  200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
  404: "Not Found", 405: "Method Not Allowed", 409: "Conflict", 413: "Payload Too Large", 429: "Too Many Requests",
  500: "Internal Server Error", 503: "Service Unavailable",
};

export function prettyBody(response: RawResponse): string {
  if (!response.text) return "(empty body)";
  const type = response.headers.find(([name]) => name.toLowerCase() === "content-type")?.[1] ?? "";
  if (type.includes("json") || /^[[{]/.test(response.text.trim())) {
    try {
      return JSON.stringify(JSON.parse(response.text), null, 2);
    } catch {
      // not JSON after all
    }
  }
  return response.text;
}

// A body that carries a secret (a token, a key, a Client Secret, an
// invitation): marked data-secret so that screenshots paint it over.
export function carriesSecret(text: string): boolean {
  return /"(access_token|api_key|client_secret|token|invitation_token|password)"\s*:/.test(text) || /\blk_[a-z]+_/.test(text);
}

export function ResponseView({ response, sentTo, ms }: { response: RawResponse; sentTo: string; ms: number }) {
  const ok = response.status >= 200 && response.status < 300;
  return (
    <div class="response">
      <h4>Response</h4>
      <p>
        <span class={ok ? "response-status status-active" : "response-status status-inactive"}>
          {response.status} {STATUS_TEXT[response.status] ?? ""}
        </span>{" "}
        <span class="muted">
          for <code>{sentTo}</code> in {ms} ms
        </span>
      </p>
      <details class="headers-list">
        <summary>Headers ({response.headers.length})</summary>
        <dl class="kv">
          {response.headers.map(([name, value]) => (
            <Fragment key={name}>
              <dt>{name}</dt>
              <dd>{value}</dd>
            </Fragment>
          ))}
        </dl>
      </details>
      <pre
        class="response-body"
        tabIndex={0}
        role="region"
        aria-label="Response body"
        data-secret={carriesSecret(response.text) ? "" : undefined}
      >
        {prettyBody(response)}
      </pre>
    </div>
  );
}
