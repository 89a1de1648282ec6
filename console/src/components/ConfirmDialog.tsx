// "Are you sure?" for actions that cannot be undone. Focus starts on Cancel;
// the confirm action may be async: the dialog stays open, busy, until it
// settles, and shows the error if it fails.
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { Button } from "./Button";
import { Dialog } from "./Dialog";
import { ErrorNotice } from "./Notice";

export interface ConfirmDialogProps {
  title: string;
  children?: ComponentChildren;
  confirmLabel: string;
  cancelLabel?: string;
  danger?: boolean;
  // Resolve to close; throw to keep the dialog open with the error shown.
  onConfirm: () => unknown | Promise<unknown>;
  onCancel: () => void;
}

export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  cancelLabel = "Cancel",
  danger = false,
  onConfirm,
  onCancel,
}: ConfirmDialogProps) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  }

  return (
    <Dialog
      title={title}
      role="alertdialog"
      size="small"
      onClose={busy ? undefined : onCancel}
      actions={
        <>
          <Button onClick={onCancel} disabled={busy} data-autofocus>
            {cancelLabel}
          </Button>
          <Button variant={danger ? "danger" : "primary"} onClick={confirm} busy={busy}>
            {confirmLabel}
          </Button>
        </>
      }
    >
      {children}
      <ErrorNotice error={error} />
    </Dialog>
  );
}
