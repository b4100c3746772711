// Two members with one name are told apart by the end of their member id, which
// every page in the room sees the same (a number would depend on who joined first here).

const SUFFIX_CHARS = 4;

/** For each member, the name to list and, when another member has that name too, a short tag of its id. */
export function memberLabels(members) {
  const count = new Map();
  for (const m of members) count.set(m.name, (count.get(m.name) ?? 0) + 1);
  return members.map((m) => ({
    member: m,
    name: m.name,
    tag: count.get(m.name) > 1 ? `#${String(m.id).replace(/[^A-Za-z0-9]/g, '').slice(-SUFFIX_CHARS)}` : '',
  }));
}
