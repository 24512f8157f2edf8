// Issue 17, item 8: the caching proxy forwards to Vault only the headers Vault reads. A client's
// Cookie, Proxy-Authorization or X-Forwarded-* (which could carry another site's session or
// mislead Vault's audit log about who asked) stay behind. "Vault" here is a stand-in that
// records what it received.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../broker/log';
import { startAgentProxy, type AgentProxy } from '../broker/proxy';
import { raw } from '../broker/proxy/testing';

describe('what the caching proxy forwards to Vault', () => {
  let upstream: http.Server;
  let proxy: AgentProxy;
  const received: http.IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    upstream = http.createServer((req, res) => {
      received.push(req.headers);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          request_id: 'r',
          lease_id: '',
          renewable: false,
          lease_duration: 0,
          data: { ok: true },
          wrap_info: null,
          warnings: null,
          auth: null,
        }),
      );
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const vaultAddress = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    proxy = await startAgentProxy({
      vaultAddress,
      listen: '127.0.0.1:0',
      cache: false,
      log: createLogger('hardening', () => {}, 'error'),
    });
  });

  afterAll(async () => {
    await proxy?.close();
    upstream?.close();
  });

  it('drops Cookie, Proxy-Authorization and X-Forwarded-*; keeps what Vault reads', async () => {
    const answer = await raw(proxy.address, 'GET', '/v1/secret/data/app', {
      token: 'hvs.client-token',
      headers: {
        Cookie: 'session=another-site-session',
        'X-Forwarded-For': '203.0.113.9',
        Forwarded: 'for=203.0.113.9',
        'X-Real-IP': '203.0.113.9',
        'X-Vault-Namespace': 'team-a',
        'X-Vault-Wrap-TTL': '60s',
        'User-Agent': 'vault-cli',
        Accept: 'application/json',
      },
    });
    expect(answer.status).toBe(200);
    const got = received.at(-1)!;
    for (const dropped of ['cookie', 'x-forwarded-for', 'forwarded', 'x-real-ip'])
      expect(got[dropped], dropped).toBeUndefined();
    expect(got).toMatchObject({
      'x-vault-token': 'hvs.client-token',
      'x-vault-namespace': 'team-a/',
      'x-vault-wrap-ttl': '60s',
      'x-vault-request': 'true',
      'user-agent': 'vault-cli',
      accept: 'application/json',
    });
  });
});
