// An accessible modal dialog: role=dialog (or alertdialog) with aria-modal,
// labelled by its title, rendered into <body> while the rest of the page
// (#app) is inert; Tab and Shift+Tab stay inside; Escape closes it when the
// dialog allows closing; on close, focus returns to the element that had it.
import type { ComponentChildren } from "preact";
import { createPortal } from "preact/compat";
import { useLayoutEffect, useRef } from "preact/hooks";
import { useUniqueId } from "./useUniqueId";

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), ' +
  'textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

export function focusableIn(root: HTMLElement): HTMLElement[] {
  return Array.from(root.querySelectorAll<HTMLElement>(FOCUSABLE)).filter(
    (element) => !element.hasAttribute("inert") && element.getClientRects().length > 0,
  );
}

// Open dialogs, innermost last: only the top one handles Tab and Escape.
const openDialogs: HTMLElement[] = [];
// Where the last closed dialog wanted focus to return: a dialog that replaces
// another (confirm, then the one-time reveal) opens while focus is nowhere,
// and hands focus back to where the first one came from.
let lastOpener: HTMLElement | null = null;

function setBackgroundInert(inert: boolean): void {
  const app = document.getElementById("app");
  if (!app) return;
  if (inert) app.setAttribute("inert", "");
  else app.removeAttribute("inert");
}

export interface DialogProps {
  title: string;
  // Absent: Escape does not close the dialog (the person must use a button,
  // e.g. the one-time reveal of a secret that must be acknowledged).
  onClose?: () => void;
  children?: ComponentChildren;
  // Buttons, shown at the bottom.
  actions?: ComponentChildren;
  // Focus starts on the element inside that carries data-autofocus, else on
  // the first focusable one.
  role?: "dialog" | "alertdialog";
  size?: "small" | "medium" | "large";
  // Where focus goes on close when the opener has left the page.
  fallbackFocus?: () => HTMLElement | null;
}

export function Dialog({ title, onClose, children, actions, role = "dialog", size = "medium", fallbackFocus }: DialogProps) {
  const ref = useRef<HTMLDivElement>(null);
  const titleId = useUniqueId("dlg");
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;
  const fallbackRef = useRef(fallbackFocus);
  fallbackRef.current = fallbackFocus;

  // A layout effect: focus is inside the dialog before it is painted.
  useLayoutEffect(() => {
    const node = ref.current!;
    let opener = document.activeElement as HTMLElement | null;
    if (!opener || opener === document.body || !opener.isConnected) opener = lastOpener;
    // A dialog opened from a dialog: the one below becomes inert too.
    const below = openDialogs[openDialogs.length - 1];
    below?.parentElement?.setAttribute("inert", "");
    openDialogs.push(node);
    setBackgroundInert(true);
    const first = node.querySelector<HTMLElement>("[data-autofocus]") ?? focusableIn(node)[0] ?? node;
    first.focus();

    function onKeyDown(event: KeyboardEvent) {
      if (openDialogs[openDialogs.length - 1] !== node) return;
      if (event.key === "Escape") {
        if (onCloseRef.current) {
          event.preventDefault();
          event.stopPropagation();
          onCloseRef.current();
        }
        return;
      }
      if (event.key !== "Tab") return;
      const items = focusableIn(node);
      if (items.length === 0) {
        event.preventDefault();
        node.focus();
        return;
      }
      const firstItem = items[0];
      const lastItem = items[items.length - 1];
      const active = document.activeElement;
      if (event.shiftKey && (active === firstItem || !node.contains(active))) {
        event.preventDefault();
        lastItem.focus();
      } else if (!event.shiftKey && (active === lastItem || !node.contains(active))) {
        event.preventDefault();
        firstItem.focus();
      }
    }
    document.addEventListener("keydown", onKeyDown, true);
    return () => {
      document.removeEventListener("keydown", onKeyDown, true);
      const index = openDialogs.indexOf(node);
      if (index >= 0) openDialogs.splice(index, 1);
      openDialogs[openDialogs.length - 1]?.parentElement?.removeAttribute("inert");
      if (openDialogs.length === 0) setBackgroundInert(false);
      lastOpener = opener;
      // Give focus back after the DOM settled (the opener may be re-rendered),
      // unless another dialog took over meanwhile.
      queueMicrotask(() => {
        if (openDialogs.length > 0 && !openDialogs.some((open) => open.contains(opener))) return;
        if (opener && opener.isConnected && !opener.closest("[inert]")) opener.focus();
        else fallbackRef.current?.()?.focus();
      });
    };
  }, []);

  return createPortal(
    <div class="dialog-backdrop">
      <div
        ref={ref}
        class={`dialog dialog-${size}`}
        role={role}
        aria-modal="true"
        aria-labelledby={titleId}
        tabIndex={-1}
      >
        <h2 id={titleId} class="dialog-title">
          {title}
        </h2>
        <div class="dialog-body">{children}</div>
        {actions ? <div class="dialog-actions">{actions}</div> : null}
      </div>
    </div>,
    document.body,
  );
}
