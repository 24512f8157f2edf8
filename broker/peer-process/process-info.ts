// What an audit line says about a process, read from /proc/PID:
//   comm  the kernel's name for it (at most 15 characters; a longer name is cut, and then the
//         executable's base name is used when it starts with the cut name);
//   exe   the executable's path (a link; " (deleted)" when the file was replaced since). Only
//         root or the process's owner may read it: for another user's process it is EACCES,
//         and the answer says so instead of leaving the field out silently.
import { readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { within } from './deadline';

export interface ProcessDetails {
  name: string;
  exe?: string;
  /** Why `exe` is missing: "permission denied" for another user's process. */
  exeUnreadable?: string;
}

/** comm and exe of `pid`, each bounded by `deadline`; undefined when the process is gone. */
export async function readProcessDetails(
  procRoot: string,
  pid: number,
  deadline: number,
): Promise<ProcessDetails | undefined> {
  const base = `${procRoot}/${pid}`;
  let exeError: NodeJS.ErrnoException | undefined;
  const [comm, exe] = await Promise.all([
    within(deadline, readFile(`${base}/comm`, 'utf8')),
    within(
      deadline,
      readlink(`${base}/exe`).catch((error: NodeJS.ErrnoException) => {
        exeError = error;
        throw error;
      }),
    ),
  ]);
  if (comm === undefined) return undefined;
  let name = comm.replace(/\n$/, '');
  const exeName = exe ? path.basename(exe.replace(/ \(deleted\)$/, '')) : undefined;
  if (exeName && name.length === 15 && exeName.startsWith(name)) name = exeName;
  if (!name) name = exeName ?? `pid ${pid}`;
  if (exe) return { name, exe };
  const code = exeError?.code;
  const why =
    code === 'EACCES' || code === 'EPERM'
      ? 'permission denied (a process of another user)'
      : code === 'ENOENT'
        ? 'none (a kernel thread, or the process exited)'
        : code
          ? `not readable (${code})`
          : 'not read in time';
  return { name, exeUnreadable: why };
}
