/**
 * POSIX tar (ustar) archives of a few small files, written and read in memory (the page offers a
 * run folder as one download: `tar xf` unpacks it, then `rfm eval` reads it). Regular files only;
 * names up to 100 bytes (with a prefix of up to 155 for longer paths).
 */

/** One file: a path relative to the archive root ('/' separated) and its bytes. */
export interface TarEntry {
  readonly path: string;
  readonly data: Uint8Array;
}

const BLOCK = 512;
const enc = new TextEncoder();
const dec = new TextDecoder();

function putString(h: Uint8Array, at: number, len: number, s: string): void {
  const b = enc.encode(s);
  if (b.length > len) throw new Error(`tar: '${s}' is longer than ${len} bytes`);
  h.set(b, at);
}

/** An octal field: `len - 1` digits and a NUL. */
function putOctal(h: Uint8Array, at: number, len: number, v: number): void {
  putString(h, at, len, v.toString(8).padStart(len - 1, '0') + '\0');
}

function header(path: string, size: number, mtime: number): Uint8Array {
  const h = new Uint8Array(BLOCK);
  let name = path;
  let prefix = '';
  if (enc.encode(path).length > 100) {
    const cut = path.lastIndexOf('/', 155);
    if (cut <= 0) throw new Error(`tar: path '${path}' is too long`);
    prefix = path.slice(0, cut);
    name = path.slice(cut + 1);
  }
  putString(h, 0, 100, name);
  putOctal(h, 100, 8, 0o644);
  putOctal(h, 108, 8, 0);
  putOctal(h, 116, 8, 0);
  putOctal(h, 124, 12, size);
  putOctal(h, 136, 12, mtime);
  h.fill(0x20, 148, 156); // the checksum counts its own field as spaces
  h[156] = 0x30; // '0': a regular file
  putString(h, 257, 6, 'ustar\0');
  putString(h, 263, 2, '00');
  putString(h, 345, 155, prefix);
  let sum = 0;
  for (const b of h) sum += b;
  putString(h, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return h;
}

/** The archive of `entries`, each under `root/` (root '' for none), with modification time `mtime` (seconds). */
export function writeTar(entries: readonly TarEntry[], root = '', mtime = 0): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 2 * BLOCK;
  for (const e of entries) {
    const path = root ? `${root}/${e.path}` : e.path;
    parts.push(header(path, e.data.length, mtime), e.data);
    const pad = (BLOCK - (e.data.length % BLOCK)) % BLOCK;
    if (pad) parts.push(new Uint8Array(pad));
    total += BLOCK + e.data.length + pad;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function readString(h: Uint8Array, at: number, len: number): string {
  const f = h.subarray(at, at + len);
  const end = f.indexOf(0);
  return dec.decode(end < 0 ? f : f.subarray(0, end));
}

/** The regular files of a tar archive (other entry types are skipped); a damaged header is an error. */
export function readTar(bytes: Uint8Array): TarEntry[] {
  const out: TarEntry[] = [];
  let at = 0;
  while (at + BLOCK <= bytes.length) {
    const h = bytes.subarray(at, at + BLOCK);
    if (h.every((b) => b === 0)) break;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i];
    const recorded = parseInt(readString(h, 148, 8).trim(), 8);
    if (sum !== recorded)
      throw new Error(`not a tar archive, or a damaged one (header checksum at byte ${at})`);
    const size = parseInt(readString(h, 124, 12).trim() || '0', 8);
    const name = readString(h, 0, 100);
    const prefix = readString(h, 345, 155);
    const type = String.fromCharCode(h[156] || 0x30);
    const start = at + BLOCK;
    if (start + size > bytes.length) throw new Error(`tar archive cut short in '${name}'`);
    if (type === '0')
      out.push({
        path: prefix ? `${prefix}/${name}` : name,
        data: bytes.slice(start, start + size),
      });
    at = start + Math.ceil(size / BLOCK) * BLOCK;
  }
  return out;
}
