// The Activity filter: by level, connection, client process and text (address and process too).
import { describe, expect, it } from 'vitest';
import type { ActivityEvent } from '../../../app/api';
import { filterActivity, processNames, type ActivityFilter } from './activity';

const event = (id: string, patch: Partial<ActivityEvent>): ActivityEvent => ({
  id,
  time: `2026-01-01T00:00:0${id}.000Z`,
  level: 'info',
  kind: 'client-connected',
  message: 'm',
  ...patch,
});
const items = [
  event('1', {
    connection: 'orders',
    message: 'psql (pid 41) connected from 127.0.0.1:50001',
    client: '127.0.0.1:50001',
    process: { pid: 41, name: 'psql', exe: '/usr/bin/psql' },
  }),
  event('2', {
    connection: 'shop',
    message: 'DBeaver (pid 7) connected from 127.0.0.1:50002',
    client: '127.0.0.1:50002',
    process: { pid: 7, name: 'DBeaver' },
  }),
  event('3', { connection: 'orders', message: 'client 127.0.0.1:50003 connected', client: '127.0.0.1:50003' }),
  event('4', { kind: 'session', message: 'logged in' }),
];
const all: ActivityFilter = { level: 'all', connection: 'all', process: 'all', text: '' };
const ids = (filter: Partial<ActivityFilter>) => filterActivity(items, { ...all, ...filter }).map((e) => e.id);

describe('activity filter', () => {
  it('filters by client process, alone and with the connection', () => {
    expect(processNames(items)).toEqual(['DBeaver', 'psql']);
    expect(ids({ process: 'psql' })).toEqual(['1']);
    expect(ids({ process: 'DBeaver', connection: 'orders' })).toEqual([]);
    expect(ids({ connection: 'orders' })).toEqual(['1', '3']);
    expect(ids({})).toEqual(['1', '2', '3', '4']);
  });

  it('finds events by the client address and the process name in the text', () => {
    expect(ids({ text: '50003' })).toEqual(['3']);
    expect(ids({ text: 'dbeaver' })).toEqual(['2']);
  });
});
