// The sample photos the server offers (/samples): a row of buttons, each handing its photo to
// the page as a File, exactly as if it had been uploaded.

import { getJSON, request } from './api.js';

export async function renderSamples(list, onPick, onError) {
  let samples;
  try {
    ({ data: samples } = await getJSON('/samples', { what: 'Loading the sample photos' }));
  } catch {
    list.textContent = 'No sample photos are available; upload one of your own.';
    return;
  }
  const buttons = samples.map((sample) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'sample';
    button.setAttribute('aria-pressed', 'false');
    button.setAttribute('aria-label', `Use the sample photo “${sample.title}”`);
    button.dataset.sample = sample.id;
    const img = document.createElement('img');
    img.src = sample.url;
    img.alt = '';
    img.loading = 'lazy';
    const caption = document.createElement('span');
    caption.textContent = sample.title;
    button.append(img, caption);
    button.addEventListener('click', async () => {
      try {
        const blob = await (await request(sample.url, { what: 'Loading the sample photo' })).blob();
        markChosen(buttons, button);
        onPick(new File([blob], `${sample.id}.jpg`, { type: blob.type || 'image/jpeg' }));
      } catch (err) {
        onError(err);
      }
    });
    return button;
  });
  list.replaceChildren(...buttons);
}

/** Mark one sample as chosen (none when `chosen` is null, e.g. after an upload). */
export function markChosen(buttons, chosen) {
  for (const b of buttons) b.setAttribute('aria-pressed', String(b === chosen));
}

export function clearChosen(list) {
  markChosen([...list.querySelectorAll('.sample')], null);
}
