// A ZIP archive of named files, made in the browser by fflate (vendored, MIT; see vendor/fflate).
// Stored, not deflated: the entries are PNGs, already compressed, so deflate would only cost time.

import { zipSync } from '../vendor/fflate/fflate.js';

/**
 * A Blob (application/zip) holding `entries`, [{name, data: Uint8Array}]; a name may hold folders
 * ("trip/beach.png"). Names repeated are made unique ("beach-2.png"), so no entry hides another.
 */
export function zipBlob(entries) {
  const files = {};
  for (const { name, data } of entries) files[uniqueName(files, name)] = [data, { level: 0 }];
  return new Blob([zipSync(files)], { type: 'application/zip' });
}

function uniqueName(taken, name) {
  if (!(name in taken)) return name;
  const dot = name.lastIndexOf('.');
  const [stem, ext] = dot > name.lastIndexOf('/') ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  let n = 2;
  while (`${stem}-${n}${ext}` in taken) n += 1;
  return `${stem}-${n}${ext}`;
}

/** Let the browser save `blob` as `filename`, as a click on a download link would. */
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  // Revoked later, not at once: the download reads the URL after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
