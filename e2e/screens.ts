// The screenshots a journey keeps of a corrected screen: at 360 and 1280 px, light and dark,
// each also checked for sideways scrolling (what a narrow window shows first when it breaks).
import type { Page, TestInfo } from '@playwright/test';
import { expect } from './testing';
import { scrollsSideways } from './layout';

export async function shootSchemes(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const original = page.viewportSize();
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    for (const width of [360, 1280]) {
      await page.setViewportSize({ width, height: 900 });
      expect(await scrollsSideways(page), `${name} at ${width} px scrolls sideways`).toBe(false);
      await page.screenshot({ path: testInfo.outputPath(`${name}-${width}-${colorScheme}.png`), fullPage: true });
    }
  }
  await page.emulateMedia({ colorScheme: null });
  if (original) await page.setViewportSize(original);
}
