// Pieces of markup the administrators' pages repeat.
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";

// An error (role=alert: read out at once) or a confirmation (role=status).
export function Message({ kind, children }: { kind: "error" | "success" | "info"; children: ComponentChildren }) {
  return (
    <div class={`lk-msg lk-msg-${kind}`} role={kind === "error" ? "alert" : "status"}>
      {children}
    </div>
  );
}

// A secret shown exactly once (seed 002's one-time reveal): the value, a copy
// button, and the warning that it cannot be shown again. Focus moves here so
// that a keyboard or screen-reader user lands on it.
export function OneTimeSecret({
  label,
  value,
  warning,
  onDone,
}: {
  label: string;
  value: string;
  warning: string;
  onDone?: () => void;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  const [copied, setCopied] = useState(false);
  useEffect(() => heading.current?.focus(), []);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };
  return (
    <section class="lk-reveal" aria-labelledby="lk-reveal-title">
      <h3 id="lk-reveal-title" tabIndex={-1} ref={heading}>
        {label}
      </h3>
      <p class="lk-warning">{warning}</p>
      <p>
        <code class="lk-secret" data-testid="one-time-secret">
          {value}
        </code>
      </p>
      <button type="button" onClick={copy}>
        Copy to clipboard
      </button>{" "}
      {onDone && (
        <button type="button" onClick={onDone}>
          OK
        </button>
      )}
      <span role="status" class="lk-copied">
        {copied ? "Copied." : ""}
      </span>
    </section>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p role="status" class="lk-loading">
      Loading {what}…
    </p>
  );
}

// A link to another console page: a real href (open in a new tab works),
// followed inside the single-page app on a plain click.
export function PageLink({
  to,
  navigate,
  children,
  class: className,
}: {
  to: string;
  navigate: (path: string) => void;
  children: ComponentChildren;
  class?: string;
}) {
  return (
    <a
      class={className}
      href={`/console${to}`}
      onClick={(event: MouseEvent) => {
        if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
        event.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}
