// "Who depends on this account" (seed 001): the distinct clients that called
// as the user in the last N days, from GET /api/v1/users/{id}/dependents.
// Shown on a user's profile and on the Audit page.
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { DateTime, Loading, Notice, Table } from "../components";
import type { Dependents } from "./types";
import { enc, errorText } from "./util";

export function DependentsView({ userId, headingLevel = 2 }: { userId: string; headingLevel?: 2 | 3 }) {
  const [days, setDays] = useState(30);
  const [data, setData] = useState<Dependents | null>(null);
  const [error, setError] = useState("");

  useEffect(() => {
    let current = true;
    setData(null);
    setError("");
    api<Dependents>("GET", `/api/v1/users/${enc(userId)}/dependents?days=${days}`)
      .then((d) => current && setData(d))
      .catch((e) => current && setError(errorText(e)));
    return () => {
      current = false;
    };
  }, [userId, days]);

  const Heading = headingLevel === 2 ? "h2" : "h3";
  const headingId = `lk-dependents-${userId}`;
  return (
    <section aria-labelledby={headingId}>
      <Heading id={headingId}>Who depends on this account</Heading>
      <p class="lk-hint">
        The clients that called as this account. Check them before rotating its Client Secret or disabling it.
      </p>
      <label class="lk-field lk-narrow">
        Period
        <select value={String(days)} onChange={(e) => setDays(Number(e.currentTarget.value))}>
          <option value="1">last 24 hours</option>
          <option value="7">last 7 days</option>
          <option value="30">last 30 days</option>
          <option value="90">last 90 days</option>
          <option value="365">last year</option>
        </select>
      </label>
      {error && <Notice kind="error">Could not load the dependents: {error}</Notice>}
      {!data && !error && <Loading what="Loading dependents…" />}
      {data && data.clients.length === 0 && (
        <p class="lk-empty">No client called as {data.name} in the last {data.days} days.</p>
      )}
      {data && data.clients.length > 0 && (
        <Table
          caption={`Clients of ${data.name} in the last ${data.days} days`}
          captionHidden
          rows={data.clients}
          rowKey={(c) => `${c.client_ip}|${c.user_agent}|${c.integration}`}
          columns={[
            { key: "integration", header: "Integration", rowHeader: true, render: (c) => c.integration || <span class="muted">(none sent)</span> },
            { key: "ip", header: "Client IP", render: (c) => c.client_ip },
            { key: "ua", header: "User-Agent", render: (c) => <span class="lk-wrap">{c.user_agent}</span> },
            { key: "credentials", header: "Credentials", render: (c) => c.credentials.join(", ") },
            { key: "first", header: "First seen", render: (c) => <DateTime value={c.first_seen} /> },
            { key: "last", header: "Last seen", render: (c) => <DateTime value={c.last_seen} /> },
            { key: "calls", header: "Calls", render: (c) => c.calls },
            { key: "denied", header: "Denied", render: (c) => c.denied },
          ]}
        />
      )}
    </section>
  );
}
