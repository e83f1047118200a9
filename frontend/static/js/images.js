// Decoding photos and drawing them into canvases: scaled previews, square crops and rotations.

/** Decode a Blob into an ImageBitmap (EXIF orientation applied, as the server does). */
export function loadBitmap(blob) {
  return createImageBitmap(blob, { imageOrientation: 'from-image' });
}

export function makeCanvas(width, height) {
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(width));
  canvas.height = Math.max(1, Math.round(height));
  return canvas;
}

/** Width and height scaled so the long side is at most `maxSide` (never enlarged). */
export function fitSize(width, height, maxSide) {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  return [Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale))];
}

/** The image drawn at `width` x `height` into a new canvas. */
export function drawScaled(image, width, height) {
  const canvas = makeCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
  return canvas;
}

/** The centred square of the image, resized to `side` x `side`. */
export function squareCrop(image, side) {
  const s = Math.min(image.width, image.height);
  const canvas = makeCanvas(side, side);
  const ctx = canvas.getContext('2d');
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(image, (image.width - s) / 2, (image.height - s) / 2, s, s, 0, 0, side, side);
  return canvas;
}

/**
 * The image turned counter-clockwise by `angle` (0, 90, 180 or 270), the project's convention;
 * canvas rotations are clockwise, hence the minus sign.
 */
export function rotated(image, angle, maxSide = 512) {
  const [w, h] = fitSize(image.width, image.height, maxSide);
  const quarter = ((angle % 360) + 360) % 360 / 90;
  const canvas = quarter % 2 ? makeCanvas(h, w) : makeCanvas(w, h);
  const ctx = canvas.getContext('2d');
  ctx.translate(canvas.width / 2, canvas.height / 2);
  ctx.rotate(-quarter * Math.PI / 2);
  ctx.drawImage(image, -w / 2, -h / 2, w, h);
  return canvas;
}

export function canvasBlob(canvas, type = 'image/png', quality) {
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('the canvas could not be encoded'))), type, quality);
  });
}
