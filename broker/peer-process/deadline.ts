// A lookup has one deadline (a performance.now() time); every wait in it races that deadline.

/** `work`'s value, or undefined once `deadline` has passed (a rejection also gives undefined). */
export function within<T>(deadline: number, work: Promise<T>): Promise<T | undefined> {
  const quiet = work.catch(() => undefined);
  const left = deadline - performance.now();
  if (left <= 0) return Promise.resolve(undefined);
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    quiet,
    new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), left))),
  ]).finally(() => clearTimeout(timer));
}
