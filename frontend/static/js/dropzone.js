// A drop zone around a file input: drag-and-drop, the file picker (the input stays focusable, so
// Enter or Space opens it), and pasting an image from the clipboard.

export function attachDropzone(zone, input, onFile) {
  input.addEventListener('change', () => {
    const file = input.files?.[0];
    // Cleared so that choosing the same file again still fires "change".
    input.value = '';
    if (file) onFile(file);
  });

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
    const file = e.dataTransfer.files?.[0];
    if (file) onFile(file);
  });

  document.addEventListener('paste', (e) => {
    const file = [...(e.clipboardData?.files || [])][0];
    if (file) {
      e.preventDefault();
      onFile(file);
    }
  });
}
