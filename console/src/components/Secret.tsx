// Secrets on screen. MaskedSecret shows the only form a stored secret has
// afterwards ("••••a1B9"); SecretReveal shows a full secret the one time the
// server returns it, selectable and with "Copy to clipboard".
import { useUniqueId } from "./useUniqueId";
import { CopyButton } from "./CopyButton";

export function MaskedSecret({ masked, label = "masked" }: { masked: string; label?: string }) {
  const tail = masked.replace(/^[•*]+/, "");
  return (
    <code class="masked">
      <span aria-hidden="true" class="masked-value">
        {masked}
      </span>
      <span class="sr-only">{tail ? `${label}, masked, ending in ${tail.split("").join(" ")}` : `${label}, masked`}</span>
    </code>
  );
}

export interface SecretRevealProps {
  // The visible label of the field, e.g. "API key", "Client Secret", "Access Key".
  label: string;
  value: string;
  copyLabel?: string;
}

export function SecretReveal({ label, value, copyLabel }: SecretRevealProps) {
  const id = useUniqueId("secret");
  // data-secret: the e2e screenshots mask every element marked so.
  return (
    <div class="secret-reveal" data-secret="">
      <label for={id}>{label}</label>
      <div class="secret-reveal-row">
        <textarea
          id={id}
          class="secret-value"
          readOnly
          rows={2}
          value={value}
          spellcheck={false}
          autoComplete="off"
          onFocus={(event) => event.currentTarget.select()}
        />
        <CopyButton text={value} label={copyLabel} what={label} variant="primary" />
      </div>
    </div>
  );
}
