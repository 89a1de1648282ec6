// Roles: create, attach/remove modules and step permission sets, members,
// delete (confirmed).
import { useState } from "preact/hooks";
import { api } from "../../api";
import { Button, ConfirmDialog } from "../../components";
import type { Role } from "../types";
import { enc } from "../util";
import { type SectionProps, userName } from "./model";

export function RolesTab({ model, run, busy }: SectionProps) {
  const [name, setName] = useState("");
  return (
    <section aria-labelledby="lk-roles" class="lk-card">
      <h2 id="lk-roles" tabIndex={-1}>
        Roles
      </h2>
      <p class="lk-hint">A role carries modules and step permission sets; its members get them. Name a service account's role for its integration.</p>
      <form
        class="lk-row"
        onSubmit={async (e) => {
          e.preventDefault();
          if (await run(() => api("POST", "/api/v1/roles", { body: { name: name.trim() } }), `Role ${name.trim()} created.`)) setName("");
        }}
      >
        <label class="lk-field">
          New role name
          <input required maxLength={128} value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="Integration: Risk Sync" />
        </label>
        <Button type="submit" disabled={busy || !name.trim()}>
          Create role
        </Button>
      </form>
      {model.roles.length === 0 && <p class="lk-empty">No roles yet.</p>}
      {model.roles.map((role) => (
        <RoleCard key={role.id} role={role} model={model} run={run} busy={busy} />
      ))}
    </section>
  );
}

function RoleCard({ role, model, run, busy }: SectionProps & { role: Role }) {
  const [module, setModule] = useState("");
  const [set, setSet] = useState("");
  const [deleting, setDeleting] = useState(false);
  const base = `/api/v1/roles/${enc(role.id)}`;
  const freeModules = model.modules.filter((m) => !role.modules.includes(m));
  const freeSets = model.sets.filter((s) => !role.permission_sets.includes(s.id));
  const headingId = `lk-role-${role.id}`;
  return (
    <article class="lk-subcard" aria-labelledby={headingId}>
      <h3 id={headingId}>{role.name}</h3>
      <p class="muted">
        {role.id} · members: {role.members && role.members.length ? role.members.map((id) => userName(model, id)).join(", ") : "none"}
      </p>
      <h4>Modules</h4>
      {role.modules.length === 0 ? (
        <p class="lk-empty">No modules.</p>
      ) : (
        <ul class="lk-chips">
          {role.modules.map((m) => (
            <li key={m}>
              {m}{" "}
              <Button disabled={busy}
                aria-label={`Remove module ${m} from ${role.name}`}
                onClick={() => run(() => api("DELETE", `${base}/modules/${enc(m)}`), `Module ${m} removed from ${role.name}.`)}
              >
                Remove
              </Button>
            </li>
          ))}
        </ul>
      )}
      {freeModules.length > 0 && (
        <div class="lk-row">
          <label class="lk-field lk-narrow">
            Module to attach
            <select value={module} onChange={(e) => setModule(e.currentTarget.value)}>
              <option value="">Choose…</option>
              {freeModules.map((m) => (
                <option key={m} value={m}>
                  {m}
                </option>
              ))}
            </select>
          </label>
          <Button disabled={busy || !module}
            onClick={async () => {
              if (await run(() => api("PUT", `${base}/modules/${enc(module)}`), `Module ${module} attached to ${role.name}.`)) setModule("");
            }}
          >
            Attach module
          </Button>
        </div>
      )}
      <h4>Step permission sets</h4>
      {role.permission_sets.length === 0 ? (
        <p class="lk-empty">No step permission set: members see no Records through this role.</p>
      ) : (
        <ul class="lk-chips">
          {role.permission_sets.map((id) => {
            const name = model.sets.find((s) => s.id === id)?.name ?? id;
            return (
              <li key={id}>
                {name}{" "}
                <Button disabled={busy}
                  aria-label={`Detach ${name} from ${role.name}`}
                  onClick={() => run(() => api("DELETE", `${base}/permission-sets/${enc(id)}`), `${name} detached from ${role.name}.`)}
                >
                  Detach
                </Button>
              </li>
            );
          })}
        </ul>
      )}
      {freeSets.length > 0 && (
        <div class="lk-row">
          <label class="lk-field lk-narrow">
            Permission set to attach
            <select value={set} onChange={(e) => setSet(e.currentTarget.value)}>
              <option value="">Choose…</option>
              {freeSets.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          </label>
          <Button disabled={busy || !set}
            onClick={async () => {
              if (await run(() => api("PUT", `${base}/permission-sets/${enc(set)}`), `Permission set attached to ${role.name}.`)) setSet("");
            }}
          >
            Attach permission set
          </Button>
        </div>
      )}
      <Button variant="danger" disabled={busy} onClick={() => setDeleting(true)}>
        Delete role
      </Button>
      {deleting && (
        <ConfirmDialog
          title={`Delete the role ${role.name}?`}
          confirmLabel="Delete role"
          danger
          onCancel={() => setDeleting(false)}
          onConfirm={async () => {
            setDeleting(false);
            await run(() => api("DELETE", base), `Role ${role.name} deleted.`);
          }}
        >
          <p>Its members ({role.members?.length ?? 0}) lose its modules and step permission sets at once.</p>
        </ConfirmDialog>
      )}
    </article>
  );
}
