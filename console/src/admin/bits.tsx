// Pieces the administrators' pages repeat, built on the shared components.
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
  fallbackFocus,
}: {
  title: string;
  label: string;
  value: string;
  warning: string;
  onDone: () => void;
  // Where focus goes after OK when the element that opened it is gone.
  fallbackFocus?: () => HTMLElement | null;
}) {
  return (
    <Dialog
      title={title}
      fallbackFocus={fallbackFocus}
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
