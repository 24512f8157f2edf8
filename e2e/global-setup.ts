// Before the journeys: the renderer and the Electron shell are built (npm test builds both;
// this covers `npm run test:e2e` on a fresh checkout). Without out/main, `sesame start` would
// fall back to browser mode and the Electron-shaped journeys would prove nothing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');

export default function globalSetup(): void {
  const builds: Array<[string, string[]]> = [
    ['out/renderer/index.html', ['vite', 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn']],
    ['out/main/index.js', ['tsx', 'main/build.ts']],
  ];
  for (const [output, command] of builds) {
    if (existsSync(path.join(root, output))) continue;
    const result = spawnSync('npx', command, { cwd: root, stdio: 'inherit' });
    if (result.status !== 0) throw new Error(`building ${output} failed`);
  }
}
