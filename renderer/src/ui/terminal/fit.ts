// The terminal's size in character cells for its box, measured with the terminal's own font
// (the fit addon is not a dependency; this is what it computes, in a few lines).
export const TERMINAL_FONT = { family: "ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace", size: 13 };

/** Room kept for xterm's overlay scrollbar. */
const SCROLLBAR_PX = 14;

export function cellsFor(box: HTMLElement): { cols: number; rows: number } | null {
  const { width, height } = box.getBoundingClientRect();
  if (width === 0 || height === 0) return null; // hidden: keep the last size
  const probe = document.createElement('span');
  probe.textContent = 'W'.repeat(64);
  probe.style.fontFamily = TERMINAL_FONT.family;
  probe.style.fontSize = `${TERMINAL_FONT.size}px`;
  probe.style.lineHeight = 'normal';
  probe.style.position = 'absolute';
  probe.style.visibility = 'hidden';
  probe.style.whiteSpace = 'pre';
  box.appendChild(probe);
  const cell = probe.getBoundingClientRect();
  probe.remove();
  const cellWidth = cell.width / 64;
  const cellHeight = Math.ceil(cell.height);
  if (!cellWidth || !cellHeight) return null;
  return {
    cols: Math.max(2, Math.min(1000, Math.floor((width - SCROLLBAR_PX) / cellWidth))),
    rows: Math.max(1, Math.min(500, Math.floor(height / cellHeight))),
  };
}

/** Input in pieces a bridge call carries (JSON may escape a control character to 6 bytes). */
export function inputChunks(data: string, size = 4096): string[] {
  const chunks: string[] = [];
  for (let at = 0; at < data.length; at += size) chunks.push(data.slice(at, at + size));
  return chunks;
}
