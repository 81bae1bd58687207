// The weight editor: a small dialog to set one weight or bias by hand.

const $ = (id) => document.getElementById(id);

// `hub` holds the page's shared state and glue (see main.js): app, the views, command, configure, …
export function setupEditor(hub) {
  const { command, note } = hub;

  let editing = null;
  let returnFocus = null;  // what had focus (a link or neuron chosen by keyboard) gets it back
  function openEditor({ layer, kind, index, value, dead = false, x, y }) {
    editing = { layer, kind, index };
    returnFocus = document.activeElement;
    const ed = $('editor');
    $('editor-label').textContent = kind === 'weight' ? `Weight w${index[0] + 1}→${index[1] + 1} (layer ${layer + 1})` : `Bias b${index[0] + 1} (layer ${layer + 1})`;
    // A dead link (TFP profile) takes the value but stays dead, as in TensorFlow Playground.
    if (dead) $('editor-label').textContent += ', dead: kept as set, never trained';
    $('editor-input').value = Number(value).toFixed(4);
    ed.style.left = `${Math.min(x, window.innerWidth - 260)}px`;
    ed.style.top = `${Math.min(y + 8, window.innerHeight - 50)}px`;
    ed.classList.remove('hidden');
    $('editor-input').focus();
    $('editor-input').select();
  }

  async function commitEditor() {
    if (!editing) return;
    const value = Number($('editor-input').value);
    if (!Number.isFinite(value)) { note('Enter a number.'); return; }
    const e = editing;
    closeEditor();
    await command({ type: 'set_param', layer: e.layer, kind: e.kind, index: e.index, value });
  }

  function closeEditor() {
    editing = null;
    $('editor').classList.add('hidden');
    if (returnFocus?.isConnected && returnFocus !== document.body) returnFocus.focus();
    returnFocus = null;
  }

  $('editor-ok').addEventListener('click', commitEditor);
  $('editor-cancel').addEventListener('click', closeEditor);
  $('editor-input').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') commitEditor();
    if (ev.key === 'Escape') closeEditor();
  });


  return { openEditor };
}
