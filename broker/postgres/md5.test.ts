import { describe, expect, it } from 'vitest';
import { md5PasswordResponse, md5StoredPassword } from './md5';

describe('md5 password method', () => {
  it('computes the stored hash PostgreSQL keeps for postgres/postgres', () => {
    expect(md5StoredPassword('postgres', 'postgres')).toBe('md53175bce1d3201d16594cebf9d7eb3f9d');
  });

  it('salts the stored hash into the PasswordMessage payload', () => {
    expect(md5PasswordResponse('user', 'pencil', Buffer.from([1, 2, 3, 4]))).toBe(
      'md54376eb6913b38f9aaff38dc7cf19ca76',
    );
    expect(() => md5PasswordResponse('user', 'pencil', Buffer.from([1]))).toThrow(/4 bytes/);
  });
});
