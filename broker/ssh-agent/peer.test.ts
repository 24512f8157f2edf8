// Where an ssh client is going, as the approval prompt says it: from real ssh/scp command lines.
import { describe, expect, it } from 'vitest';
import { sshDestination } from './peer';

describe('sshDestination', () => {
  it('finds the destination after options with and without arguments', () => {
    expect(sshDestination(['-F', '/dev/null', '-o', 'BatchMode=yes', '-p', '2222', 'app@127.0.0.1', 'whoami'])).toBe(
      'app@127.0.0.1 port 2222',
    );
    expect(sshDestination(['-tt', '-i', 'key', 'db.internal'])).toBe('db.internal');
    expect(sshDestination(['-p2222', '-lroot', 'host'])).toBe('root@host port 2222');
    expect(sshDestination(['-vAp', '22', 'ssh://me@host:22'])).toBe('ssh://me@host:22');
  });

  it('reads the ssh that scp and sftp start (`-l user -p port -- host sftp`)', () => {
    expect(
      sshDestination([
        '-x',
        '-oPermitLocalCommand=no',
        '-oClearAllForwardings=yes',
        '-oRemoteCommand=none',
        '-oRequestTTY=no',
        '-oForwardAgent=no',
        '-l',
        'deploy',
        '-p',
        '22',
        '-s',
        '--',
        'files.example.com',
        'sftp',
      ]),
    ).toBe('deploy@files.example.com port 22');
  });

  it('has no destination when there is no operand', () => {
    expect(sshDestination(['-V'])).toBeUndefined();
    expect(sshDestination(['-o', 'BatchMode=yes'])).toBeUndefined();
    expect(sshDestination([])).toBeUndefined();
  });
});
