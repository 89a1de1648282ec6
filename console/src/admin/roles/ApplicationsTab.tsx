// Applications and their steps: create one with its origin step, add steps.
import { useState } from "preact/hooks";
import { api } from "../../api";
import { Button } from "../../components";
import type { Application } from "../types";
import { enc } from "../util";
import type { Run, SectionProps } from "./model";

export function ApplicationsTab({ model, run, busy }: SectionProps) {
  const [name, setName] = useState("");
  const [origin, setOrigin] = useState("");
  const [others, setOthers] = useState("");
  const create = async (e: Event) => {
    e.preventDefault();
    const steps = [
      { name: origin.trim(), origin: true },
      ...others
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
        .map((s) => ({ name: s, origin: false })),
    ];
    if (await run(() => api("POST", "/api/v1/applications", { body: { name: name.trim(), steps } }), `Application ${name.trim()} created.`)) {
      setName("");
      setOrigin("");
      setOthers("");
    }
  };
  return (
    <section aria-labelledby="lk-apps" class="lk-card">
      <h2 id="lk-apps" tabIndex={-1}>
        Applications and steps
      </h2>
      <form class="lk-row" onSubmit={create}>
        <label class="lk-field">
          Application name
          <input required maxLength={128} value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="Risk Register" />
        </label>
        <label class="lk-field">
          Origin step
          <input required maxLength={128} value={origin} onInput={(e) => setOrigin(e.currentTarget.value)} placeholder="Intake" />
        </label>
        <label class="lk-field">
          Other steps (comma-separated)
          <input value={others} onInput={(e) => setOthers(e.currentTarget.value)} placeholder="Review, Approve" />
        </label>
        <Button type="submit" disabled={busy || !name.trim() || !origin.trim()}>
          Create application
        </Button>
      </form>
      {model.applications.length === 0 && <p class="lk-empty">No applications yet.</p>}
      {model.applications.map((app) => (
        <AppCard key={app.id} app={app} run={run} busy={busy} />
      ))}
    </section>
  );
}

function AppCard({ app, run, busy }: { app: Application; run: Run; busy: boolean }) {
  const [step, setStep] = useState("");
  const headingId = `lk-app-${app.id}`;
  return (
    <article class="lk-subcard" aria-labelledby={headingId}>
      <h3 id={headingId}>{app.name}</h3>
      <p class="muted">{app.id}</p>
      <ol class="lk-steps">
        {app.steps.map((s) => (
          <li key={s.id}>
            {s.name}
            {s.origin && <strong> (origin step)</strong>} <span class="muted">{s.id}</span>
          </li>
        ))}
      </ol>
      <form
        class="lk-row"
        onSubmit={async (e) => {
          e.preventDefault();
          if (await run(() => api("POST", `/api/v1/applications/${enc(app.id)}/steps`, { body: { name: step.trim() } }), `Step ${step.trim()} added to ${app.name}.`))
            setStep("");
        }}
      >
        <label class="lk-field lk-narrow">
          New step of {app.name}
          <input required maxLength={128} value={step} onInput={(e) => setStep(e.currentTarget.value)} />
        </label>
        <Button type="submit" disabled={busy || !step.trim()}>
          Add step
        </Button>
      </form>
    </article>
  );
}
