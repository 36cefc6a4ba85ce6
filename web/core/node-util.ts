/** `promisify` for the page build (web/build.ts resolves `node:util` here). */
export function promisify<T>(fn: (...args: never[]) => unknown): (...args: unknown[]) => Promise<T> {
  return (...args) =>
    new Promise<T>((resolve, reject) =>
      (fn as (...a: unknown[]) => void)(...args, (err: Error | null, value: T) =>
        err ? reject(err) : resolve(value),
      ),
    );
}
