/**
 * The safetensors format (as read by PyTorch's and JAX's `safetensors` loaders):
 *   8 bytes: little-endian uint64 N, the header length
 *   N bytes: UTF-8 JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {k: v}}
 *            (padded with spaces so the data starts 8-byte aligned)
 *   the data: each tensor's bytes, little-endian, row-major, at its offsets relative to the data start.
 * Only float32 ('F32') tensors are written; F32 is also the only dtype read.
 */

export interface NamedArray {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

export function encodeSafetensors(
  tensors: Map<string, NamedArray>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length)
      throw new Error(`safetensors: '${name}' has ${t.data.length} values for shape [${t.shape}]`);
    header[name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + 4 * n] };
    offset += 4 * n;
  }
  let json = JSON.stringify(header);
  const raw = new TextEncoder().encode(json);
  const pad = (8 - (raw.length % 8)) % 8;
  json += ' '.repeat(pad);
  const hbytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + hbytes.length + offset);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(hbytes.length), true);
  out.set(hbytes, 8);
  const base = 8 + hbytes.length;
  let o = 0;
  for (const t of tensors.values()) {
    for (let i = 0; i < t.data.length; i++) dv.setFloat32(base + o + 4 * i, t.data[i], true);
    o += 4 * t.data.length;
  }
  return out;
}

export interface DecodedSafetensors {
  tensors: Map<string, NamedArray>;
  metadata: Record<string, string>;
}

/** Parses a safetensors file; a malformed or truncated file is a clear error. */
export function decodeSafetensors(bytes: Uint8Array): DecodedSafetensors {
  if (bytes.length < 8) throw new Error('safetensors: file shorter than its 8-byte header length');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(dv.getBigUint64(0, true));
  if (n > bytes.length - 8)
    throw new Error(`safetensors: header length ${n} exceeds the file (${bytes.length} bytes)`);
  let header: Record<string, any>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw new Error(`safetensors: header is not valid JSON (${(e as Error).message})`);
  }
  const base = 8 + n;
  const tensors = new Map<string, NamedArray>();
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (info.dtype !== 'F32')
      throw new Error(`safetensors: '${name}' has dtype ${info.dtype}; only F32 is supported`);
    const [b, e] = info.data_offsets as [number, number];
    const count = (info.shape as number[]).reduce((a, c) => a * c, 1);
    if (e - b !== 4 * count || base + e > bytes.length)
      throw new Error(
        `safetensors: '${name}' offsets [${b}, ${e}] do not fit shape [${info.shape}] or the file`,
      );
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) data[i] = dv.getFloat32(base + b + 4 * i, true);
    tensors.set(name, { data, shape: info.shape });
  }
  return { tensors, metadata: header.__metadata__ ?? {} };
}
