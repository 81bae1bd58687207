// TensorFlow Playground links, read and written by the server: a pasted link becomes a
// session under the tfp profile (TFP's own points, weights, training and loss), and the
// current session's settings become a link, with what TFP cannot show named.

async function reply(r) {
  const body = await r.json();
  if (!r.ok) throw new Error(body.detail ?? `request failed (${r.status})`);
  return body;
}

// {config, view, ignored} for a link (throws with the server's reason if it cannot run).
export async function readTfpLink(link) {
  return reply(await fetch('/api/tfp/link', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ link }),
  }));
}

// {link, beyond} for a session: beyond lists, by setting, what TFP cannot express.
export async function tfpLinkOf(sessionId) {
  return reply(await fetch(`/api/sessions/${encodeURIComponent(sessionId)}/tfp-link`));
}
