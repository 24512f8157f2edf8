// The in-app terminals under the tabs: a strip naming each open terminal (select, close) and
// the selected one's screen. The others stay mounted, hidden, so their sessions keep going.
// xterm.js loads with the first terminal, so the window's first paint does not wait for it.
import { lazy, Suspense } from 'react';
import { closeTerminalTab, showTerminalTab, useTerminalsStore } from '../../state/terminals';
import '../../styles/terminal.css';

const TerminalView = lazy(() => import('./TerminalView').then((module) => ({ default: module.TerminalView })));

export function TerminalDock() {
  const tabs = useTerminalsStore((s) => s.tabs);
  const active = useTerminalsStore((s) => s.active);
  if (tabs.length === 0) return null;
  return (
    <section className="terminal-dock" aria-label="Terminals">
      <ul className="terminal-strip">
        {tabs.map((tab) => (
          <li key={tab.key} className={tab.key === active ? 'terminal-pick terminal-pick-active' : 'terminal-pick'}>
            <button
              type="button"
              id={`terminal-pick-${tab.key}`}
              className="terminal-pick-name"
              aria-pressed={tab.key === active}
              onClick={() => showTerminalTab(tab.key)}
            >
              {tab.connection}
            </button>
            <button
              type="button"
              className="terminal-close"
              aria-label={`Close the terminal on ${tab.connection}`}
              onClick={() => closeTerminalTab(tab.key)}
            >
              ×
            </button>
          </li>
        ))}
      </ul>
      <Suspense fallback={<p className="terminal-status">Loading the terminal…</p>}>
        {tabs.map((tab) => (
          <TerminalView key={tab.key} tab={tab} active={tab.key === active} />
        ))}
      </Suspense>
    </section>
  );
}
