// Auth method types that `sys/auth/:path {type}` can enable.
import type { BackendFactory } from '../backend';
import { createAppRoleAuthMethod } from './approle';
import { createJwtAuthMethod } from './jwt';
import { createOidcAuthMethod } from './oidc';
import { createUserpassAuthMethod } from './userpass';

export function builtinAuthMethods(): Map<string, BackendFactory> {
  return new Map<string, BackendFactory>([
    ['userpass', createUserpassAuthMethod],
    ['approle', createAppRoleAuthMethod],
    ['jwt', createJwtAuthMethod],
    ['oidc', createOidcAuthMethod],
  ]);
}
