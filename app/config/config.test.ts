import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig, saveConfig } from '.';

const valid = `
vault:
  address: http://127.0.0.1:8200
  auth: { method: token }
connections:
  - name: orders-db
    protocol: postgres
    listen: 127.0.0.1:15432
    target: { host: 127.0.0.1, port: 5432, database: orders }
    credentials: { from: vault-kv, path: secret/orders-db }
`;

function problemsOf(text: string) {
  try {
    parseConfig(text, 'config.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected the config to be refused');
}

describe('config', () => {
  it('accepts a valid file and fills defaults', () => {
    const config = parseConfig(valid, 'config.yaml');
    const [conn] = config.connections;
    expect(conn?.protocol).toBe('postgres');
    expect(conn?.target.sslmode).toBe('prefer');
    expect(conn?.credentials).toMatchObject({ from: 'vault-kv', version: 2, maxAge: 30_000 });
  });

  const bad: Array<[string, string, { field: string; line?: number; message: RegExp }]> = [
    ['unknown protocol', valid.replace('protocol: postgres', 'protocol: postgress'), { field: 'connections[0].protocol', line: 7, message: /expected one of 'postgres'/ }],
    ['missing target', valid.replace(/ {4}target:.*\n/, ''), { field: 'connections[0].target', message: /required/ }],
    ['port of wrong type', valid.replace('port: 5432', 'port: "five"'), { field: 'connections[0].target.port', line: 9, message: /number/ }],
    ['port out of range', valid.replace('port: 5432', 'port: 70000'), { field: 'connections[0].target.port', message: /65535/ }],
    ['bad listen address', valid.replace('listen: 127.0.0.1:15432', 'listen: 15432'), { field: 'connections[0].listen', line: 8, message: /HOST:PORT/ }],
    ['vault address not a URL', valid.replace('http://127.0.0.1:8200', 'vault.local'), { field: 'vault.address', line: 3, message: /URL/ }],
    ['unknown auth method', valid.replace('method: token', 'method: kerberos'), { field: 'vault.auth.method', message: /'token'/ }],
    ['unknown field', valid.replace('    listen:', '    lisen: x\n    listen:'), { field: 'connections[0]', message: /unknown field 'lisen'/ }],
    ['unknown credential source', valid.replace('from: vault-kv', 'from: vault-kvv'), { field: 'connections[0].credentials.from', message: /'vault-kv'/ }],
    ['bad duration', valid.replace('path: secret/orders-db', 'path: secret/orders-db, maxAge: soon'), { field: 'connections[0].credentials.maxAge', message: /duration/ }],
    ['duplicate name', valid + valid.split('connections:\n')[1]!.replace('15432', '15433'), { field: 'connections[1].name', message: /already used/ }],
    ['duplicate listen', valid + valid.split('connections:\n')[1]!.replace('orders-db', 'other'), { field: 'connections[1].listen', message: /already used/ }],
    ['bad sslmode', valid.replace('database: orders', 'database: orders, sslmode: always'), { field: 'connections[0].target.sslmode', message: /verify-full/ }],
    ['missing vault section', 'connections: []\n', { field: 'vault', message: /required/ }],
  ];

  it.each(bad)('refuses %s, naming the field and line', (_kind, text, expected) => {
    const problems = problemsOf(text);
    const problem = problems.find((p) => p.field === expected.field);
    expect(problem, JSON.stringify(problems)).toBeDefined();
    expect(problem!.message).toMatch(expected.message);
    if (expected.line) expect(problem!.line).toBe(expected.line);
  });

  it('reports YAML syntax errors with their position', () => {
    const problems = problemsOf('vault:\n  address: [unclosed\n');
    expect(problems[0]?.message).toMatch(/YAML syntax/);
    expect(problems[0]?.line).toBeGreaterThan(0);
  });

  it('formats the error as FILE:LINE:COL field: expectation', () => {
    try {
      parseConfig(valid.replace('protocol: postgres', 'protocol: ftp'), '/etc/sesame.yaml');
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toContain("/etc/sesame.yaml:7:15: connections[0].protocol: expected one of 'postgres'");
    }
  });

  const dir = mkdtemp(path.join(os.tmpdir(), 'sesame-config-'));
  afterAll(async () => rm(await dir, { recursive: true, force: true }));

  it('saves atomically with a backup and refuses an invalid config without touching the file', async () => {
    const file = path.join(await dir, 'config.yaml');
    await writeFile(file, valid);
    const config = await loadConfig(file);
    config.connections[0]!.listen = '127.0.0.1:16000';
    await saveConfig(file, config);
    expect((await loadConfig(file)).connections[0]?.listen).toBe('127.0.0.1:16000');
    expect(await readFile(`${file}.bak`, 'utf8')).toBe(valid);
    await expect(saveConfig(file, { ...config, vault: { address: 'nope' } })).rejects.toThrow(/vault.address/);
    expect((await loadConfig(file)).connections[0]?.listen).toBe('127.0.0.1:16000');
  });

  it('names a missing file', async () => {
    await expect(loadConfig('/nonexistent/sesame.yaml')).rejects.toThrow('/nonexistent/sesame.yaml: invalid configuration\n  /nonexistent/sesame.yaml: file not found');
  });
});
