// A painting worker of colorize-render.js: it keeps a band of the photo's rows of L and paints regions of it
// from the ab maps it is sent (distribution.js's renderRegion), handing the pixels back.

import { renderRegion } from './distribution.js';

let band = null; // {L, top, width, height, h, w}

self.onmessage = ({ data }) => {
  if (data.type === 'image') {
    band = data;
    return;
  }
  const { id, ab, region } = data;
  const { L, top, width, height, h, w } = band;
  const pixels = renderRegion(L, top, ab, h, w, width, height, region);
  self.postMessage({ id, region, pixels }, [pixels.buffer]);
};
