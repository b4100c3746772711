// The list follows new messages while the reader is at the newest; once they
// scrolled away it stays put and a button says that new messages came. In the
// newest-on-top view the newest is where the list starts, so there is nothing
// to follow: the browser's scroll anchoring keeps what the reader looks at.

/** Within this many pixels of the end counts as at the end. */
const AT_END_PX = 40;

export function followScroll(log, jump) {
  let newestFirst = false;
  const atEnd = () => log.scrollHeight - log.scrollTop - log.clientHeight <= AT_END_PX;
  const toEnd = () => {
    if (!newestFirst) log.scrollTop = log.scrollHeight;
    jump.hidden = true;
  };
  log.addEventListener('scroll', () => {
    if (newestFirst || atEnd()) jump.hidden = true;
  });
  jump.addEventListener('click', toEnd);
  return {
    /**
     * Runs `change`, which adds to the list: `isNew` when it brings a new message
     * (at the end), not older history (at the start); `force` for one's own send.
     */
    update(change, { isNew = true, force = false } = {}) {
      if (newestFirst) return change();
      const wasAtEnd = atEnd();
      const fromEnd = log.scrollHeight - log.scrollTop;
      change();
      if (force || (isNew && wasAtEnd)) return toEnd();
      // Older history went in above what the reader looks at: keep that where it was.
      if (!isNew) log.scrollTop = log.scrollHeight - fromEnd;
      else jump.hidden = false;
    },
    setNewestFirst(value) {
      newestFirst = value;
      jump.hidden = true;
      log.scrollTop = value ? -log.scrollHeight : log.scrollHeight;
    },
    toEnd,
  };
}
