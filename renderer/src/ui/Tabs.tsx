// The window's tabs, following the ARIA tabs pattern: one tab stop for the list, arrow keys
// (and Home/End) move between tabs and select them, the panel is labelled by its tab.
import { useRef, type KeyboardEvent, type ReactNode } from 'react';

export interface TabsProps<T extends string> {
  label: string;
  tabs: readonly T[];
  labels: Record<T, string>;
  /** Small text after a tab's label (a count), not part of its accessible name. */
  badges?: Partial<Record<T, ReactNode>>;
  selected: T;
  onSelect(tab: T): void;
}

export const tabId = (tab: string) => `tab-${tab}`;
export const panelId = (tab: string) => `panel-${tab}`;

export function Tabs<T extends string>({ label, tabs, labels, badges, selected, onSelect }: TabsProps<T>) {
  const list = useRef<HTMLDivElement>(null);

  function onKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    const index = tabs.indexOf(selected);
    const next =
      event.key === 'ArrowRight'
        ? (index + 1) % tabs.length
        : event.key === 'ArrowLeft'
          ? (index - 1 + tabs.length) % tabs.length
          : event.key === 'Home'
            ? 0
            : event.key === 'End'
              ? tabs.length - 1
              : undefined;
    if (next === undefined) return;
    event.preventDefault();
    const tab = tabs[next];
    if (tab === undefined) return;
    onSelect(tab);
    list.current?.querySelector<HTMLElement>(`#${tabId(tab)}`)?.focus();
  }

  return (
    <div ref={list} role="tablist" aria-label={label} className="tabs" onKeyDown={onKeyDown}>
      {tabs.map((tab) => (
        <button
          key={tab}
          type="button"
          role="tab"
          id={tabId(tab)}
          aria-selected={tab === selected}
          aria-controls={panelId(tab)}
          tabIndex={tab === selected ? 0 : -1}
          className="tab"
          onClick={() => onSelect(tab)}
        >
          {labels[tab]}
          {badges?.[tab] !== undefined && (
            <span className="tab-badge" aria-hidden="true">
              {badges[tab]}
            </span>
          )}
        </button>
      ))}
    </div>
  );
}
