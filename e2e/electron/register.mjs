// Loaded with `node --import` by the stand-in Electron executable: TypeScript through tsx, and
// the bare specifier 'electron' resolved to the stand-in runtime instead of the npm package
// (which only exports the path of a binary that cannot be downloaded here).
import { register } from 'node:module';
import { register as registerTypeScript } from 'tsx/esm/api';

registerTypeScript();
register('./resolve-electron.mjs', import.meta.url);
