// A step of any application and Read or Edit on it.
import { useState } from "preact/hooks";
import { Button } from "../../components";
import type { Access } from "../types";
import type { Model } from "./model";

export function StepAccessPicker({
  model,
  onPick,
  busy,
  label,
}: {
  model: Model;
  onPick: (step: string, access: Access) => Promise<boolean>;
  busy: boolean;
  label: string;
}) {
  const [step, setStep] = useState("");
  const [access, setAccess] = useState<Access>("read");
  return (
    <div class="lk-row">
      <label class="lk-field">
        Step
        <select value={step} onChange={(e) => setStep(e.currentTarget.value)}>
          <option value="">Choose…</option>
          {model.applications.map((app) => (
            <optgroup label={app.name} key={app.id}>
              {app.steps.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                  {s.origin ? " (origin)" : ""}
                </option>
              ))}
            </optgroup>
          ))}
        </select>
      </label>
      <label class="lk-field lk-narrow">
        Access
        <select value={access} onChange={(e) => setAccess(e.currentTarget.value as Access)}>
          <option value="read">Read</option>
          <option value="edit">Edit</option>
        </select>
      </label>
      <Button disabled={busy || !step}
        onClick={async () => {
          if (await onPick(step, access)) setStep("");
        }}
      >
        {label}
      </Button>
    </div>
  );
}
