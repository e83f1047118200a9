// A drop zone around a file input: drag-and-drop, the file picker (the input stays focusable, so
// Enter or Space opens it), and pasting an image from the clipboard. With `multiple`, every file
// chosen, dropped or pasted is handed over at once (an array); otherwise only the first one.

export function attachDropzone(zone, input, onFile, { multiple = false, inputs = [] } = {}) {
  const hand = (files) => {
    const list = [...files];
    if (!list.length) return;
    if (multiple) onFile(list);
    else onFile(list[0]);
  };
  for (const field of [input, ...inputs]) {
    field.addEventListener('change', () => {
      const files = [...(field.files || [])];
      // Cleared so that choosing the same file again still fires "change".
      field.value = '';
      hand(files);
    });
  }

  // dragenter/dragleave fire for every child element, so count them rather than toggling.
  let depth = 0;
  const setDragging = (on) => zone.classList.toggle('dragging', on);
  zone.addEventListener('dragenter', (e) => {
    e.preventDefault();
    depth += 1;
    setDragging(true);
  });
  zone.addEventListener('dragover', (e) => {
    e.preventDefault(); // without this the browser opens the dropped file itself
    e.dataTransfer.dropEffect = 'copy';
  });
  zone.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) setDragging(false);
  });
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    depth = 0;
    setDragging(false);
    hand(e.dataTransfer.files || []);
  });

  document.addEventListener('paste', (e) => {
    const files = [...(e.clipboardData?.files || [])];
    if (files.length) {
      e.preventDefault();
      hand(files);
    }
  });
}
