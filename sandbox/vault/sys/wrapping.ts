// sys/wrapping/{wrap,unwrap,lookup,rewrap}: wrapping tokens are single-use tokens whose
// store holds the wrapped response; unwrap hands it back exactly once.
import type { BackendRequest, BackendResponse } from '../backend';
import { tokenFromHeaders, wrapResponse } from '../core';
import { badRequest, unsupportedOperation } from '../errors';
import { str } from '../fields';
import { newUuid, rfc3339 } from '../ids';
import type { NamespaceState, VaultState } from '../state';
import type { TokenEntry } from '../tokens';

const INVALID = 'wrapping token is not valid or does not exist';

function wrappingToken(state: VaultState, req: BackendRequest): TokenEntry {
  const id = str(req.body, 'token') || tokenFromHeaders(req.headers);
  const entry = id === '' ? undefined : state.tokens.lookup(id);
  if (!entry?.wrapped) throw badRequest(INVALID);
  return entry;
}

const rawJson = (value: unknown): BackendResponse => ({
  raw: { status: 200, contentType: 'application/json', body: JSON.stringify(value) },
});

export async function wrapping(
  state: VaultState,
  ns: NamespaceState,
  req: BackendRequest,
  action: string,
): Promise<BackendResponse | undefined> {
  if (req.operation !== 'update' && req.operation !== 'create') throw unsupportedOperation();
  switch (action) {
    case 'wrap': {
      if (typeof req.headers['x-vault-wrap-ttl'] !== 'string' || req.headers['x-vault-wrap-ttl'].trim() === '') {
        throw badRequest('endpoint requires response wrapping to be used');
      }
      if (Object.keys(req.body).length === 0) throw badRequest('no data provided');
      return { data: req.body };
    }
    case 'unwrap': {
      const entry = wrappingToken(state, req);
      const wrapped = entry.wrapped;
      await state.tokens.revoke(entry.id);
      if (!wrapped) throw badRequest(INVALID);
      const body = wrapped.body;
      // A wrapped "nothing" (e.g. a 204) unwraps to nothing.
      if (body.data == null && body.auth == null && body.lease_id === '') return undefined;
      return rawJson(body);
    }
    case 'lookup': {
      const entry = wrappingToken(state, req);
      return {
        data: {
          creation_path: entry.wrapped?.creationPath,
          creation_time: rfc3339(entry.creationTime),
          creation_ttl: entry.wrapped?.ttl,
        },
      };
    }
    case 'rewrap': {
      const entry = wrappingToken(state, req);
      const wrapped = entry.wrapped;
      if (!wrapped) throw badRequest(INVALID);
      await state.tokens.revoke(entry.id);
      return rawJson(wrapResponse(state, ns, wrapped.body, wrapped.creationPath, wrapped.ttl, newUuid()));
    }
    default:
      throw unsupportedOperation();
  }
}
