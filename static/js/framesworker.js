// The frame decoder's worker: binary frames in (their buffers handed over), decoded frames
// out (their maps' buffers handed back), one after another in the order they came.

import { FrameDecoder } from './framedecode.js';

const decoder = new FrameDecoder();
let chain = Promise.resolve();

self.onmessage = ({ data }) => {
  chain = chain.then(() => handle(data));
};

async function handle({ id, buffer, reset }) {
  if (reset) { decoder.reset(); return; }
  try {
    const result = await decoder.decode(buffer);
    self.postMessage({ id, result }, [result.maps.data.buffer]);
  } catch (err) {
    self.postMessage({ id, error: String(err?.message ?? err), missingKey: !!err?.missingKey });
  }
}
