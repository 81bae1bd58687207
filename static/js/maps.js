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

// The value of map m at cell i.
export function mapValue(maps, m, i) {
  const [lo, hi] = maps.ranges[m];
  return lo + (maps.data[m * maps.size + i] / 255) * (hi - lo);
}
