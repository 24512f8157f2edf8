// Vault's error strings and network failures in the words a user reads: Go's multierror text
// split into its items (each once), an invalid token said as such, and the HTTP parser's codes
// explained as "that address does not speak HTTP".
import { describe, expect, it } from 'vitest';
import { errorForStatus, networkWords, vaultErrorItems } from './errors';

describe('vaultErrorItems', () => {
  it("splits Go's multierror text and keeps each item once", () => {
    expect(vaultErrorItems(['2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n'])).toEqual([
      'permission denied',
      'invalid token',
    ]);
    expect(vaultErrorItems(['1 error occurred:\n\t* permission denied\n\n', 'permission denied'])).toEqual([
      'permission denied',
    ]);
    expect(vaultErrorItems(['invalid username or password'])).toEqual(['invalid username or password']);
  });
});

describe('errorForStatus', () => {
  it('says an invalid token once, in plain words', () => {
    const error = errorForStatus(
      403,
      'auth/token/lookup-self',
      ['2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n'],
      'http://vault:8200',
    );
    expect(error.kind).toBe('permission-denied');
    expect(error.message).toBe('Vault refused the token for auth/token/lookup-self: it is invalid, expired or revoked');
  });

  it('a policy refusal says "permission denied" once', () => {
    const error = errorForStatus(403, 'secret/data/x', ['1 error occurred:\n\t* permission denied\n\n'], 'http://v');
    expect(error.message).toBe('Vault denied access to secret/data/x (permission denied)');
  });

  it('a refused login keeps what Vault said, once', () => {
    const error = errorForStatus(400, 'auth/userpass/login/dev', ['invalid username or password'], 'http://v');
    expect(error.message).toBe('Vault refused auth/userpass/login/dev (400): invalid username or password');
  });
});

describe('networkWords', () => {
  it('explains the HTTP parser codes of an address that speaks another protocol', () => {
    expect(networkWords('HPE_INVALID_CONSTANT')).toMatch(/^that address does not speak HTTP \(HPE_INVALID_CONSTANT\)/);
    expect(networkWords('ECONNREFUSED')).toBe('nothing is listening there (ECONNREFUSED)');
    expect(networkWords('EWHATEVER')).toBe('EWHATEVER');
  });
});
