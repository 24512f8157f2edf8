// The other end of a unix stream socket. Node offers no SO_PEERCRED, and /proc/net/unix lists
// sockets without their peers; the kernel tells peers only through sock_diag netlink, which
// `ss` (iproute2) speaks. `ss -xnH` prints one line per connected unix socket:
//
//   u_str ESTAB 0      0      /run/sesame/pg.sock 2021149 * 2021148
//   u_str ESTAB 0      0                        * 2021148 * 2021149
//
// Netid, State, Recv-Q, Send-Q, local address (the bound path, "*" when unbound, "@name" when
// abstract), local inode, peer address, peer inode. Our accepted socket's line has our inode as
// the local one and the client's inode as the peer. A path may hold spaces (ss prints it raw),
// so the line is read around our inode, not split into columns.
import { execFile } from 'node:child_process';

export type SsResult = { output: string } | { failed: string };

/** The peer inode of the unix socket whose own inode is `inode`, from `ss -xnH` output. */
export function findUnixPeerInode(ssOutput: string, inode: number): number | undefined {
  const ours = new RegExp(`^\\S+\\s+\\S+\\s+\\d+\\s+\\d+\\s+.*\\s${inode}\\s+(.*?)\\s+(\\d+)\\s*$`);
  for (const line of ssOutput.split('\n')) {
    if (!line.includes(String(inode))) continue;
    const match = ours.exec(line);
    if (match) return Number(match[2]);
  }
  return undefined;
}

/**
 * Run `ss -xnH` (no -p: ss would then read every process's fds itself, which the finder does
 * more cheaply in its own order). Bounded by `timeoutMs`; a missing ss is a reason, not a throw.
 */
export function runSs(command: string, timeoutMs: number): Promise<SsResult> {
  return new Promise((resolve) => {
    try {
      run(resolve);
    } catch (error) {
      resolve({ failed: `\`${command}\` could not be started: ${(error as Error).message}` });
    }
  });
  function run(resolve: (result: SsResult) => void) {
    execFile(
      command,
      ['-xnH'],
      {
        timeout: Math.max(1, Math.ceil(timeoutMs)),
        killSignal: 'SIGKILL',
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8',
      },
      (error, stdout) => {
        if (!error) return resolve({ output: stdout });
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT')
          return resolve({
            failed: `\`${command}\` (iproute2) is not installed; it is needed to find the other end of a unix socket`,
          });
        if ((error as { killed?: boolean }).killed)
          return resolve({ failed: `\`${command}\` took over ${Math.ceil(timeoutMs)} ms` });
        resolve({ failed: `\`${command} -xnH\` failed: ${error.message.split('\n')[0]}` });
      },
    );
  }
}
