// Launch plans: templates split without a shell (proved by running real programs), placeholders
// that can never become extra arguments, the URL scheme allowlist, no password anywhere, and
// each known GUI's command line on each OS.
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  assertSafeUrl,
  commandFromTemplate,
  databaseUrl,
  KNOWN_GUIS,
  planGuiLaunch,
  planTerminal,
  splitCommandLine,
  type LaunchTarget,
  type OsName,
} from '.';

const orders: LaunchTarget = { name: 'orders', protocol: 'postgres', listen: '127.0.0.1:15432', database: 'orders' };
const shop: LaunchTarget = { name: 'shop', protocol: 'mysql', listen: '127.0.0.1:13306', database: 'shop' };

function runArgv(argv: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(argv[0]!, argv.slice(1), (error, stdout) => (error ? reject(error) : resolve(stdout))),
  );
}

describe('command templates', () => {
  it('splits like a shell splits words: quotes, escapes, but no expansion', () => {
    expect(splitCommandLine(`psql {url} -c 'select 1' -v "x=\\"y\\"" a\\ b $HOME`)).toEqual([
      'psql',
      '{url}',
      '-c',
      'select 1',
      '-v',
      'x="y"',
      'a b',
      '$HOME',
    ]);
  });

  it.each([
    ['psql {url} | less', /pipes, redirections/],
    ['psql {url}; rm -rf ~', /pipes, redirections/],
    ['psql {url} > out.txt', /pipes, redirections/],
    ['psql $(whoami)', /pipes, redirections/],
    ['psql `whoami`', /pipes, redirections/],
    ["psql 'unterminated", /unterminated '/],
    ['psql "unterminated', /unterminated "/],
    ['   ', /empty/],
    ['psql {url}\nrm -rf /', /one line/],
    ['psql {password}', /unknown placeholder \{password\}/],
    ['{url}', /must start with the program/],
  ])('refuses %j', (template, message) => {
    expect(() =>
      commandFromTemplate(template, {
        url: 'postgresql://127.0.0.1:1/',
        host: '127.0.0.1',
        port: '1',
        user: 'sesame',
        database: 'd',
      }),
    ).toThrow(message);
  });

  it('keeps each placeholder value inside its own argument, whatever it contains (checked by a real program)', async () => {
    const hostile = `a b'; rm -rf / #"$(id)`;
    const argv = commandFromTemplate("printf '%s|' {database} --db={database} {port}", {
      url: '',
      host: '',
      port: '15432',
      user: 'sesame',
      database: hostile,
    });
    expect(argv).toEqual(['printf', '%s|', hostile, `--db=${hostile}`, '15432']);
    expect(await runArgv(argv)).toBe(`${hostile}|--db=${hostile}|15432|`);
    // A quoted operator is an ordinary character: passed on, not interpreted.
    expect(
      await runArgv(
        commandFromTemplate("printf '%s' 'a|b;c'", { url: '', host: '', port: '', user: '', database: '' }),
      ),
    ).toBe('a|b;c');
  });
});

describe('URLs', () => {
  it('builds postgres and mysql URLs for the broker address with no password', () => {
    expect(databaseUrl(orders)).toBe('postgresql://127.0.0.1:15432/orders?sslmode=disable');
    expect(databaseUrl(shop, true)).toBe('mysql://sesame@127.0.0.1:13306/shop');
    expect(databaseUrl({ ...orders, listen: '[::1]:5432', database: 'a b' })).toBe(
      'postgresql://[::1]:5432/a%20b?sslmode=disable',
    );
    expect(databaseUrl({ ...orders, listen: 'unix:/run/sesame/.s.PGSQL.5432' })).toBe(
      'postgresql:///orders?host=%2Frun%2Fsesame&port=5432',
    );
  });

  it.each([
    ['http://example.com/', /scheme 'http:' is not allowed/],
    ['file:///etc/passwd', /scheme 'file:' is not allowed/],
    ['javascript:alert(1)', /scheme 'javascript:' is not allowed/],
    ['postgresql://app:hunter2@127.0.0.1:5432/db', /password is never opened/],
    ['mysql://127.0.0.1:3306/db?password=hunter2', /password is never opened/],
    ['not a url', /not a valid URL/],
  ])('refuses %s', (url, message) => {
    expect(() => assertSafeUrl(url)).toThrow(message);
  });

  it('accepts the allowlisted schemes', () => {
    for (const url of [
      'postgres://127.0.0.1:1/',
      'postgresql://127.0.0.1:1/',
      'mysql://127.0.0.1:1/',
      'mariadb://127.0.0.1:1/',
      'ssh://me@127.0.0.1:2222',
    ])
      expect(assertSafeUrl(url)).toBe(url);
  });
});

describe('what "Open in …" runs', () => {
  it('hands the URL to the OS when no GUI is configured', () => {
    expect(planGuiLaunch(orders)).toEqual({
      how: 'url',
      url: 'postgresql://127.0.0.1:15432/orders?sslmode=disable',
      opened: 'the application registered for postgresql:// URLs',
    });
  });

  it("prefers the user's choice of a known GUI over the configured template", () => {
    expect(planGuiLaunch(orders, { choice: 'tableplus', configured: 'psql {url}', os: 'linux' })).toEqual({
      how: 'command',
      argv: ['tableplus', 'postgresql://sesame@127.0.0.1:15432/orders?sslmode=disable'],
      opened: 'TablePlus',
    });
    expect(planGuiLaunch(orders, { configured: 'psql {url}' })).toEqual({
      how: 'command',
      argv: ['psql', 'postgresql://127.0.0.1:15432/orders?sslmode=disable'],
      opened: 'psql',
    });
  });

  const expected: Record<string, Record<OsName, string[]>> = {
    dbeaver: {
      linux: [
        'dbeaver',
        '-con',
        'driver=postgresql|host=127.0.0.1|port=15432|database=orders|user=sesame|name=Sesame orders|save=false|connect=true',
      ],
      darwin: [
        'open',
        '-na',
        'DBeaver',
        '--args',
        '-con',
        'driver=postgresql|host=127.0.0.1|port=15432|database=orders|user=sesame|name=Sesame orders|save=false|connect=true',
      ],
      win32: [
        'dbeaver.exe',
        '-con',
        'driver=postgresql|host=127.0.0.1|port=15432|database=orders|user=sesame|name=Sesame orders|save=false|connect=true',
      ],
    },
    pgadmin4: { linux: ['pgadmin4'], darwin: ['open', '-na', 'pgAdmin 4'], win32: ['pgAdmin4.exe'] },
    datagrip: { linux: ['datagrip'], darwin: ['open', '-na', 'DataGrip'], win32: ['datagrip64.exe'] },
    tableplus: {
      linux: ['tableplus', 'postgresql://sesame@127.0.0.1:15432/orders?sslmode=disable'],
      darwin: ['open', '-a', 'TablePlus', 'postgresql://sesame@127.0.0.1:15432/orders?sslmode=disable'],
      win32: ['TablePlus.exe', 'postgresql://sesame@127.0.0.1:15432/orders?sslmode=disable'],
    },
    'beekeeper-studio': {
      linux: ['beekeeper-studio', 'postgresql://sesame@127.0.0.1:15432/orders?sslmode=disable'],
      darwin: ['open', '-a', 'Beekeeper Studio', 'postgresql://sesame@127.0.0.1:15432/orders?sslmode=disable'],
      win32: ['Beekeeper Studio.exe', 'postgresql://sesame@127.0.0.1:15432/orders?sslmode=disable'],
    },
  };
  for (const [gui, byOs] of Object.entries(expected)) {
    for (const os of ['linux', 'darwin', 'win32'] as const) {
      it(`${gui} on ${os}`, () => {
        const plan = planGuiLaunch(orders, { choice: gui as keyof typeof KNOWN_GUIS, os });
        expect(plan).toMatchObject({ how: 'command', argv: byOs[os] });
        if (gui === 'pgadmin4' || gui === 'datagrip')
          expect(plan).toMatchObject({
            hint: expect.stringMatching(
              /host 127\.0\.0\.1, port 15432, database orders, any user name and no password/,
            ),
          });
      });
    }
  }

  it('MySQL Workbench gets a --query connection for mysql only', () => {
    expect(planGuiLaunch(shop, { choice: 'mysql-workbench', os: 'linux' })).toMatchObject({
      argv: ['mysql-workbench', '--query', 'sesame@127.0.0.1:13306'],
    });
    expect(planGuiLaunch(shop, { choice: 'mysql-workbench', os: 'darwin' })).toMatchObject({
      argv: ['open', '-na', 'MySQLWorkbench', '--args', '--query', 'sesame@127.0.0.1:13306'],
    });
    expect(() => planGuiLaunch(orders, { choice: 'mysql-workbench' })).toThrow(
      'MySQL Workbench does not open postgres connections',
    );
  });

  it('refuses what a GUI cannot do: unix sockets, specs a value would break, ssh', () => {
    expect(() => planGuiLaunch({ ...orders, listen: 'unix:/tmp/.s.PGSQL.5432' }, { choice: 'dbeaver' })).toThrow(
      /DBeaver needs a TCP address/,
    );
    expect(() => planGuiLaunch({ ...orders, database: 'a|host=evil' }, { choice: 'dbeaver' })).toThrow(
      /containing \| or =/,
    );
    expect(() => planGuiLaunch({ name: 'bastion', protocol: 'ssh', listen: '127.0.0.1:2222' })).toThrow(
      /use Open terminal/,
    );
  });

  it('never puts a password in any plan', () => {
    for (const gui of Object.keys(KNOWN_GUIS) as (keyof typeof KNOWN_GUIS)[]) {
      for (const target of [orders, shop]) {
        if (!KNOWN_GUIS[gui].protocols.includes(target.protocol)) continue;
        for (const os of ['linux', 'darwin', 'win32'] as const) {
          const plan = planGuiLaunch(target, { choice: gui, os });
          const launched = JSON.stringify(plan.how === 'url' ? plan.url : plan.argv);
          expect(launched).not.toMatch(/password|\/\/[^/@]*:[^/@]*@/i);
        }
      }
    }
  });
});

describe('what "Open terminal" runs', () => {
  it('ssh to the broker as the target user, psql with the URL, mysql with the address', () => {
    expect(planTerminal({ name: 'bastion', protocol: 'ssh', listen: '127.0.0.1:2222', user: 'deploy' })).toEqual({
      how: 'terminal',
      argv: ['ssh', '-p', '2222', 'deploy@127.0.0.1'],
      opened: 'ssh in a terminal',
    });
    expect(planTerminal({ name: 'bastion', protocol: 'ssh', listen: '127.0.0.1:2222' }).argv).toEqual([
      'ssh',
      '-p',
      '2222',
      '127.0.0.1',
    ]);
    expect(planTerminal(orders).argv).toEqual(['psql', 'postgresql://127.0.0.1:15432/orders?sslmode=disable']);
    expect(planTerminal({ ...shop, listen: 'unix:/run/mysqld.sock' }).argv).toEqual([
      'mysql',
      '-S',
      '/run/mysqld.sock',
      '-u',
      'sesame',
      '-D',
      'shop',
    ]);
    expect(() => planTerminal({ name: 'agent', protocol: 'ssh-agent', listen: 'unix:/tmp/a.sock' })).toThrow(
      /no terminal client/,
    );
  });
});
