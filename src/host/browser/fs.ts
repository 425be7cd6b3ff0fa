/** A page has no file system: reading or writing a file by path is an error that says so. Same exports as src/host/node/fs.ts. */

const none = (path: string) =>
  new Error(
    `cannot use the file ${path}: there is no file system here (pass the data as an object or text)`,
  );

export function readTextFile(path: string): string {
  throw none(path);
}

export function writeTextFile(path: string, _text: string): void {
  throw none(path);
}
