// Editing one setting in place: comments, order and flow style survive; the result is validated
// before it replaces the file; the previous file is kept as .bak.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, setAgentSettings, setConnectionListen } from '.';

const original = `# My Sesame config — hand written.
vault:
  address: http://127.0.0.1:8200 # the dev server
  auth: { method: token }
connections:
  # Orders, read-only.
  - name: orders-db
    protocol: postgres
    listen: 127.0.0.1:15432 # keep: DBeaver knows this port
    target: { host: 127.0.0.1, port: 5432, database: orders }
    credentials: { from: vault-kv, path: secret/orders-db }
  - name: reports
    protocol: postgres
    listen: "127.0.0.1:15433"
    target: { host: 127.0.0.1, database: reports }
    credentials: { from: vault-kv, path: secret/reports }
`;

describe('editing the config file in place', () => {
  let dir: string;
  let file: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sesame-edit-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it("changes only the listen address: comments and the user's layout stay", async () => {
    file = path.join(dir, 'config.yaml');
    await writeFile(file, original);
    const config = await setConnectionListen(file, 'orders-db', '127.0.0.1:25432');
    expect(config.connections.map((c) => c.listen)).toEqual(['127.0.0.1:25432', '127.0.0.1:15433']);
    const text = await readFile(file, 'utf8');
    expect(text).toBe(original.replace('listen: 127.0.0.1:15432 # keep', 'listen: 127.0.0.1:25432 # keep'));
    expect(await readFile(`${file}.bak`, 'utf8')).toBe(original);
    expect((await loadConfig(file)).connections[0]?.listen).toBe('127.0.0.1:25432');
  });

  it('refuses a change that makes the file invalid, leaving it untouched', async () => {
    const before = await readFile(file, 'utf8');
    await expect(setConnectionListen(file, 'reports', '127.0.0.1:25432')).rejects.toThrow(
      /connections\[1\]\.listen: 127\.0\.0\.1:25432 is already used by connections\[0\]/,
    );
    await expect(setConnectionListen(file, 'nope', '127.0.0.1:3')).rejects.toThrow(/no connection named 'nope'/);
    expect(await readFile(file, 'utf8')).toBe(before);
  });

  it('does not edit a file that is already broken', async () => {
    const broken = path.join(dir, 'broken.yaml');
    await writeFile(broken, original.replace('protocol: postgres', 'protocol: ftp'));
    const error = await setConnectionListen(broken, 'orders-db', '127.0.0.1:1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/connections\[0\]\.protocol/);
  });

  it("sets one token agent cache setting at a time: the others and the user's comments stay", async () => {
    const agentFile = path.join(dir, 'agent.yaml');
    const withAgent = `${original}agent:\n  listen: 127.0.0.1:8100 # for the vault CLI\n  cache:\n    staticSecrets: false # KV stays uncached\n`;
    await writeFile(agentFile, withAgent);
    const persisted = await setAgentSettings(agentFile, { cache: { persist: true } });
    expect(persisted.agent).toMatchObject({
      listen: '127.0.0.1:8100',
      requireRequestHeader: true,
      cache: { persist: true, staticSecrets: false },
    });
    expect(await readFile(agentFile, 'utf8')).toBe(`${withAgent}    persist: true\n`);

    const relaxed = await setAgentSettings(agentFile, { requireRequestHeader: false });
    expect(relaxed.agent).toMatchObject({
      requireRequestHeader: false,
      cache: { persist: true, staticSecrets: false },
    });
    expect(await readFile(agentFile, 'utf8')).toContain('# KV stays uncached');
    expect((await loadConfig(agentFile)).agent?.cache).toEqual({ persist: true, staticSecrets: false });
  });
});
