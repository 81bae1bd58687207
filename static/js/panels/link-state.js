// The page's link: the state written to the URL hash as it changes, and a link applied to the
// session — on load, and when the hash is edited by hand in the same page.

import { CONFIG_TYPES, DATASETS, DEFAULTS, LIMITS } from '../config.js';
import { VIEW_DEFAULTS, decodePoints, encodePoints, fromHash, toHash } from '../state.js';

const $ = (id) => document.getElementById(id);
export const URL_POINTS_MAX = 300;

// `hub` holds the page's shared state and glue (see main.js): app, command, configure, note, …
export function setupLinkState(hub) {
  const { app, command, configure, note, applyView, markData } = hub;

  // A link applied to the session: its settings, view and points. A setting the session refuses
  // is skipped alone (the others still apply) and named, as is anything the link could not
  // say; the hash is then rewritten to what applies.
  async function applyLink(link, changes) {
    const { view, points } = link;
    const skipped = [...link.skipped];
    app.linking = true;
    try {
      const lesson = app.view.lesson;
      Object.assign(app.view, view);
      applyView();
      if (Object.keys(changes).length && !(await configure(changes, true))) {
        for (const [key, value] of Object.entries(changes)) {
          if (!(await configure({ [key]: value }, true))) skipped.push(`${key} (${app.lastError})`);
        }
      }
      if (points) {
        const { skipped: bad, ...pts } = decodePoints(points, app.state.inputs);
        const reply = await command({ type: 'set_points', ...pts }, false, true);
        if (reply) app.custom = true;
        else skipped.push(`pts (${app.lastError})`);
        if (reply && bad) skipped.push(`${bad} point${bad === 1 ? '' : 's'} of pts`);
      } else if (app.custom && !link.fresh) {
        // The link holds the preset's points: draw them again (the same draw, the same weights).
        const seed = app.config.data_seed;
        if (await configure({ data_seed: seed === LIMITS.seed ? 0 : seed + 1 }, true)) await configure({ data_seed: seed }, true);
      }
      markData();
      // A bare lesson link loads the lesson's own state; a full link already carries it.
      if (app.view.lesson && (link.fresh || app.view.lesson !== lesson)) {
        await hub.lessonMenu.openLesson(app.view.lesson, Object.keys(link.config).length === 0);
      } else if (!app.view.lesson && lesson) {
        await hub.lessonMenu.openLesson('');
      }
    } finally {
      app.linking = false;
    }
    updateHash();
    if (skipped.length) note(`Skipped from the link: ${skipped.join('; ')}. The rest of it applies.`);
  }

  // The hash edited by hand in this tab: it applies as a fresh load of the link would.
  let linkQueue = Promise.resolve();
  window.addEventListener('hashchange', () => {
    linkQueue = linkQueue.then(async () => {
      const hash = location.hash.replace(/^#/, '');
      if (!app.state || app.pendingHash || hash === app.hash) return;
      const link = fromHash(hash);
      const want = { ...DEFAULTS, ...link.config };
      if (!('features' in link.config)) {
        // Features the link leaves out are the dataset's own defaults.
        want.features = (DATASETS[want.dataset] || {}).inputs === 1 ? ['x1'] : DEFAULTS.features;
      }
      const changes = {};
      for (const key of Object.keys(CONFIG_TYPES)) {
        if (key in want && JSON.stringify(want[key]) !== JSON.stringify(app.config[key])) changes[key] = want[key];
      }
      await applyLink({ ...link, view: { ...VIEW_DEFAULTS, ...link.view }, fresh: false }, changes);
    });
  });

  function updateHash() {
    if (!app.state || app.pendingHash || app.linking) return;
    const partial = app.custom && app.points.x.length > URL_POINTS_MAX;
    const pts = app.custom && !partial ? encodePoints(app.points) : null;
    const hash = toHash(app.config, DEFAULTS, app.view, pts);
    app.hash = hash;
    history.replaceState(null, '', hash ? `#${hash}` : location.pathname);
    // A link carries at most URL_POINTS_MAX hand-placed points: past that the Link button says so.
    const share = $('share');
    if (partial !== (share.dataset.partial === 'true')) {
      share.dataset.partial = String(partial);
      share.title = partial
        ? `The link cannot carry ${app.points.x.length} hand-placed points (at most ${URL_POINTS_MAX}): export the session to keep them`
        : 'Copy a link to this exact state';
      if (partial) linkTooShort();
    }
  }

  // Said when the link can no longer carry the points, and again on Link: with an Export.
  function linkTooShort() {
    note(`The link cannot carry your ${app.points.x.length} hand-placed points (at most ${URL_POINTS_MAX}); it holds the settings only. Export the session to keep them.`,
      { label: 'Export session', run: () => hub.filesPanel.exportSession() });
  }

  return { applyLink, updateHash, linkTooShort };
}
