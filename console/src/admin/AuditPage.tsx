// Audit (docs/audit.md): the trail filtered by principal, key, action,
// decision and time, page by page; its export (CSV or JSON Lines); and the
// "who depends on this account" view.
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import type { PageProps } from "../page";
import { Button, DateTime, Loading, Notice, Table } from "../components";
import { DependentsView } from "./DependentsView";
import type { AuditEvent, User } from "./types";
import { downloadFile, errorText, query } from "./util";

interface Filters {
  principal: string;
  key: string;
  action: string;
  decision: string;
  from: string; // datetime-local, the person's local time
  to: string;
  limit: string;
}
const EMPTY: Filters = { principal: "", key: "", action: "", decision: "", from: "", to: "", limit: "100" };

const KNOWN_ACTIONS = [
  "account.token.issue",
  "account.me",
  "authorize.",
  "api_key.create",
  "api_key.deactivate",
  "api_key.report",
  "key.token.access",
  "user.create",
  "user.update",
  "user.access_key.reset",
  "user.tokens.revoke",
  "audit.query",
  "audit.export",
  "report.dependents",
];

function toRfc3339(local: string): string | undefined {
  if (!local) return undefined;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

// "account.me" -> "account.me*": the field takes an action or its
// beginning, which the server's action filter spells with a trailing "*".
function actionParam(text: string): string | undefined {
  const action = text.trim();
  if (!action) return undefined;
  return action.endsWith("*") ? action : `${action}*`;
}

// Every filter is applied by the server (docs/audit.md), for the list, its
// pages and the export alike.
function serverParams(f: Filters) {
  return {
    principal: f.principal,
    key: f.key.trim() || undefined,
    action: actionParam(f.action),
    decision: f.decision,
    from: toRfc3339(f.from),
    to: toRfc3339(f.to),
  };
}

export function AuditPage(_: PageProps) {
  const [users, setUsers] = useState<User[]>([]);
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [applied, setApplied] = useState<Filters>(EMPTY);
  // cursors[i] is the cursor of page i (page 0: none).
  const [cursors, setCursors] = useState<string[]>([""]);
  const [page, setPage] = useState(0);
  const [events, setEvents] = useState<AuditEvent[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState("");
  const [format, setFormat] = useState("csv");
  const [exported, setExported] = useState("");
  const [dependentsOf, setDependentsOf] = useState("");

  useEffect(() => {
    api<{ users: User[] }>("GET", "/api/v1/users")
      .then((b) => setUsers(b.users))
      .catch(() => setUsers([]));
  }, []);

  useEffect(() => {
    let current = true;
    setEvents(null);
    setError("");
    api<{ events: AuditEvent[]; next_cursor: string | null }>(
      "GET",
      `/api/v1/audit${query({ ...serverParams(applied), limit: applied.limit, cursor: cursors[page] })}`,
    )
      .then((body) => {
        if (!current) return;
        setEvents(body.events);
        setNext(body.next_cursor);
      })
      .catch((e) => current && setError(errorText(e)));
    return () => {
      current = false;
    };
  }, [applied, page, cursors]);

  const set = (field: keyof Filters) => (e: Event) => setDraft({ ...draft, [field]: (e.currentTarget as HTMLInputElement).value });

  const apply = (e: Event) => {
    e.preventDefault();
    setCursors([""]);
    setPage(0);
    setApplied({ ...draft });
  };

  const exportTrail = async () => {
    setExported("");
    setError("");
    try {
      const name = await downloadFile(`/api/v1/audit/export${query({ format, ...serverParams(applied) })}`, `audit.${format}`);
      setExported(`The audit trail was downloaded as ${name}.`);
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <div class="lk-admin">
      <form class="lk-card" onSubmit={apply} aria-labelledby="lk-audit-filters">
        <h2 id="lk-audit-filters">Filter</h2>
        <div class="lk-row">
          <label class="lk-field">
            Principal
            <select value={draft.principal} onChange={set("principal")}>
              <option value="">Anyone</option>
              {users.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.name}
                </option>
              ))}
            </select>
          </label>
          <label class="lk-field">
            Key or Client ID (any part, e.g. a1B9)
            <input value={draft.key} onInput={set("key")} autoComplete="off" />
          </label>
          <label class="lk-field">
            Action (or its beginning)
            <input value={draft.action} onInput={set("action")} list="lk-audit-actions" autoComplete="off" />
            <datalist id="lk-audit-actions">
              {KNOWN_ACTIONS.map((a) => (
                <option key={a} value={a} />
              ))}
            </datalist>
          </label>
          <label class="lk-field lk-narrow">
            Decision
            <select value={draft.decision} onChange={set("decision")}>
              <option value="">Any</option>
              <option value="allow">allow</option>
              <option value="deny">deny</option>
            </select>
          </label>
        </div>
        <div class="lk-row">
          <label class="lk-field">
            From (your local time)
            <input type="datetime-local" value={draft.from} onInput={set("from")} />
          </label>
          <label class="lk-field">
            To (your local time, not included)
            <input type="datetime-local" value={draft.to} onInput={set("to")} />
          </label>
          <label class="lk-field lk-narrow">
            Events per page
            <select value={draft.limit} onChange={set("limit")}>
              <option value="25">25</option>
              <option value="100">100</option>
              <option value="500">500</option>
              <option value="1000">1000</option>
            </select>
          </label>
          <Button type="submit">Apply filters</Button>
          <Button onClick={() => {
              setDraft(EMPTY);
              setCursors([""]);
              setPage(0);
              setApplied(EMPTY);
            }}
          >
            Clear
          </Button>
        </div>
        <p class="lk-hint">
          The key matches any part of the recorded credential (the last characters of a key, a Client ID) or a key id; the action matches names that begin with what you type.
        </p>
      </form>

      <section class="lk-card" aria-labelledby="lk-audit-export">
        <h2 id="lk-audit-export">Export</h2>
        <div class="lk-row">
          <label class="lk-field lk-narrow">
            Format
            <select value={format} onChange={(e) => setFormat(e.currentTarget.value)}>
              <option value="csv">CSV</option>
              <option value="jsonl">JSON Lines</option>
            </select>
          </label>
          <Button onClick={exportTrail}>
            Export audit trail
          </Button>
        </div>
        <p class="lk-hint">The export holds up to 100 000 events matching all the filters above, newest first.</p>
        {exported && <Notice kind="success">{exported}</Notice>}
      </section>

      <section aria-labelledby="lk-audit-events">
        <h2 id="lk-audit-events">Events</h2>
        {error && <Notice kind="error">{error}</Notice>}
        {!events && !error && <Loading what="Loading events…" />}
        {events && events.length === 0 && <p class="lk-empty">No event matches these filters.</p>}
        {events && events.length > 0 && (
          <Table
            caption={`Audit events, page ${page + 1}`}
            captionHidden
            rows={events}
            rowKey={(ev) => String(ev.id)}
            columns={[
              { key: "at", header: "When", render: (ev) => <DateTime value={ev.at} /> },
              {
                key: "principal",
                header: "Principal",
                render: (ev) => (
                  <>
                    {ev.principal_name || <span class="muted">unidentified</span>}
                    <div class="muted lk-wrap">{ev.credential}</div>
                  </>
                ),
              },
              {
                key: "action",
                header: "Action",
                render: (ev) => (
                  <>
                    {ev.action}
                    <div class="muted lk-wrap">{ev.resource}</div>
                  </>
                ),
              },
              {
                key: "decision",
                header: "Decision",
                render: (ev) => (
                  <span data-decision={ev.decision}>
                    {ev.decision}
                    {ev.reason && <div class="muted">{ev.reason}</div>}
                  </span>
                ),
              },
              {
                key: "client",
                header: "Client",
                render: (ev) => (
                  <>
                    {ev.client_ip}
                    {ev.integration && <div class="muted lk-wrap">{ev.integration}</div>}
                  </>
                ),
              },
              { key: "count", header: "Calls", render: (ev) => ev.count },
            ]}
          />
        )}
        <nav class="lk-row" aria-label="Pages of events">
          <Button disabled={page === 0} onClick={() => setPage(page - 1)}>
            Newer events
          </Button>
          <span role="status">Page {page + 1}</span>
          <Button disabled={!next}
            onClick={() => {
              setCursors([...cursors.slice(0, page + 1), next!]);
              setPage(page + 1);
            }}
          >
            Older events
          </Button>
        </nav>
      </section>

      <section class="lk-card" aria-labelledby="lk-audit-dependents">
        <h2 id="lk-audit-dependents">Who depends on an account</h2>
        <label class="lk-field">
          Account
          <select value={dependentsOf} onChange={(e) => setDependentsOf(e.currentTarget.value)}>
            <option value="">Choose an account…</option>
            {users.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name} ({u.type === "service" ? "service account" : "human"})
              </option>
            ))}
          </select>
        </label>
        {dependentsOf ? <DependentsView userId={dependentsOf} headingLevel={3} /> : <p class="lk-empty">Choose an account to see the clients that call as it.</p>}
      </section>
    </div>
  );
}
