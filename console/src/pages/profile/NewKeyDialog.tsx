// "New Key" / "New API Key" (seeds 002, 004): name, role, scope and validity (at most one
// year). On success the caller shows the one-time reveal.
import { useState } from "preact/hooks";
import { api, ApiError } from "../../api";
import { Button, Dialog, ErrorNotice, SelectField, TextField } from "../../components";
import { DEFAULT_VALIDITY_DAYS, MAX_VALIDITY_DAYS, nameProblem, validityProblem } from "./keyFormat";
import type { CreatedApiKey, RoleSummary } from "./types";

export interface NewKeyDialogProps {
  // "New Key" (Profile, seed 002) or "New API Key" (Settings, seed 004).
  title?: string;
  roles: RoleSummary[];
  onCreated: (key: CreatedApiKey) => void;
  onCancel: () => void;
}

export function NewKeyDialog({ title = "New Key", roles, onCreated, onCancel }: NewKeyDialogProps) {
  const [name, setName] = useState("");
  const [role, setRole] = useState("");
  const [scope, setScope] = useState<"read" | "write">("read");
  const [days, setDays] = useState(String(DEFAULT_VALIDITY_DAYS));
  const [errors, setErrors] = useState<{ name?: string | null; days?: string | null; role?: string | null }>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    const problems = { name: nameProblem(name), days: validityProblem(days) };
    setErrors(problems);
    if (problems.name || problems.days) return;
    setBusy(true);
    setError(null);
    try {
      const body: Record<string, unknown> = { name: name.trim(), expires_in_days: Number(days.trim()), scope };
      if (role) body.role = role;
      onCreated(await api<CreatedApiKey>("POST", "/api/v1/keys", { body }));
    } catch (caught) {
      setBusy(false);
      if (caught instanceof ApiError && caught.reason === "validity_too_long") {
        setErrors({ days: caught.message });
      } else if (caught instanceof ApiError && caught.status === 403 && role) {
        setErrors({ role: caught.message });
      } else {
        setError(caught);
      }
    }
  }

  return (
    <Dialog title={title} onClose={busy ? undefined : onCancel}>
      <form onSubmit={submit} noValidate id="new-key-form">
        <TextField
          label="Name"
          value={name}
          onValue={setName}
          hint="What the key is for, e.g. “ci deploy”."
          error={errors.name}
          maxLength={128}
          data-autofocus
        />
        <SelectField
          label="Role"
          value={role}
          onValue={setRole}
          options={[
            { value: "", label: "All my roles" },
            ...roles.map((candidate) => ({ value: candidate.id, label: candidate.name })),
          ]}
          hint="A key never grants more than you hold. Pick the narrowest role the program needs."
          error={errors.role}
        />
        <fieldset>
          <legend>Scope</legend>
          <div class="radio">
            <input
              type="radio"
              id="new-key-scope-read"
              name="scope"
              value="read"
              checked={scope === "read"}
              onChange={() => setScope("read")}
            />
            <label for="new-key-scope-read">Read-only: the key never writes</label>
          </div>
          <div class="radio">
            <input
              type="radio"
              id="new-key-scope-write"
              name="scope"
              value="write"
              checked={scope === "write"}
              onChange={() => setScope("write")}
            />
            <label for="new-key-scope-write">Write: read and write, as far as the role allows</label>
          </div>
        </fieldset>
        <TextField
          label="Validity (days)"
          type="number"
          inputMode="numeric"
          min={1}
          max={MAX_VALIDITY_DAYS}
          value={days}
          onValue={setDays}
          hint={`1 to ${MAX_VALIDITY_DAYS} days: at most one year.`}
          error={errors.days}
        />
        <ErrorNotice error={error} title="The key was not created" />
        <div class="dialog-actions">
          <Button onClick={onCancel} disabled={busy}>
            Cancel
          </Button>
          <Button type="submit" variant="primary" busy={busy}>
            Save
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
