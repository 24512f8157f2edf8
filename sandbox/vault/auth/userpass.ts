// The userpass auth method: users with scrypt-hashed passwords and token fields; login at
// login/:username {password}.
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import type { Backend, BackendFactory, BackendRequest, BackendResponse } from '../backend';
import { badRequest, notFound, unsupportedOperation, unsupportedPath } from '../errors';
import { str } from '../fields';
import {
  defaultTokenFields,
  loginFromTokenFields,
  parseTokenFields,
  tokenFieldsResponse,
  type TokenFields,
} from './token-fields';

interface User {
  salt: Buffer;
  hash: Buffer;
  token: TokenFields;
}

const hashPassword = (password: string, salt: Buffer): Buffer => scryptSync(password, salt, 32);

const isWrite = (req: BackendRequest): boolean => req.operation === 'create' || req.operation === 'update';

export const createUserpassAuthMethod: BackendFactory = () => {
  const users = new Map<string, User>();
  // A fixed dummy hash keeps the time of "no such user" equal to "wrong password".
  const dummy = { salt: randomBytes(16), hash: randomBytes(32) };

  function setPassword(user: User, password: string): void {
    user.salt = randomBytes(16);
    user.hash = hashPassword(password, user.salt);
  }

  function userPath(req: BackendRequest, name: string, sub: string): BackendResponse | undefined {
    const existing = users.get(name);
    if (sub === 'password') {
      if (!isWrite(req)) throw unsupportedOperation();
      if (!existing) throw badRequest('username does not exist');
      const password = str(req.body, 'password');
      if (password === '') throw badRequest('missing password');
      setPassword(existing, password);
      return undefined;
    }
    if (sub === 'policies') {
      if (!isWrite(req)) throw unsupportedOperation();
      if (!existing) throw badRequest('username does not exist');
      existing.token = parseTokenFields(
        { token_policies: req.body.token_policies ?? req.body.policies ?? [] },
        existing.token,
      );
      return undefined;
    }
    if (sub !== '') throw unsupportedPath();
    switch (req.operation) {
      case 'read':
        if (!existing) throw notFound();
        return { data: tokenFieldsResponse(existing.token) };
      case 'create':
      case 'update': {
        const password = str(req.body, 'password');
        if (!existing && password === '') throw badRequest('missing password');
        const user: User = existing ?? { salt: Buffer.alloc(0), hash: Buffer.alloc(0), token: defaultTokenFields() };
        user.token = parseTokenFields(req.body, user.token);
        if (password !== '') setPassword(user, password);
        users.set(name, user);
        return undefined;
      }
      case 'delete':
        users.delete(name);
        return undefined;
      default:
        throw unsupportedOperation();
    }
  }

  function login(req: BackendRequest, name: string): BackendResponse {
    if (!isWrite(req)) throw unsupportedOperation();
    const password = str(req.body, 'password');
    if (name === '') throw badRequest('missing username');
    if (password === '') throw badRequest('missing password');
    const user = users.get(name);
    const candidate = hashPassword(password, user?.salt ?? dummy.salt);
    if (!user || !timingSafeEqual(candidate, user.hash)) throw badRequest('invalid username or password');
    return {
      login: loginFromTokenFields(
        user.token,
        name,
        { username: name },
        { username: name, policies: user.token.policies },
      ),
    };
  }

  const backend: Backend = {
    unauthenticatedPaths: ['login/*'],
    async handle(req) {
      const parts = req.path.replace(/\/+$/, '').split('/');
      const [head, name = '', ...rest] = parts;
      if (head === 'login') return login(req, name.toLowerCase());
      if (head === 'users') {
        if (name === '') {
          if (req.operation !== 'list') throw unsupportedOperation();
          if (users.size === 0) throw notFound();
          return { data: { keys: [...users.keys()].sort() } };
        }
        return userPath(req, name.toLowerCase(), rest.join('/'));
      }
      throw unsupportedPath();
    },
    async renewLogin({ internal }) {
      const name = String(internal.username ?? '');
      const user = users.get(name);
      if (!user) throw badRequest('user no longer exists');
      const before = JSON.stringify(internal.policies ?? []);
      if (JSON.stringify(user.token.policies) !== before) throw badRequest('policies have changed, not renewing');
    },
  };
  return backend;
};
