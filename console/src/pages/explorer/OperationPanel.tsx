// One operation of the API explorer: a disclosure button (method, path,
// summary), and when expanded its parameters, body and "Try".
import { useState } from "preact/hooks";
import { ApiError, rawRequest, type RawResponse } from "../../api";
import { Button, Notice, Table, TextAreaField, TextField } from "../../components";
import { buildPath, canTry, CREDENTIAL_NOTES, type Operation, type Parameter } from "./openapi";
import { getExplorerToken } from "./explorerToken";
import { ResponseView } from "./ResponseView";

// Reasons for which a refused explorer token is replaced and the request sent once more.
const RETRY_REASONS = new Set(["expired", "revoked", "superseded", "unknown"]);

function defaultValue(op: Operation, parameter: Parameter): string {
  if (parameter.example !== undefined) return String(parameter.example);
  if (parameter.schema?.default !== undefined) return String(parameter.schema.default);
  // "me" works wherever a user id is asked for (docs/api.md).
  if (parameter.in === "path" && parameter.name === "id" && op.path.startsWith("/api/v1/users/{id}")) return "me";
  return "";
}

function parseReason(response: RawResponse): string {
  try {
    return (JSON.parse(response.text) as { reason?: string }).reason ?? "";
  } catch {
    return "";
  }
}

export interface OperationPanelProps {
  operation: Operation;
  expanded: boolean;
  onToggle: () => void;
}

export function OperationPanel({ operation: op, expanded, onToggle }: OperationPanelProps) {
  const domId = `op-${op.id.replace(/[^A-Za-z0-9_-]/g, "-")}`;
  return (
    <div class="op">
      <h3 class="op-heading">
        <button type="button" class="op-summary" aria-expanded={expanded ? "true" : "false"} aria-controls={`${domId}-body`} onClick={onToggle}>
          <span class={`method method-${op.method.toLowerCase()}`}>{op.method}</span>
          <span class="op-path">{op.path}</span>
          <span class="op-title">{op.summary}</span>
        </button>
      </h3>
      {expanded ? (
        <div id={`${domId}-body`} class="op-body">
          <OperationDetails op={op} domId={domId} />
        </div>
      ) : null}
    </div>
  );
}

function OperationDetails({ op, domId }: { op: Operation; domId: string }) {
  const [values, setValues] = useState<Record<string, string>>(() =>
    Object.fromEntries(op.parameters.map((p) => [`${p.in}:${p.name}`, defaultValue(op, p)])),
  );
  const [body, setBody] = useState(op.bodyExample);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [response, setResponse] = useState<{ result: RawResponse; sentTo: string; ms: number } | null>(null);
  const [failure, setFailure] = useState("");
  const [busy, setBusy] = useState(false);
  const tryable = canTry(op.credential);
  const sendsBody = op.bodyType === "application/json" && op.method !== "GET" && op.method !== "HEAD";

  async function send(event: Event) {
    event.preventDefault();
    const found: Record<string, string> = {};
    for (const parameter of op.parameters) {
      if (parameter.required && !values[`${parameter.in}:${parameter.name}`]?.trim()) found[`${parameter.in}:${parameter.name}`] = `Enter ${parameter.name}.`;
    }
    let parsedBody: unknown = undefined;
    if (sendsBody && body.trim()) {
      try {
        parsedBody = JSON.parse(body);
      } catch (error) {
        found.body = `The body is not valid JSON: ${(error as Error).message}`;
      }
    } else if (sendsBody && op.bodyRequired) {
      found.body = "This operation needs a JSON body.";
    }
    setProblems(found);
    if (Object.keys(found).length > 0) return;

    const path = buildPath(op, values);
    const headers: Record<string, string> = {};
    for (const parameter of op.parameters) {
      const value = values[`header:${parameter.name}`];
      if (parameter.in === "header" && value) headers[parameter.name] = value;
    }
    setBusy(true);
    setFailure("");
    setResponse(null);
    const started = performance.now();
    try {
      let result: RawResponse;
      if (op.credential === "explorer-token") {
        let token = await getExplorerToken();
        result = await rawRequest(op.method, path, { bearer: token, body: parsedBody, headers });
        if (result.status === 401 && RETRY_REASONS.has(parseReason(result))) {
          token = await getExplorerToken({ force: true });
          result = await rawRequest(op.method, path, { bearer: token, body: parsedBody, headers });
        }
      } else if (op.credential === "console-session") {
        result = await rawRequest(op.method, path, { body: parsedBody, headers });
      } else {
        result = await rawRequest(op.method, path, { anonymous: true, body: parsedBody, headers });
      }
      setResponse({ result, sentTo: `${op.method} ${path}`, ms: Math.round(performance.now() - started) });
    } catch (error) {
      if (error instanceof ApiError && error.reason === "api_access_disabled")
        setFailure("“Try” needs API access, which is not enabled for your account. Contact your administrator.");
      else if (error instanceof ApiError) setFailure(`Could not obtain a token for the explorer: ${error.message}`);
      else setFailure("The request could not be sent: the server could not be reached.");
      setResponse(null);
    } finally {
      setBusy(false);
    }
  }

  const field = (parameter: Parameter) => {
    const key = `${parameter.in}:${parameter.name}`;
    return (
      <TextField
        key={key}
        label={`${parameter.name}${parameter.required ? " (required)" : ""}`}
        value={values[key] ?? ""}
        onValue={(value) => setValues({ ...values, [key]: value })}
        hint={[`${parameter.in} parameter`, parameter.description].filter(Boolean).join(": ")}
        error={problems[key]}
        spellcheck={false}
      />
    );
  };

  return (
    <>
      {op.description ? <p>{op.description}</p> : null}
      <p class={`credential-note credential-${op.credential}`}>
        <strong>Credentials: </strong>
        {CREDENTIAL_NOTES[op.credential]}
      </p>
      {op.parameters.length > 0 ? (
        <Table
          caption="Parameters"
          columns={[
            { key: "name", header: "Name", rowHeader: true, render: (p: Parameter) => <code>{p.name}</code> },
            { key: "in", header: "In", render: (p: Parameter) => p.in },
            { key: "required", header: "Required", render: (p: Parameter) => (p.required ? "yes" : "no") },
            { key: "description", header: "Description", render: (p: Parameter) => p.description ?? "" },
          ]}
          rows={op.parameters}
          rowKey={(p) => `${p.in}:${p.name}`}
        />
      ) : null}
      {op.bodyType && !sendsBody ? (
        <>
          <h4>Request body ({op.bodyType})</h4>
          <pre>{op.bodyExample || "(none)"}</pre>
        </>
      ) : null}
      {tryable ? (
        <form class="try-form" onSubmit={send} noValidate aria-label={`Try ${op.method} ${op.path}`}>
          {op.parameters.filter((p) => p.in !== "cookie").map(field)}
          {sendsBody ? (
            <TextAreaField
              label="Request body (JSON)"
              value={body}
              onValue={setBody}
              rows={Math.min(14, Math.max(4, body.split("\n").length + 1))}
              spellcheck={false}
              error={problems.body}
              hint={op.bodyRequired ? "Required." : "Optional: leave empty to send no body."}
            />
          ) : null}
          <Button type="submit" variant="primary" busy={busy} aria-describedby={`${domId}-target`}>
            Try
          </Button>
          <span id={`${domId}-target`} class="sr-only">
            {op.method} {op.path}
          </span>
        </form>
      ) : null}
      <div role="status" class="try-result">
        {failure ? (
          <Notice kind="error">
            <p>{failure}</p>
          </Notice>
        ) : null}
        {response ? <ResponseView response={response.result} sentTo={response.sentTo} ms={response.ms} /> : null}
      </div>
    </>
  );
}
