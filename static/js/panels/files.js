// Files and links: share a link, export and import a session as JSON, open a TensorFlow
// Playground link.

import { readTfpLink, tfpLinkOf } from '../tfp.js';

const $ = (id) => document.getElementById(id);

export function download(name, text, type) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type }));
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}


// `hub` holds the page's shared state and glue (see main.js): app, the views, command, configure, …
export function setupFiles(hub) {
  const { app, lossChart, command, configure, note, applyState, applyView, updateHash, linkTooShort } = hub;

  $('share').addEventListener('click', async () => {
    updateHash();
    let copied = true;
    try { await navigator.clipboard.writeText(location.href); } catch { copied = false; }
    if ($('share').dataset.partial === 'true') linkTooShort();
    else note(copied ? 'Link copied: it reproduces this data, network and seed.' : location.href);
  });
  async function exportSession() {
    const reply = await command({ type: 'export' });
    if (reply) download('playground-session.json', JSON.stringify(reply.document, null, 1), 'application/json');
  }
  $('export').addEventListener('click', exportSession);
  $('import').addEventListener('change', async (ev) => {
    const file = ev.target.files[0];
    ev.target.value = '';
    if (!file || !app.sessionId) return;
    const r = await fetch(`/api/sessions/${encodeURIComponent(app.sessionId)}/import`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: await file.text(),
    });
    const body = await r.json();
    if (!r.ok) { note(`Import failed: ${body.detail}`); return; }
    app.custom = true;
    applyState(body.state);
    lossChart.reset(body.history);
    note('Session imported.');
  });
  $('tfp-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const { config, view, ignored } = await readTfpLink($('tfp-url').value.trim());
      Object.assign(app.view, view);
      applyView();
      const reply = await configure(config);
      if (reply) note(`TensorFlow Playground run loaded: its points, weights and training${ignored.length ? ` (no effect there either: ${ignored.join(', ')})` : ''}.`);
    } catch (err) { note(err.message); }
  });
  $('tfp-open').addEventListener('click', async () => {
    if (!app.sessionId) return;
    const out = $('tfp-link');
    try {
      const { link, beyond } = await tfpLinkOf(app.sessionId);
      out.hidden = false;
      const a = $('tfp-link-url');
      a.hidden = link === null;
      if (link !== null) { a.href = link; a.textContent = link; }
      $('tfp-beyond').textContent = beyond.length
        ? `TensorFlow Playground cannot reproduce: ${beyond.join(', ')}.`
        : 'TensorFlow Playground runs exactly this session.';
    } catch (err) { note(err.message); }
  });
  return { exportSession };
}
