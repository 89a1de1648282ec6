// Administration → API specification (seed 004): every operation of
// /openapi.json, grouped by tag, each expandable with its parameters, its
// request body and "Try", which sends the request with a token the console
// obtains by itself.
import { useMemo, useState } from "preact/hooks";
import { api } from "../../api";
import { ErrorNotice, Loading, TextField, useAsync } from "../../components";
import type { PageProps } from "../../page";
import { groupByTag, operationsOf, type OpenApiDocument } from "./openapi";
import { OperationPanel } from "./OperationPanel";

export function ApiSpecificationPage({ session }: PageProps) {
  const spec = useAsync(() => api<OpenApiDocument>("GET", "/openapi.json"), []);
  const [filter, setFilter] = useState("");
  const [open, setOpen] = useState<Set<string>>(new Set());

  const operations = useMemo(() => (spec.data ? operationsOf(spec.data) : []), [spec.data]);
  const needle = filter.trim().toLowerCase();
  const shown = needle
    ? operations.filter((op) => `${op.method} ${op.path} ${op.summary} ${op.tag}`.toLowerCase().includes(needle))
    : operations;
  const groups = spec.data ? groupByTag(spec.data, shown) : [];

  function toggle(id: string) {
    const next = new Set(open);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setOpen(next);
  }

  return (
    <div class="explorer">
      <nav aria-label="Breadcrumb" class="muted">
        Administration › API specification
      </nav>
      <p>
        Every endpoint of latchkey’s HTTP API, from <a href="/openapi.json">/openapi.json</a>. Open one and use “Try” to
        send a request: the console obtains a short-lived token for you ({session.user.name}) and renews it by itself.
      </p>
      {spec.loading && !spec.data ? <Loading what="Loading the API specification…" /> : null}
      <ErrorNotice error={spec.error} title="Could not load /openapi.json" />
      {spec.data ? (
        <>
          <TextField
            label="Filter operations"
            type="search"
            value={filter}
            onValue={setFilter}
            hint="By method, path, summary or tag."
          />
          <p role="status" class="muted">
            {shown.length === operations.length
              ? `${operations.length} operations`
              : `${shown.length} of ${operations.length} operations`}
          </p>
          {groups.map((group) => (
            <section class="op-group" key={group.tag} aria-labelledby={`tag-${slug(group.tag)}`}>
              <h2 id={`tag-${slug(group.tag)}`}>{capitalize(group.tag)}</h2>
              {group.description ? <p class="muted">{group.description}</p> : null}
              {group.operations.map((op) => (
                <OperationPanel key={op.id} operation={op} expanded={open.has(op.id)} onToggle={() => toggle(op.id)} />
              ))}
            </section>
          ))}
        </>
      ) : null}
    </div>
  );
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, "-");
}

// "api keys" → "API keys", "oauth" → "OAuth".
function capitalize(text: string): string {
  const words = text.replace(/\bapi\b/gi, "API").replace(/\boauth\b/gi, "OAuth");
  return words.charAt(0).toUpperCase() + words.slice(1);
}
