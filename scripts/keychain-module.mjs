// Is the OS keychain module (keytar) usable from this checkout? Asked in a child process so a
// native module that fails to load cannot take the asking process with it.
import { spawnSync } from 'node:child_process';

/**
 * { ok: true, version } when `require('keytar')` works; otherwise { ok: false, reason, detail }
 * with reason 'not-installed' (no package), 'not-built' (no native binary) or 'load-failed'.
 */
export function keychainModuleStatus(root) {
  const probe = `
    let version = '?';
    try { version = require('keytar/package.json').version; }
    catch (e) { console.log(JSON.stringify({ ok: false, reason: 'not-installed', detail: 'keytar is not installed' })); process.exit(0); }
    try { require('keytar'); console.log(JSON.stringify({ ok: true, version })); }
    catch (e) {
      const first = String(e && e.message || e).split('\\n')[0];
      const notBuilt = /Cannot find module .*keytar\\.node|build\\/Release/.test(first);
      console.log(JSON.stringify({ ok: false, reason: notBuilt ? 'not-built' : 'load-failed', detail: first }));
    }`;
  const result = spawnSync(process.execPath, ['-e', probe], { cwd: root, encoding: 'utf8' });
  try {
    return JSON.parse(result.stdout.trim().split('\n').pop());
  } catch {
    return {
      ok: false,
      reason: 'load-failed',
      detail: (result.stderr || 'the probe printed nothing').trim().split('\n')[0],
    };
  }
}
