// Messages for the person. "error" and "warning" are role=alert (announced at
// once); "info" and "success" are role=status (announced politely).
import type { ComponentChildren } from "preact";

export type NoticeKind = "info" | "success" | "warning" | "error";

export interface NoticeProps {
  kind?: NoticeKind;
  title?: string;
  children?: ComponentChildren;
  className?: string;
}

export function Notice({ kind = "info", title, children, className }: NoticeProps) {
  const role = kind === "error" || kind === "warning" ? "alert" : "status";
  return (
    <div role={role} class={["notice", `notice-${kind}`, className].filter(Boolean).join(" ")}>
      {title ? <p class="notice-title">{title}</p> : null}
      {children}
    </div>
  );
}

// An always-present polite live region: put results in it (e.g. "Key
// deactivated") so that they are announced even when the text changes in place.
export function LiveRegion({ message, className }: { message: string; className?: string }) {
  return (
    <div role="status" aria-live="polite" class={className ?? "sr-only"}>
      {message}
    </div>
  );
}

// An ApiError or any other thrown value, as one readable line.
export function errorMessage(error: unknown): string {
  if (error && typeof error === "object" && "message" in error) {
    const message = String((error as { message: unknown }).message);
    const status = (error as { status?: unknown }).status;
    return typeof status === "number" && status === 0 ? "The server could not be reached." : message;
  }
  return String(error);
}

export function ErrorNotice({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  return (
    <Notice kind="error" title={title}>
      <p>{errorMessage(error)}</p>
    </Notice>
  );
}
