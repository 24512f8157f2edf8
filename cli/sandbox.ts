// `sesame sandbox [--json]`: start the sandbox, tell the user how to use it, stay up until
// Ctrl-C or SIGTERM, then remove everything it started.
import { createLogger, textSink } from '../broker/log';
import { startSandbox } from '../sandbox';
import { sandboxLoginsText } from './sandbox-logins';
import { untilSignal } from './lifecycle';

export async function runSandbox(options: { json?: boolean }): Promise<number> {
  // In --json mode stdout carries exactly one JSON line; progress goes to stderr.
  const log = createLogger('sandbox', textSink);
  const sandbox = await startSandbox(options.json ? {} : { log });
  try {
    if (options.json) {
      process.stdout.write(`${JSON.stringify(sandbox.describe())}\n`);
    } else {
      const { postgres, mariadb, sshd } = sandbox;
      const width = Math.max(...sandbox.connections.map((c) => c.name.length), 4) + 2;
      console.log(`Sesame sandbox is ready. In another shell:

  export VAULT_ADDR=${sandbox.vaultAddr}
  export VAULT_TOKEN=${sandbox.rootToken}      # the dev server's root token
  npx sesame start --config ${sandbox.configPath}
  export VAULT_AGENT_ADDR=${String(sandbox.describe().agentAddr)}   # Sesame's caching proxy, while it runs with that config

${sandboxLoginsText(sandbox)}

Servers (loopback only, removed on Ctrl-C):
  Vault dev    ${sandbox.vaultAddr}   (database/creds/sandbox-postgres, database/creds/sandbox-mariadb, ssh-client-signer/sign/dev)
  PostgreSQL   ${postgres.host}:${postgres.port}  admin: ${postgres.adminUser} / ${postgres.adminPassword}
  MariaDB      ${mariadb.host}:${mariadb.port}  admin: ${mariadb.adminUser} / ${mariadb.adminPassword}
  sshd         ${sshd.host}:${sshd.port}  user ${sshd.user}, trusts the Vault SSH CA
Connections in the config:
${sandbox.connections.map((c) => `  ${c.name.padEnd(width)} ${c.protocol.padEnd(10)} ${c.listen}`).join('\n')}

Press Ctrl-C to stop.`);
    }
    await untilSignal();
  } finally {
    await sandbox.stop();
  }
  return 0;
}
