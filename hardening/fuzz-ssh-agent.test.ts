// Hostile input against the ssh-agent connector's message handling. The agent holds a
// certificate the Vault dev server's SSH CA signs and an RSA key from Vault KV, and listens on
// its own 0600 unix socket for the real OpenSSH tools; the fuzz cases reach the same connector
// through a loopback listener (the shared fuzz runner speaks TCP). Cases: pipelined requests
// with real, mutated and random key blobs, data and flags, refused and unknown types, byte-level
// mutations and framing lies. No crash, every connection closed after the client's EOF, bounded
// memory, oversized frames cut off, and `ssh-add -l` / `ssh` via SSH_AUTH_SOCK served throughout.
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../broker/log';
import { loadPrivateKey, parseCertificate, publicKeyLine, SshReader, verifySignature } from '../broker/ssh';
import { runTool } from '../broker/ssh/testing';
import { startSshAgent, type RunningSshAgent } from '../broker/ssh-agent';
import { exchange } from './testing/exchange';
import { runFuzz } from './testing/fuzz';
import { countResources, expectReleased, measuredMemory, type ResourceCounts } from './testing/leaks';
import { sized } from './testing/mode';
import { createRandom } from './testing/random';
import { fixedCredentials, serveConnector, type ServedConnector } from './testing/serve-connector';
import {
  AGENT_MAX_MESSAGE,
  AGENT_MSG,
  agentCases,
  agentMessage,
  agentReplies,
  listedIdentities,
  signRequest,
} from './testing/ssh-agent-wire';
import { startSshSandbox, type SshSandbox } from './testing/ssh-world';

const SEED = 0xa6e47;
const CASES = sized(3_000, 100_000);

describe('ssh-agent message handling under hostile input', () => {
  let sandbox: SshSandbox;
  let agent: RunningSshAgent;
  let broker: ServedConnector;
  let baseline: ResourceCounts;
  let blobs: Buffer[];
  let knownHosts: string;
  /** Error records the agent's own log got (its identity store): must stay 0. */
  let agentErrors = 0;

  beforeAll(async () => {
    // The RSA key exists only in memory and in Vault KV (sshd gets its public half).
    const rsaPem = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const rsaPublic = publicKeyLine(loadPrivateKey(rsaPem, undefined, 'the test RSA key').publicBlob);
    sandbox = await startSshSandbox('hardening-fuzz-ssh-agent', { authorizedKeys: [rsaPublic] });
    knownHosts = path.join(sandbox.dir, 'known_hosts_agent');
    fs.writeFileSync(knownHosts, `${sandbox.sshd.knownHostsLine}\n`);
    baseline = countResources();
    agent = await startSshAgent({
      identities: [
        { credentials: sandbox.certificateSource('30m'), comment: 'vault-cert' },
        { credentials: await sandbox.kvKeySource('deploy-key', rsaPem), comment: 'deploy-key' },
      ],
      log: createLogger('ssh-agent', (record) => void (record.level === 'error' && agentErrors++), 'debug'),
    });
    broker = await serveConnector(agent.connector, fixedCredentials({}), 'ssh-agent');
    const answer = agentReplies(
      (await exchange(broker.port, agentMessage(AGENT_MSG.REQUEST_IDENTITIES), { end: true })).received,
    );
    blobs = listedIdentities(answer[0]!.body).map((i) => i.blob);
  });

  afterAll(async () => {
    await broker?.close();
    await agent?.close();
    await sandbox?.close();
  });

  const agentEnv = () => ({ SSH_AUTH_SOCK: agent.socketPath });
  async function sshAddLists(): Promise<void> {
    const result = await runTool('ssh-add', ['-l'], { env: agentEnv() });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^256 SHA256:\S+ vault-cert \(ED25519-CERT\)\n2048 SHA256:\S+ deploy-key \(RSA\)\n$/);
  }
  /** The real `ssh` logs in to sshd through the agent, with the identity named by `only`. */
  async function sshLogsIn(only: 'vault-cert' | 'deploy-key'): Promise<void> {
    const env = agentEnv();
    const keyFile = path.join(sandbox.dir, `${only}.pub`);
    const listed = await runTool('ssh-add', ['-L'], { env });
    fs.writeFileSync(keyFile, `${listed.stdout.split('\n').find((line) => line.endsWith(` ${only}`))}\n`);
    const result = await runTool(
      'ssh',
      [
        '-F',
        '/dev/null',
        '-o',
        `UserKnownHostsFile=${knownHosts}`,
        '-o',
        'GlobalKnownHostsFile=/dev/null',
        '-o',
        'StrictHostKeyChecking=yes',
        '-o',
        'BatchMode=yes',
        '-o',
        'IdentitiesOnly=yes',
        '-o',
        `IdentityFile=${keyFile}`,
        '-p',
        String(sandbox.sshd.port),
        `${sandbox.user}@127.0.0.1`,
        `echo via-${only}`,
      ],
      { env },
    );
    expect(result.stdout, result.stderr).toBe(`via-${only}\n`);
    const accepted = fs
      .readFileSync(sandbox.sshd.logFile, 'utf8')
      .split('\n')
      .filter((line) => line.includes('Accepted publickey'))
      .at(-1);
    expect(accepted).toMatch(only === 'vault-cert' ? / ED25519-CERT / : / RSA SHA256:/);
  }

  it('answers a pipelined mix in order: identities, signatures that verify, FAILURE for everything else', async () => {
    expect(blobs).toHaveLength(2);
    const [certBlob, rsaBlob] = blobs as [Buffer, Buffer];
    const data = Buffer.from('data the agent signs');
    const requests = [
      agentMessage(AGENT_MSG.REQUEST_IDENTITIES),
      signRequest(certBlob, data, 0),
      signRequest(rsaBlob, data, 4), // SSH_AGENT_RSA_SHA2_512
      signRequest(rsaBlob, data, 2), // SSH_AGENT_RSA_SHA2_256
      signRequest(Buffer.from('not a key I hold'), data, 0),
      agentMessage(AGENT_MSG.ADD_IDENTITY, Buffer.from('garbage')),
      agentMessage(AGENT_MSG.SIGN_REQUEST, Buffer.from([0, 0, 0, 9, 1])), // truncated key blob
      agentMessage(200),
      agentMessage(AGENT_MSG.REQUEST_IDENTITIES),
    ];
    const replies = agentReplies((await exchange(broker.port, Buffer.concat(requests), { end: true })).received);
    const S = AGENT_MSG.SIGN_RESPONSE;
    const F = AGENT_MSG.FAILURE;
    expect(replies.map((r) => r.type)).toEqual([
      AGENT_MSG.IDENTITIES_ANSWER,
      S,
      S,
      S,
      F,
      F,
      F,
      F,
      AGENT_MSG.IDENTITIES_ANSWER,
    ]);
    const signature = (i: number) => new SshReader(replies[i]!.body, 'sign response').bytes('signature');
    const algorithm = (i: number) => new SshReader(signature(i), 'signature').text();
    expect([1, 2, 3].map(algorithm)).toEqual(['ssh-ed25519', 'rsa-sha2-512', 'rsa-sha2-256']);
    expect(verifySignature(parseCertificate(certBlob).publicKeyBlob, signature(1), data)).toBe(true);
    expect(verifySignature(rsaBlob, signature(2), data)).toBe(true);
    expect(verifySignature(rsaBlob, signature(3), data)).toBe(true);
  });

  it(
    `survives ${CASES} seeded random and mutated agent messages, closes every connection, keeps serving ssh-add`,
    { timeout: sized(120_000, 3_600_000) },
    async () => {
      await sshAddLists();
      const options = { concurrency: 32, caseTimeoutMs: 10_000 };
      const warmUp = await runFuzz(broker.port, agentCases(createRandom(SEED ^ 1), 200, blobs), options);
      expect(warmUp.hung).toBe(0);
      const before = measuredMemory();
      let goodRuns = 0;
      const every = sized(500, 10_000);
      const result = await runFuzz(broker.port, agentCases(createRandom(SEED), CASES, blobs), {
        ...options,
        checkpoint: { everyCases: every, run: async () => void (await sshAddLists(), goodRuns++) },
      });
      const after = measuredMemory();
      console.info(
        `[hardening] ssh-agent fuzz: ${JSON.stringify({ ...result, hungSamples: undefined, goodRuns, logs: broker.logCounts, memory: { kind: after.kind, beforeMB: +(before.bytes / 2 ** 20).toFixed(1), afterMB: +(after.bytes / 2 ** 20).toFixed(1) } })}`,
      );
      expect(result.hungSamples).toEqual([]);
      expect(result).toMatchObject({ cases: CASES, hung: 0, refused: 0, ended: CASES });
      expect(result.answered).toBeGreaterThan(CASES / 2);
      expect(broker.serveErrors).toEqual([]);
      expect(broker.logCounts.error ?? 0).toBe(0);
      expect(agentErrors).toBe(0);
      expect(goodRuns).toBeGreaterThanOrEqual(Math.floor(CASES / every));
      expect(after.bytes - before.bytes).toBeLessThan((after.kind === 'heapUsed' ? 48 : 160) * 2 ** 20);
      await expect.poll(() => broker.active(), { timeout: 15_000 }).toBe(0);
    },
  );

  it('closes on a frame over 256 KiB at its length, without reading it, and answers one at the limit', async () => {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(0x7fffffff, 0);
    const oversized = await exchange(broker.port, Buffer.concat([head, Buffer.alloc(2 * 1024 * 1024, 0x41)]), {
      dripBytes: 64 * 1024,
    });
    expect(oversized.received.length).toBe(0);
    expect(oversized.cutOff).toBe(true);
    const atLimit = agentMessage(AGENT_MSG.SIGN_REQUEST, Buffer.alloc(AGENT_MAX_MESSAGE - 1, 0));
    expect(agentReplies((await exchange(broker.port, atLimit, { end: true })).received).map((r) => r.type)).toEqual([
      AGENT_MSG.FAILURE,
    ]);
  });

  it('still lets the real ssh log in through SSH_AUTH_SOCK with the certificate and with the RSA key', async () => {
    await sshLogsIn('vault-cert');
    await sshLogsIn('deploy-key');
    await sshAddLists();
  });

  it('leaves no sockets, descriptors or timers behind once the agent closes', async () => {
    await broker.close();
    await agent.close();
    await expectReleased(baseline, { fds: 4, handles: 4 });
  });
});
