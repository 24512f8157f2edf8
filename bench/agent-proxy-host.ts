// A server for the agent-proxy benchmark in a process of its own, as Vault and Sesame are in
// real life: `vault` starts the Vault dev server, `proxy <vault address>` the caching proxy.
// Prints one JSON line with its address, then runs until its stdin closes (the bench ends).
import { createLogger } from '../broker/log';
import { startAgentProxy } from '../broker/proxy';
import { startVaultDev } from '../sandbox/vault';

const [role, vaultAddress] = process.argv.slice(2);
let stop: () => Promise<void>;
if (role === 'vault') {
  const vault = await startVaultDev();
  process.stdout.write(`${JSON.stringify({ address: vault.address, rootToken: vault.rootToken })}\n`);
  stop = () => vault.stop();
} else if (role === 'proxy' && vaultAddress) {
  const proxy = await startAgentProxy({
    vaultAddress,
    listen: '127.0.0.1:0',
    log: createLogger('bench', () => {}, 'error'),
  });
  process.stdout.write(`${JSON.stringify({ address: proxy.address })}\n`);
  stop = () => proxy.close();
} else {
  throw new Error('usage: agent-proxy-host.ts vault | proxy <vault address>');
}
process.stdin.resume();
process.stdin.once('close', () => void stop().finally(() => process.exit(0)));
process.once('SIGTERM', () => void stop().finally(() => process.exit(0)));
