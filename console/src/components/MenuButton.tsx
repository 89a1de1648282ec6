// An accessible menu button (WAI-ARIA APG "menu button"): Enter, Space or
// ArrowDown opens the menu on its first item, ArrowUp on its last; arrows,
// Home and End move; Escape closes and gives focus back to the button; Tab
// closes. One menu for the whole console: the account menu of the shell, the
// API Keys actions, the administrators' row and page actions.
import type { ComponentChildren } from "preact";
import { useEffect, useId, useLayoutEffect, useRef, useState } from "preact/hooks";

export interface MenuItem {
  label: string;
  onSelect: () => void;
  disabled?: boolean;
}

interface Props {
  // Visible text of the button, e.g. "Actions".
  label: string;
  // The accessible name when the visible text alone is ambiguous
  // ("Actions for risk-sync").
  ariaLabel?: string;
  items: MenuItem[];
  // Drawn before the label (the account menu's person icon).
  icon?: ComponentChildren;
  // Hides the label visually (the accessible name stays ariaLabel or label).
  labelHidden?: boolean;
  className?: string;
}

export function MenuButton({ label, ariaLabel, items, icon, labelHidden, className }: Props) {
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  // Fixed to the viewport, next to the button: a menu inside a scrolling
  // table frame would otherwise be clipped by it.
  const [place, setPlace] = useState<Record<string, string>>({});
  const button = useRef<HTMLButtonElement>(null);
  const list = useRef<HTMLUListElement>(null);
  const id = useId();

  // Layout effect: focus follows the keys at once, before the next key.
  useLayoutEffect(() => {
    if (!open) return;
    const item = list.current?.querySelectorAll<HTMLElement>("[role=menuitem]")[active];
    item?.focus();
  }, [open, active]);

  useEffect(() => {
    if (!open) return;
    const close = (event: MouseEvent) => {
      const target = event.target as Node;
      if (!list.current?.contains(target) && !button.current?.contains(target)) setOpen(false);
    };
    document.addEventListener("mousedown", close);
    return () => document.removeEventListener("mousedown", close);
  }, [open]);

  useEffect(() => {
    if (!open) return;
    const close = () => setOpen(false);
    window.addEventListener("resize", close);
    window.addEventListener("scroll", close, true);
    return () => {
      window.removeEventListener("resize", close);
      window.removeEventListener("scroll", close, true);
    };
  }, [open]);

  const openAt = (index: number) => {
    const rect = button.current!.getBoundingClientRect();
    const right = `${Math.max(4, window.innerWidth - rect.right)}px`;
    const below = window.innerHeight - rect.bottom > Math.min(320, 40 * items.length + 16);
    setPlace(below ? { top: `${rect.bottom + 4}px`, right } : { bottom: `${window.innerHeight - rect.top + 4}px`, right });
    setActive((index + items.length) % items.length);
    setOpen(true);
  };
  const close = (refocus: boolean) => {
    setOpen(false);
    if (refocus) button.current?.focus();
  };
  const choose = (item: MenuItem) => {
    if (item.disabled) return;
    close(true);
    item.onSelect();
  };

  const onButtonKey = (event: KeyboardEvent) => {
    if (event.key === "ArrowDown" || event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      openAt(0);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      openAt(items.length - 1);
    }
  };
  const onMenuKey = (event: KeyboardEvent) => {
    const keys: Record<string, () => void> = {
      ArrowDown: () => setActive((active + 1) % items.length),
      ArrowUp: () => setActive((active - 1 + items.length) % items.length),
      Home: () => setActive(0),
      End: () => setActive(items.length - 1),
      Escape: () => close(true),
      Enter: () => choose(items[active]),
      " ": () => choose(items[active]),
    };
    if (event.key === "Tab") {
      setOpen(false);
      return;
    }
    const action = keys[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  };

  return (
    <div class={className ? `lk-menu ${className}` : "lk-menu"}>
      <button
        ref={button}
        type="button"
        id={`${id}-button`}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? `${id}-menu` : undefined}
        aria-label={ariaLabel}
        onClick={() => (open ? close(false) : openAt(0))}
        onKeyDown={onButtonKey}
      >
        {icon}
        {labelHidden ? <span class="sr-only">{label}</span> : <span class="lk-menu-label">{label}</span>}{" "}
        <span aria-hidden="true">▾</span>
      </button>
      {open && (
        <ul ref={list} id={`${id}-menu`} role="menu" aria-labelledby={`${id}-button`} onKeyDown={onMenuKey} style={place}>
          {items.map((item, index) => (
            <li
              key={item.label}
              role="menuitem"
              tabIndex={index === active ? 0 : -1}
              aria-disabled={item.disabled || undefined}
              onClick={() => choose(item)}
              onMouseEnter={() => setActive(index)}
            >
              {item.label}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
