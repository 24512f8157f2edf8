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
    // No sslmode named: the connector chooses by host (prefer for this loopback one, verify-full elsewhere).
    expect(conn?.protocol === 'postgres' && conn.target.sslmode).toBeUndefined();
    expect(conn?.credentials).toMatchObject({ from: 'vault-kv', version: 2, maxAge: 30_000 });
  });

  const bad: Array<[string, string, { field: string; line?: number; message: RegExp }]> = [
    [
      'unknown protocol',
      valid.replace('protocol: postgres', 'protocol: postgress'),
      { field: 'connections[0].protocol', line: 7, message: /expected one of 'postgres'/ },
    ],
    ['missing target', valid.replace(/ {4}target:.*\n/, ''), { field: 'connections[0].target', message: /required/ }],
    [
      'port of wrong type',
      valid.replace('port: 5432', 'port: "five"'),
      { field: 'connections[0].target.port', line: 9, message: /number/ },
    ],
    [
      'port out of range',
      valid.replace('port: 5432', 'port: 70000'),
      { field: 'connections[0].target.port', message: /65535/ },
    ],
    [
      'bad listen address',
      valid.replace('listen: 127.0.0.1:15432', 'listen: 15432'),
      { field: 'connections[0].listen', line: 8, message: /HOST:PORT/ },
    ],
    [
      'vault address not a URL',
      valid.replace('http://127.0.0.1:8200', 'vault.local'),
      { field: 'vault.address', line: 3, message: /URL/ },
    ],
    [
      'unknown auth method',
      valid.replace('method: token', 'method: kerberos'),
      { field: 'vault.auth.method', message: /'token'/ },
    ],
    [
      'unknown field',
      valid.replace('    listen:', '    lisen: x\n    listen:'),
      { field: 'connections[0]', message: /unknown field 'lisen'/ },
    ],
    [
      'unknown credential source',
      valid.replace('from: vault-kv', 'from: vault-kvv'),
      { field: 'connections[0].credentials.from', message: /'vault-kv'/ },
    ],
    [
      'bad duration',
      valid.replace('path: secret/orders-db', 'path: secret/orders-db, maxAge: soon'),
      { field: 'connections[0].credentials.maxAge', message: /duration/ },
    ],
    [
      'duplicate name',
      valid + valid.split('connections:\n')[1]!.replace('15432', '15433'),
      { field: 'connections[1].name', message: /already used/ },
    ],
    [
      'duplicate listen',
      valid + valid.split('connections:\n')[1]!.replace('orders-db', 'other'),
      { field: 'connections[1].listen', message: /already used/ },
    ],
    [
      'bad sslmode',
      valid.replace('database: orders', 'database: orders, sslmode: always'),
      { field: 'connections[0].target.sslmode', message: /verify-full/ },
    ],
    ['missing vault section', 'connections: []\n', { field: 'vault', message: /required/ }],
    [
      'mysql sslmode in postgres words',
      valid
        .replace('protocol: postgres', 'protocol: mysql')
        .replace('database: orders', 'database: orders, sslmode: require'),
      { field: 'connections[0].target.sslmode', message: /'required'/ },
    ],
    [
      'ssh target without a way to verify the host',
      valid.replace('protocol: postgres', 'protocol: ssh').replace('database: orders', 'user: deploy'),
      { field: 'connections[0].target', line: 9, message: /hostKey, knownHosts or hostCa/ },
    ],
    [
      'ssh-agent on a TCP port',
      valid.replace('protocol: postgres', 'protocol: ssh-agent').replace(/ {4}target:.*\n/, ''),
      { field: 'connections[0].listen', line: 8, message: /unix:/ },
    ],
    [
      'ssh client auth with no keys',
      valid
        .replace('protocol: postgres', 'protocol: ssh')
        .replace('database: orders', 'hostKey: "ssh-ed25519 AAAA"')
        .replace('    credentials:', '    clientAuth: { method: publicKey, publicKeys: [] }\n    credentials:'),
      { field: 'connections[0].clientAuth.publicKeys', message: />=1|at least 1|too small/i },
    ],
    [
      'a field both fetched and fixed',
      valid.replace(
        'path: secret/orders-db',
        'path: secret/orders-db, fields: { username: user }, values: { username: app }',
      ),
      { field: 'connections[0].credentials.values.username', message: /both fetched/ },
    ],
    [
      'file source without fields',
      valid.replace('{ from: vault-kv, path: secret/orders-db }', '{ from: file }'),
      { field: 'connections[0].credentials.fields', message: /required/ },
    ],
    [
      'health endpoint off loopback',
      valid + 'daemon:\n  health: 0.0.0.0:8480\n',
      { field: 'daemon.health', line: 12, message: /loopback/ },
    ],
    [
      'connections not a list',
      valid.replace(/connections:[\s\S]*/, 'connections: orders-db\n'),
      { field: 'connections', line: 5, message: /array/ },
    ],
    [
      'autoStart not a boolean',
      valid.replace('    listen:', '    autoStart: "yes"\n    listen:'),
      { field: 'connections[0].autoStart', line: 8, message: /boolean/ },
    ],
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
      expect((error as Error).message).toContain(
        "/etc/sesame.yaml:7:15: connections[0].protocol: expected one of 'postgres'",
      );
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
    expect(await loadConfig(file)).toEqual(config); // durations keep their unit across a round trip
    await expect(saveConfig(file, { ...config, vault: { address: 'nope' } })).rejects.toThrow(/vault.address/);
    expect((await loadConfig(file)).connections[0]?.listen).toBe('127.0.0.1:16000');
  });

  it('accepts every protocol and credential source the schema knows', () => {
    const config = parseConfig(
      `${valid}
  - name: inventory
    protocol: mysql
    listen: 127.0.0.1:13306
    target: { host: mysql.internal, database: inventory, sslmode: verify-identity, caCert: ca.pem }
    credentials: { from: env, fields: { password: MYSQL_PASSWORD }, values: { username: app } }
  - name: bastion
    protocol: ssh
    listen: 127.0.0.1:2222
    target: { host: bastion.internal, user: deploy, knownHosts: ~/.ssh/known_hosts }
    clientAuth: { method: publicKey, publicKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me"] }
    credentials: { from: file, fields: { private_key: /secrets/id_ed25519 } }
  - name: agent
    protocol: ssh-agent
    listen: unix:/run/user/1000/sesame-agent.sock
    key: { comment: deploy, lifetime: 1h }
    credentials: { from: vault-kv, path: secret/deploy-key, fields: { private_key: key } }
daemon:
  health: 127.0.0.1:8480
`,
      'config.yaml',
    );
    expect(config.connections.map((c) => [c.name, c.protocol])).toEqual([
      ['orders-db', 'postgres'],
      ['inventory', 'mysql'],
      ['bastion', 'ssh'],
      ['agent', 'ssh-agent'],
    ]);
    const [, mysql, ssh, agent] = config.connections;
    expect(mysql?.protocol === 'mysql' && mysql.target.port).toBe(3306);
    expect(ssh?.protocol === 'ssh' && ssh.target.port).toBe(22);
    expect(agent?.protocol === 'ssh-agent' && agent.key).toEqual({
      comment: 'deploy',
      lifetime: 3_600_000,
      confirm: false,
    });
    expect(config.daemon?.health).toBe('127.0.0.1:8480');
  });

  it('names a missing file', async () => {
    await expect(loadConfig('/nonexistent/sesame.yaml')).rejects.toThrow(
      '/nonexistent/sesame.yaml: invalid configuration\n  /nonexistent/sesame.yaml: file not found',
    );
  });
});
