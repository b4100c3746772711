// What makes a long list readable: a line for each new day, and consecutive
// messages of one sender within a few minutes under one name. Recomputed over
// the whole list (at most a few hundred entries) after each change.

/** Messages of one sender closer than this are one group. */
export const GROUP_GAP_MS = 5 * 60_000;

const dayKey = (date) => `${date.getFullYear()}-${date.getMonth()}-${date.getDate()}`;

export function dayLabel(date) {
  return date.toLocaleDateString([], { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' });
}

function daySeparator(date) {
  const el = document.createElement('div');
  el.className = 'day';
  el.setAttribute('role', 'separator');
  el.textContent = dayLabel(date);
  return el;
}

/**
 * Puts day separators in and marks each message that continues its sender's
 * group (`.cont`). The list is oldest first; with `newestFirst` it is shown
 * reversed, so a day's separator goes after its last entry (shown above it).
 */
export function decorate(log, newestFirst = false) {
  for (const old of log.querySelectorAll(':scope > .day')) old.remove();
  let day = null;
  let prev = null;
  let lastOfDay = null;
  for (const el of Array.from(log.children)) {
    const ts = Number(el.dataset.ts);
    if (Number.isFinite(ts) && ts > 0) {
      const date = new Date(ts);
      if (dayKey(date) !== day) {
        if (newestFirst && lastOfDay) lastOfDay.after(daySeparator(new Date(Number(lastOfDay.dataset.ts))));
        else if (!newestFirst) el.before(daySeparator(date));
        day = dayKey(date);
        prev = null;
      }
      lastOfDay = el;
    }
    if (!el.classList.contains('msg')) {
      prev = null;
      continue;
    }
    const continues = prev !== null
      && prev.dataset.from === el.dataset.from
      && prev.classList.contains('mine') === el.classList.contains('mine')
      && Math.abs(ts - Number(prev.dataset.ts)) <= GROUP_GAP_MS;
    el.classList.toggle('cont', continues);
    prev = el;
  }
  if (newestFirst && lastOfDay) lastOfDay.after(daySeparator(new Date(Number(lastOfDay.dataset.ts))));
}
