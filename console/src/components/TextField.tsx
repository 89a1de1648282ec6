// Labelled form fields: the label is a real <label for>, the hint and the
// error are tied to the control with aria-describedby, and an error sets
// aria-invalid.
import type { ComponentChildren, JSX, Ref } from "preact";
import { useUniqueId } from "./useUniqueId";

interface FieldFrameProps {
  id: string;
  label: ComponentChildren;
  hint?: ComponentChildren;
  error?: string | null;
  children: ComponentChildren;
}

function FieldFrame({ id, label, hint, error, children }: FieldFrameProps) {
  return (
    <div class={error ? "field field-invalid" : "field"}>
      <label for={id}>{label}</label>
      {children}
      {hint ? <p id={`${id}-hint`} class="field-hint">{hint}</p> : null}
      {error ? <p id={`${id}-error`} class="field-error">{error}</p> : null}
    </div>
  );
}

function describedBy(id: string, hint: unknown, error: unknown): string | undefined {
  const ids = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean);
  return ids.length ? ids.join(" ") : undefined;
}

export interface TextFieldProps
  extends Omit<JSX.InputHTMLAttributes<HTMLInputElement>, "value" | "onInput" | "label" | "id" | "ref"> {
  label: ComponentChildren;
  value: string;
  onValue: (value: string) => void;
  hint?: ComponentChildren;
  error?: string | null;
  id?: string;
  inputRef?: Ref<HTMLInputElement>;
}

export function TextField({ label, value, onValue, hint, error, id, inputRef, type = "text", ...rest }: TextFieldProps) {
  const generated = useUniqueId("field");
  const fieldId = id ?? generated;
  return (
    <FieldFrame id={fieldId} label={label} hint={hint} error={error}>
      <input
        {...rest}
        ref={inputRef}
        id={fieldId}
        type={type}
        value={value}
        onInput={(event) => onValue(event.currentTarget.value)}
        aria-invalid={error ? "true" : undefined}
        aria-describedby={describedBy(fieldId, hint, error)}
      />
    </FieldFrame>
  );
}

export interface TextAreaFieldProps
  extends Omit<JSX.TextareaHTMLAttributes<HTMLTextAreaElement>, "value" | "onInput" | "label" | "id"> {
  label: ComponentChildren;
  value: string;
  onValue: (value: string) => void;
  hint?: ComponentChildren;
  error?: string | null;
  id?: string;
}

export function TextAreaField({ label, value, onValue, hint, error, id, ...rest }: TextAreaFieldProps) {
  const generated = useUniqueId("field");
  const fieldId = id ?? generated;
  return (
    <FieldFrame id={fieldId} label={label} hint={hint} error={error}>
      <textarea
        {...rest}
        id={fieldId}
        value={value}
        onInput={(event) => onValue(event.currentTarget.value)}
        aria-invalid={error ? "true" : undefined}
        aria-describedby={describedBy(fieldId, hint, error)}
      />
    </FieldFrame>
  );
}

export interface SelectOption {
  value: string;
  label: string;
}

export interface SelectFieldProps
  extends Omit<JSX.SelectHTMLAttributes<HTMLSelectElement>, "value" | "onChange" | "label" | "id"> {
  label: ComponentChildren;
  value: string;
  options: SelectOption[];
  onValue: (value: string) => void;
  hint?: ComponentChildren;
  error?: string | null;
  id?: string;
}

export function SelectField({ label, value, options, onValue, hint, error, id, ...rest }: SelectFieldProps) {
  const generated = useUniqueId("field");
  const fieldId = id ?? generated;
  return (
    <FieldFrame id={fieldId} label={label} hint={hint} error={error}>
      <select
        {...rest}
        id={fieldId}
        value={value}
        onChange={(event) => onValue(event.currentTarget.value)}
        aria-invalid={error ? "true" : undefined}
        aria-describedby={describedBy(fieldId, hint, error)}
      >
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </FieldFrame>
  );
}

export interface CheckboxFieldProps {
  label: ComponentChildren;
  checked: boolean;
  onChecked: (checked: boolean) => void;
  hint?: ComponentChildren;
  disabled?: boolean;
  id?: string;
}

export function CheckboxField({ label, checked, onChecked, hint, disabled, id }: CheckboxFieldProps) {
  const generated = useUniqueId("field");
  const fieldId = id ?? generated;
  return (
    <div class="field field-checkbox">
      <input
        id={fieldId}
        type="checkbox"
        checked={checked}
        disabled={disabled}
        onChange={(event) => onChecked(event.currentTarget.checked)}
        aria-describedby={hint ? `${fieldId}-hint` : undefined}
      />
      <label for={fieldId}>{label}</label>
      {hint ? <p id={`${fieldId}-hint`} class="field-hint">{hint}</p> : null}
    </div>
  );
}
