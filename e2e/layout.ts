// Layout checks a screenshot cannot make by itself: that no cell of a row overlaps another,
// nothing runs past its row, the page has no sideways scroll, and a text is shown whole.
import type { Locator, Page } from '@playwright/test';

// The few DOM types the page functions use: this project compiles without the DOM lib.
interface Rect {
  left: number;
  right: number;
  top: number;
  bottom: number;
  width: number;
  height: number;
}
interface PageElement {
  readonly children: ArrayLike<PageElement>;
  readonly className: string;
  readonly scrollWidth: number;
  readonly clientWidth: number;
  getBoundingClientRect(): Rect;
}
interface PageWindow {
  getComputedStyle(element: PageElement): { display: string };
  innerWidth: number;
  document: { documentElement: PageElement };
}

/** Problems with a row's cells: overlaps and cells outside the row, as sentences. */
export async function rowLayoutProblems(row: Locator): Promise<string[]> {
  return row.evaluate((node) => {
    const element = node as unknown as PageElement;
    const { getComputedStyle } = globalThis as unknown as PageWindow;
    const rowBox = element.getBoundingClientRect();
    const boxes: Array<Rect & { name: string }> = [];
    for (const cell of Array.from(element.children)) {
      const box = cell.getBoundingClientRect();
      if (box.width === 0 || box.height === 0 || getComputedStyle(cell).display === 'none') continue;
      boxes.push({
        name: cell.className,
        left: box.left,
        right: box.right,
        top: box.top,
        bottom: box.bottom,
        width: box.width,
        height: box.height,
      });
    }
    const problems: string[] = [];
    const tolerance = 0.5;
    for (const box of boxes) {
      if (box.left < rowBox.left - tolerance || box.right > rowBox.right + tolerance)
        problems.push(`${box.name} runs outside its row`);
    }
    for (const [i, a] of boxes.entries()) {
      for (const b of boxes.slice(i + 1)) {
        const overlapX = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const overlapY = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (overlapX > tolerance && overlapY > tolerance) problems.push(`${a.name} overlaps ${b.name}`);
      }
    }
    return problems;
  });
}

/** True when the element's text is shown whole (not cut by an ellipsis or overflow). */
export function shownWhole(element: Locator): Promise<boolean> {
  return element.evaluate((node) => {
    const el = node as unknown as PageElement;
    return el.scrollWidth <= el.clientWidth + 1;
  });
}

/** True when the page scrolls sideways. */
export function scrollsSideways(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const { document, innerWidth } = globalThis as unknown as PageWindow;
    return document.documentElement.scrollWidth > innerWidth + 1;
  });
}
