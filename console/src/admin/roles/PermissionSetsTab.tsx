// Step permission sets: create with a first step, set or remove steps.
import { useState } from "preact/hooks";
import { api } from "../../api";
import { Button } from "../../components";
import { enc } from "../util";
import { type SectionProps, stepLabel } from "./model";
import { StepAccessPicker } from "./StepAccessPicker";

export function PermissionSetsTab({ model, run, busy }: SectionProps) {
  const [name, setName] = useState("");
  return (
    <section aria-labelledby="lk-sets" class="lk-card">
      <h2 id="lk-sets" tabIndex={-1}>
        Step permission sets
      </h2>
      <p class="lk-hint">Read or Edit on steps. Attached to roles; a user with none sees no Records.</p>
      {model.applications.length === 0 ? (
        <p class="lk-empty">Create an application first: a permission set needs at least one step.</p>
      ) : (
        <fieldset class="lk-inline-group">
          <legend>New permission set</legend>
          <label class="lk-field">
            Name
            <input maxLength={128} value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="Risk Sync steps" />
          </label>
          <StepAccessPicker
            model={model}
            busy={busy || !name.trim()}
            label="Create with this step"
            onPick={async (step, access) => {
              const ok = await run(
                () => api("POST", "/api/v1/permission-sets", { body: { name: name.trim(), steps: { [step]: access } } }),
                `Permission set ${name.trim()} created.`,
              );
              if (ok) setName("");
              return ok;
            }}
          />
        </fieldset>
      )}
      {model.sets.length === 0 && <p class="lk-empty">No permission sets yet.</p>}
      {model.sets.map((set) => {
        const headingId = `lk-set-${set.id}`;
        const base = `/api/v1/permission-sets/${enc(set.id)}/steps`;
        return (
          <article class="lk-subcard" key={set.id} aria-labelledby={headingId}>
            <h3 id={headingId}>{set.name}</h3>
            <ul class="lk-chips">
              {Object.entries(set.steps).map(([step, access]) => (
                <li key={step}>
                  {stepLabel(model, step)}: {access === "edit" ? "Edit" : "Read"}{" "}
                  <Button disabled={busy}
                    aria-label={`Remove ${stepLabel(model, step)} from ${set.name}`}
                    onClick={() => run(() => api("DELETE", `${base}/${enc(step)}`), `Step removed from ${set.name}.`)}
                  >
                    Remove
                  </Button>
                </li>
              ))}
            </ul>
            <StepAccessPicker
              model={model}
              busy={busy}
              label={`Set step access in ${set.name}`}
              onPick={(step, access) => run(() => api("PUT", `${base}/${enc(step)}`, { body: { access } }), `${set.name} updated.`)}
            />
          </article>
        );
      })}
    </section>
  );
}
