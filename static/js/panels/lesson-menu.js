// The lesson menu: the list of lessons, previous / next, opening one.

import { LESSONS } from '../lessons/index.js';

const $ = (id) => document.getElementById(id);

// `hub` holds the page's shared state and glue (see main.js): app, the views, command, configure, …
export function setupLessonMenu(hub) {
  const { app, lessons, lossChart, updateHash } = hub;

  for (const l of LESSONS) {
    const o = document.createElement('option');
    o.value = l.id;
    o.textContent = l.title;
    $('lesson-select').appendChild(o);
  }

  async function openLesson(id, apply = true) {
    app.view.lesson = id;
    $('lesson-select').value = id;
    const i = LESSONS.findIndex((l) => l.id === id);
    $('lesson-prev').disabled = i <= 0;
    $('lesson-next').disabled = i === LESSONS.length - 1;
    if (id) await lessons.open(id, { apply }); else lessons.close();
    lossChart.reset([]);
    updateHash();
  }

  $('lesson-select').addEventListener('change', () => openLesson($('lesson-select').value));
  $('lesson-prev').addEventListener('click', () => {
    const i = LESSONS.findIndex((l) => l.id === app.view.lesson);
    if (i > 0) openLesson(LESSONS[i - 1].id);
  });
  $('lesson-next').addEventListener('click', () => {
    const i = LESSONS.findIndex((l) => l.id === app.view.lesson);
    openLesson(LESSONS[Math.min(LESSONS.length - 1, i + 1)].id);
  });

  $('lesson-prev').disabled = true;
  return { openLesson };
}
