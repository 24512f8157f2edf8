// One in-app terminal: xterm.js fitted to its box, a shell opened on the connection once the
// size is known, keystrokes sent as `terminal.input`, output written from the event feed.
// Unmounting (Close) ends the session on the host.
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef, useState } from 'react';
import type { TerminalExit } from '../../../../app/api';
import { asApiError } from '../../lib/errors';
import { attachTerminal, type TerminalTab } from '../../state/terminals';
import { useHostLink } from '../host-context';
import { cellsFor, inputChunks, TERMINAL_FONT } from './fit';

type Status = { state: 'opening' } | { state: 'open' } | { state: 'ended' | 'failed'; text: string };

/** The key that leaves the terminal; the shell gets every other key, Tab and Escape included. */
export const LEAVE_TERMINAL_KEY = 'Ctrl+]';

const THEME = { background: '#14171c', foreground: '#e4e7eb', cursor: '#8ab2ff', selectionBackground: '#3a4a66' };

function describeExit(exit: TerminalExit): string {
  if (exit.message) return exit.message;
  if (exit.signal) return `The shell ended with signal ${exit.signal}.`;
  return exit.code === undefined ? 'The session ended.' : `The shell exited with code ${exit.code}.`;
}

export function TerminalView({ tab, active }: { tab: TerminalTab; active: boolean }) {
  const link = useHostLink();
  const box = useRef<HTMLDivElement>(null);
  const terminal = useRef<Terminal | null>(null);
  const [status, setStatus] = useState<Status>({ state: 'opening' });

  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const term = new Terminal({
      fontFamily: TERMINAL_FONT.family,
      fontSize: TERMINAL_FONT.size,
      cursorBlink: true,
      scrollback: 5000,
      theme: THEME,
    });
    terminal.current = term;
    term.open(element);
    term.attachCustomKeyEventHandler((event) => {
      if (event.type !== 'keydown' || !event.ctrlKey || event.altKey || event.metaKey || event.key !== ']') return true;
      term.blur();
      document.getElementById(`terminal-pick-${tab.key}`)?.focus();
      return false;
    });
    let id: string | undefined;
    let disposed = false;
    let release = () => {};
    let size = cellsFor(element) ?? { cols: 80, rows: 24 };
    term.resize(size.cols, size.rows);

    link.call('terminal.open', { name: tab.connection, ...size }).then(
      (opened) => {
        if (disposed) return void link.call('terminal.close', opened).catch(() => {});
        id = opened.id;
        release = attachTerminal(id, {
          write: (data) => term.write(data),
          exit: (exit) => {
            id = undefined;
            setStatus({ state: exit.message ? 'failed' : 'ended', text: describeExit(exit) });
          },
        });
        setStatus((s) => (s.state === 'opening' ? { state: 'open' } : s));
        term.focus();
      },
      (error: unknown) => !disposed && setStatus({ state: 'failed', text: asApiError(error).message }),
    );

    const typing = term.onData((data) => {
      const session = id;
      if (!session) return;
      for (const chunk of inputChunks(data))
        void link.call('terminal.input', { id: session, data: chunk }).catch(() => {});
    });
    const observer = new ResizeObserver(() => {
      const next = cellsFor(element);
      if (!next || (next.cols === size.cols && next.rows === size.rows)) return;
      size = next;
      term.resize(next.cols, next.rows);
      if (id) void link.call('terminal.resize', { id, ...next }).catch(() => {});
    });
    observer.observe(element);

    return () => {
      disposed = true;
      observer.disconnect();
      typing.dispose();
      release();
      if (id) void link.call('terminal.close', { id }).catch(() => {});
      terminal.current = null;
      term.dispose();
    };
  }, [link, tab.connection, tab.key]);

  // xterm.js does not draw while off screen, and a new terminal may open below the fold.
  useEffect(() => {
    if (!active) return;
    box.current?.scrollIntoView({ block: 'nearest' });
    terminal.current?.focus();
  }, [active]);

  return (
    <div
      className="terminal-view"
      data-testid={`terminal-${tab.connection}`}
      data-state={status.state}
      hidden={!active}
    >
      {status.state === 'opening' && (
        <p className="terminal-status" role="status">
          Opening a shell on {tab.connection}…
        </p>
      )}
      {(status.state === 'ended' || status.state === 'failed') && (
        <p
          className={status.state === 'failed' ? 'terminal-status terminal-failed' : 'terminal-status'}
          role={status.state === 'failed' ? 'alert' : 'status'}
        >
          {status.text}
        </p>
      )}
      <div
        className="terminal-screen"
        ref={box}
        aria-label={`Terminal on ${tab.connection}. Press ${LEAVE_TERMINAL_KEY} to leave it.`}
      />
      <p className="terminal-keys muted" data-testid="terminal-keys">
        Tab and Esc go to the shell. <kbd>Ctrl</kbd>+<kbd>]</kbd> leaves the terminal.
      </p>
    </div>
  );
}
