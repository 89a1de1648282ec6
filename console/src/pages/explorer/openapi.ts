// Reading /openapi.json for the API explorer: operations grouped by tag, $ref
// resolved, what credentials each operation needs, and a sample body.

export interface OpenApiDocument {
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, unknown>>;
  components?: Record<string, Record<string, unknown>>;
}

export interface Parameter {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required?: boolean;
  description?: string;
  schema?: Schema;
  example?: unknown;
}

export interface Schema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  example?: unknown;
  examples?: unknown[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
  format?: string;
  minimum?: number;
}

// What an operation needs to be sent from the explorer.
export type Credential =
  | "explorer-token" // bearer: the console's own short-lived token
  | "console-session" // only the console's session cookie (with the CSRF token)
  | "public" // nothing
  | "api-key-body" // public, but the body carries an API key
  | "client-secret" // HTTP Basic with Client ID and Client Secret
  | "oauth-client"; // an OAuth client's credentials (form body)

export interface Operation {
  id: string;
  method: string;
  path: string;
  tag: string;
  summary: string;
  description: string;
  parameters: Parameter[];
  bodyType: string | null;
  bodyRequired: boolean;
  bodyExample: string;
  credential: Credential;
}

export const METHODS = ["get", "post", "put", "patch", "delete", "head", "options"];

export function resolve<T>(doc: OpenApiDocument, value: T, depth = 0): T {
  const ref = (value as { $ref?: string } | null)?.$ref;
  if (!ref || depth > 10 || !ref.startsWith("#/")) return value;
  let node: unknown = doc;
  for (const part of ref.slice(2).split("/")) node = (node as Record<string, unknown> | undefined)?.[part];
  return node === undefined ? value : resolve(doc, node as T, depth + 1);
}

// A plausible value for a schema: its example, default or first enum value,
// else a placeholder of its type; objects list their required properties
// first, then the others (bounded depth).
export function sampleFromSchema(doc: OpenApiDocument, input: Schema | undefined, depth = 0): unknown {
  const schema = input ? resolve(doc, input) : undefined;
  if (!schema || depth > 5) return null;
  if (schema.example !== undefined) return schema.example;
  if (schema.examples && schema.examples.length > 0) return schema.examples[0];
  if (schema.default !== undefined) return schema.default;
  if (schema.enum && schema.enum.length > 0) return schema.enum[0];
  const alternative = schema.oneOf?.[0] ?? schema.anyOf?.[0];
  if (alternative) return sampleFromSchema(doc, alternative, depth + 1);
  if (schema.allOf) {
    return Object.assign({}, ...schema.allOf.map((part) => sampleFromSchema(doc, part, depth + 1) ?? {}));
  }
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  switch (type ?? (schema.properties ? "object" : undefined)) {
    case "object": {
      const result: Record<string, unknown> = {};
      const names = Object.keys(schema.properties ?? {});
      const required = new Set(schema.required ?? []);
      for (const name of [...names.filter((n) => required.has(n)), ...names.filter((n) => !required.has(n))]) {
        result[name] = sampleFromSchema(doc, schema.properties![name], depth + 1);
      }
      return result;
    }
    case "array":
      return schema.items ? [sampleFromSchema(doc, schema.items, depth + 1)] : [];
    case "integer":
    case "number":
      return schema.minimum ?? 0;
    case "boolean":
      return false;
    case "string":
      return schema.format === "date-time" ? new Date().toISOString() : "";
    default:
      return null;
  }
}

function credentialOf(doc: OpenApiDocument, op: Record<string, unknown>, bodySchema: Schema | undefined, bodyType: string | null): Credential {
  const security = op.security as Record<string, unknown>[] | undefined;
  const schemes = new Set((security ?? []).flatMap((requirement) => Object.keys(requirement)));
  if (schemes.has("bearerAuth")) return "explorer-token";
  if (schemes.has("cookieAuth")) return "console-session";
  if (schemes.has("basicAuth")) return bodyType === "application/x-www-form-urlencoded" ? "oauth-client" : "client-secret";
  if (schemes.has("oauth2")) return "oauth-client";
  const body = bodySchema ? resolve(doc, bodySchema) : undefined;
  if (body?.properties && "api_key" in body.properties) return "api-key-body";
  return "public";
}

export function operationsOf(doc: OpenApiDocument): Operation[] {
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    const shared = ((item.parameters as Parameter[] | undefined) ?? []).map((p) => resolve(doc, p));
    for (const method of METHODS) {
      const op = item[method] as Record<string, unknown> | undefined;
      if (!op) continue;
      const own = ((op.parameters as Parameter[] | undefined) ?? []).map((p) => resolve(doc, p));
      const parameters = [...shared.filter((p) => !own.some((o) => o.name === p.name && o.in === p.in)), ...own];
      const requestBody = resolve(doc, op.requestBody as { required?: boolean; content?: Record<string, { schema?: Schema; example?: unknown; examples?: Record<string, { value?: unknown }> }> } | undefined);
      const content = requestBody?.content ?? {};
      const bodyType = content["application/json"] ? "application/json" : (Object.keys(content)[0] ?? null);
      const media = bodyType ? content[bodyType] : undefined;
      let example: unknown = media?.example;
      if (example === undefined && media?.examples) example = Object.values(media.examples)[0]?.value;
      if (example === undefined && media?.schema) example = sampleFromSchema(doc, media.schema);
      const tags = (op.tags as string[] | undefined) ?? [];
      operations.push({
        id: (op.operationId as string | undefined) ?? `${method}-${path}`,
        method: method.toUpperCase(),
        path,
        tag: tags[0] ?? "other",
        summary: (op.summary as string | undefined) ?? "",
        description: (op.description as string | undefined) ?? "",
        parameters,
        bodyType,
        bodyRequired: Boolean(requestBody?.required),
        bodyExample: example === undefined ? "" : bodyType === "application/json" ? JSON.stringify(example, null, 2) : String(example ?? ""),
        credential: credentialOf(doc, op, media?.schema, bodyType),
      });
    }
  }
  return operations;
}

export interface OperationGroup {
  tag: string;
  description: string;
  operations: Operation[];
}

// Groups in the document's tag order; tags not declared come last.
export function groupByTag(doc: OpenApiDocument, operations: Operation[]): OperationGroup[] {
  const order = (doc.tags ?? []).map((tag) => tag.name);
  const groups = new Map<string, Operation[]>();
  for (const op of operations) {
    if (!groups.has(op.tag)) groups.set(op.tag, []);
    groups.get(op.tag)!.push(op);
  }
  const names = [...order.filter((name) => groups.has(name)), ...[...groups.keys()].filter((name) => !order.includes(name))];
  return names.map((name) => ({
    tag: name,
    description: doc.tags?.find((tag) => tag.name === name)?.description ?? "",
    operations: groups.get(name)!,
  }));
}

// The request path with its path parameters filled in (each %-encoded) and
// the non-empty query parameters appended.
export function buildPath(op: Operation, values: Record<string, string>): string {
  const path = op.path.replace(/\{([^}]+)\}/g, (_whole, name: string) => encodeURIComponent(values[`path:${name}`] ?? ""));
  const query = new URLSearchParams();
  for (const parameter of op.parameters) {
    if (parameter.in !== "query") continue;
    const value = values[`query:${parameter.name}`];
    if (value) query.append(parameter.name, value);
  }
  const search = query.toString();
  return search ? `${path}?${search}` : path;
}

export const CREDENTIAL_NOTES: Record<Credential, string> = {
  "explorer-token": "Sent with a short-lived token the console obtains for you (you never paste one).",
  "console-session":
    "The console's own operation: sent with your console session (its cookie, and the CSRF token when it changes something).",
  public: "Public: sent without any credentials.",
  "api-key-body":
    "Needs an API key in the body (\"api_key\"): a program sends its own key here. The explorer sends it without a token, exactly as you fill it in.",
  "client-secret":
    "Needs your Client ID and Client Secret as HTTP Basic credentials, which the console does not hold. Use Profile → Access Key → “Generate Access Key” instead, or call it from your program.",
  "oauth-client":
    "Needs an OAuth client's credentials (client_id and client_secret, form-encoded). Call it from the client itself; the explorer does not send it.",
};

export function canTry(credential: Credential): boolean {
  return credential !== "client-secret" && credential !== "oauth-client";
}
