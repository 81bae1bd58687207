// Decoding a frame's maps: base64 → deflate → one byte per grid cell, map after map.

function base64Bytes(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export async function decodeMaps(block) {
  if (block.encoding !== 'u8-deflate-base64') throw new Error(`unknown map encoding ${block.encoding}`);
  const packed = base64Bytes(block.data);
  const stream = new Blob([packed]).stream().pipeThrough(new DecompressionStream('deflate'));
  const data = new Uint8Array(await new Response(stream).arrayBuffer());
  return { ...block, data };
}

// The value of map m at cell i (of its own size; see frames.js for `offsets`).
export function mapValue(maps, m, i) {
  const [lo, hi] = maps.ranges[m];
  const offset = maps.offsets ? maps.offsets[m] : m * maps.size;
  return lo + (maps.data[offset + i] / 255) * (hi - lo);
}

// Where map m is at its finest: the focused copy if it has one, else its own.
export function mapAt(maps, m) {
  if (maps.focus && maps.focus.index === m) return { offset: maps.focus.offset, size: maps.focus.size };
  return { offset: maps.offsets ? maps.offsets[m] : m * maps.size, size: maps.sizes ? maps.sizes[m] : maps.size };
}
