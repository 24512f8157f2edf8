// The built-in sandbox's demo logins: printed by `sesame sandbox` and by `sesame start` when it
// started the sandbox, and handed to the app for its login form. Types only from sandbox/, so
// importing this does not load the sandbox (whose OIDC provider warns on Node 20).
import type { AppInfo } from '../app/api';
import type { Sandbox } from '../sandbox';

/** The sandbox's demo logins, as the login form offers them. */
export function sandboxLogins(sandbox: Sandbox): NonNullable<AppInfo['sandboxLogins']> {
  const user = sandbox.idp.users[0]!;
  return [
    { method: 'userpass', username: sandbox.logins.userpass.username, password: sandbox.logins.userpass.password },
    { method: 'oidc', username: user.username, password: user.password, role: sandbox.logins.oidcRole },
  ];
}

/** The logins block both \`sesame sandbox\` and \`sesame start\` (on the embedded sandbox) print. */
export function sandboxLoginsText(sandbox: Sandbox): string {
  const { idp, logins } = sandbox;
  const user = idp.users[0]!;
  return `Log in to Vault (policy sandbox-developer):
  OIDC         role ${logins.oidcRole} at ${idp.issuer}: ${user.username} / ${user.password}
  userpass     ${logins.userpass.username} / ${logins.userpass.password}
  AppRole      role_id ${logins.approle.roleId}  secret_id ${logins.approle.secretId}`;
}
