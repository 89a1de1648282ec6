// Pieces the administrators' pages repeat, built on the shared components.
import type { ComponentChildren } from "preact";
import { Button, Dialog, Notice, SecretReveal } from "../components";

// A secret shown exactly once (seed 002's one-time reveal pop-up): the value
// with "Copy to clipboard", the warning that it cannot be shown again, and
// "OK". Escape does not close it: the person acknowledges with OK.
export function OneTimeSecret({
  title,
  label,
  value,
  warning,
  onDone,
}: {
  title: string;
  label: string;
  value: string;
  warning: string;
  onDone: () => void;
}) {
  return (
    <Dialog
      title={title}
      actions={
        <Button variant="primary" onClick={onDone}>
          OK
        </Button>
      }
    >
      <Notice kind="warning">
        <p>{warning}</p>
      </Notice>
      <SecretReveal label={label} value={value} />
    </Dialog>
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
