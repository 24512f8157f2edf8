// The cancelable event objects Electron hands to listeners (`event.preventDefault()`).
export interface Cancelable {
  defaultPrevented: boolean;
  preventDefault(): void;
}

export function cancelable<T extends object>(extra?: T): Cancelable & T {
  const event = {
    ...(extra ?? ({} as T)),
    defaultPrevented: false,
    preventDefault() {
      event.defaultPrevented = true;
    },
  };
  return event;
}

/** Lines the stand-in prints, marked so a reader knows they are not Sesame's own. */
export function say(line: string): void {
  process.stdout.write(`[electron-standin] ${line}\n`);
}
