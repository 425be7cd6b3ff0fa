/** Files under Node (the browser counterpart, src/host/browser/fs.ts, has no file system). */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** The UTF-8 text of the file at `path`; throws Node's error (with its `code`) when it cannot be read. */
export function readTextFile(path: string): string {
  return readFileSync(path, 'utf8');
}

/** Writes `text` to `path`, creating its folder (and parents) first. */
export function writeTextFile(path: string, text: string): void {
  mkdirSync(dirname(path) || '.', { recursive: true });
  writeFileSync(path, text);
}
