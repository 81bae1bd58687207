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

// Settings in use that TensorFlow Playground cannot reproduce (the state's `beyond_tfp`,
// under the tfp profile): the control of each carries a "beyond TFP" badge saying why.
const BEYOND = {
  method: ['method', 'TensorFlow Playground steps plain SGD; here the chosen optimizer steps at its updates, on its points, weights and batches.'],
  loss: ['loss', 'TensorFlow Playground minimizes ½(o − t)²; here the cross-entropy of its tanh output read as a probability (o + 1) / 2.'],
  normalize: ['normalize', 'TensorFlow Playground feeds its features unscaled; here they are standardized on the training set.'],
  noise: ['noise', 'TensorFlow Playground\'s noise goes up to 50 (0.5 here); its generator is asked for more.'],
  points: ['points', 'TensorFlow Playground draws 500 points (1,200 for regression); its generator is asked for this many.'],
  hidden: ['layer-count', 'TensorFlow Playground has at most 6 hidden layers of 8 neurons, and one activation for all of them (tanh, relu, sigmoid or linear).'],
};

export function markBeyondTfp(keys) {
  const on = new Set((keys ?? []).map((k) => (k === 'hidden.activation' ? 'hidden' : k)));
  for (const [key, [id, why]] of Object.entries(BEYOND)) {
    const el = document.getElementById(id);
    const host = el && (el.closest('label') ?? el.parentElement);
    if (!host) continue;
    let badge = host.querySelector(`.beyond-tfp[data-key="${key}"]`);
    if (on.has(key) && !badge) {
      badge = document.createElement('span');
      badge.className = 'beyond-tfp';
      badge.dataset.key = key;
      badge.textContent = 'beyond TFP';
      badge.title = `Beyond TensorFlow Playground: ${why}`;
      host.appendChild(badge);
    } else if (!on.has(key) && badge) {
      badge.remove();
    }
    host.classList.toggle('beyond-tfp-host', on.has(key));
  }
}
