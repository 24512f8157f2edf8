// What the stand-in saw the app do through Electron's APIs, for the tests to read over the
// control socket: notifications shown, URLs handed to the system browser, error boxes, the
// clipboard, and every IPC message both ways (for the leak scan).
export interface IpcRecord {
  direction: 'to-main' | 'to-renderer';
  channel: string;
  payload: string;
}

export const observed = {
  notifications: [] as Array<{ title: string; body: string; icon?: string }>,
  openedExternal: [] as string[],
  errorBoxes: [] as Array<{ title: string; content: string }>,
  clipboard: '',
  ipc: [] as IpcRecord[],
};

/** IPC payloads as JSON text; what cannot be serialised is named, not dropped. */
export function recordIpc(direction: IpcRecord['direction'], channel: string, payload: unknown): void {
  let text: string;
  try {
    text = JSON.stringify(payload) ?? 'undefined';
  } catch {
    text = '<unserialisable>';
  }
  observed.ipc.push({ direction, channel, payload: text });
}
