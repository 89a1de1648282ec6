// WAI-ARIA tabs: role=tablist/tab/tabpanel, one tab in the Tab order, Left /
// Right / Home / End move between tabs and select (automatic activation).
// Controlled: the page decides which tab is selected (e.g. from the URL).
import type { ComponentChildren } from "preact";
import { useRef } from "preact/hooks";

export interface TabItem {
  id: string;
  label: string;
}

export interface TabsProps {
  label: string;
  tabs: TabItem[];
  selected: string;
  onSelect: (id: string) => void;
  children?: ComponentChildren;
  idPrefix?: string;
}

export function Tabs({ label, tabs, selected, onSelect, children, idPrefix = "tab" }: TabsProps) {
  const listRef = useRef<HTMLDivElement>(null);

  function move(index: number) {
    const next = tabs[(index + tabs.length) % tabs.length];
    onSelect(next.id);
    const button = listRef.current?.querySelector<HTMLElement>(`#${idPrefix}-${next.id}`);
    button?.focus();
  }

  function onKeyDown(event: KeyboardEvent) {
    const index = tabs.findIndex((tab) => tab.id === selected);
    if (event.key === "ArrowRight") move(index + 1);
    else if (event.key === "ArrowLeft") move(index - 1);
    else if (event.key === "Home") move(0);
    else if (event.key === "End") move(tabs.length - 1);
    else return;
    event.preventDefault();
  }

  return (
    <div class="tabs">
      <div ref={listRef} role="tablist" aria-label={label} class="tablist" onKeyDown={onKeyDown}>
        {tabs.map((tab) => {
          const isSelected = tab.id === selected;
          return (
            <button
              key={tab.id}
              type="button"
              role="tab"
              id={`${idPrefix}-${tab.id}`}
              class={isSelected ? "tab tab-selected" : "tab"}
              aria-selected={isSelected ? "true" : "false"}
              aria-controls={isSelected ? `${idPrefix}-panel-${tab.id}` : undefined}
              tabIndex={isSelected ? 0 : -1}
              onClick={() => onSelect(tab.id)}
            >
              {tab.label}
            </button>
          );
        })}
      </div>
      <div
        role="tabpanel"
        id={`${idPrefix}-panel-${selected}`}
        aria-labelledby={`${idPrefix}-${selected}`}
        class="tabpanel"
        tabIndex={0}
      >
        {children}
      </div>
    </div>
  );
}
