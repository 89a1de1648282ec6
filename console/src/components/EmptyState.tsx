// What a list shows when there is nothing in it: what is missing and what to
// do about it.
import type { ComponentChildren } from "preact";

export interface EmptyStateProps {
  title: string;
  children?: ComponentChildren;
  action?: ComponentChildren;
}

export function EmptyState({ title, children, action }: EmptyStateProps) {
  return (
    <div class="empty-state">
      <p class="empty-state-title">{title}</p>
      {children ? <div class="empty-state-body">{children}</div> : null}
      {action ? <div class="empty-state-action">{action}</div> : null}
    </div>
  );
}
