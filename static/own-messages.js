// The ids of the messages this browser sent, so that they stay marked "you"
// after a reload (a member's id is new on every connection). Bounded: the
// newest OWN_MAX across all rooms.

const KEY = 'chat.ownMessages';
export const OWN_MAX = 500;

function read() {
  try {
    const list = JSON.parse(localStorage.getItem(KEY) ?? '[]');
    return Array.isArray(list) ? list.filter((x) => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/** The ids sent in `room`, as a Set. */
export function ownIdsOf(room) {
  const prefix = `${room}\n`;
  return new Set(read().filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length)));
}

/** Remembers that `id` in `room` was sent from here. */
export function rememberOwn(room, id) {
  const key = `${room}\n${id}`;
  const list = read().filter((k) => k !== key);
  list.push(key);
  try {
    localStorage.setItem(KEY, JSON.stringify(list.slice(-OWN_MAX)));
  } catch {
    // Storage is off or full: the mark lasts as long as the page.
  }
}
