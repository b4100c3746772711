// Chat page: the UI of one room. The connection (reconnects with backoff, `since`,
// re-sent refs, each message once, the member list) is the client library's,
// src/client, bundled into vendor/chat-client.js by `npm run build:page`.

import { connectRoom } from './vendor/chat-client.js';
import { claimsOf, fetchToken, hasExpired, nameOf, readSession, refreshDelay, store } from './session.js';
import { textNodes } from './message-text.js';
import { dayLabel, decorate } from './message-groups.js';
import { followScroll } from './follow-scroll.js';
import { ownIdsOf, rememberOwn } from './own-messages.js';
import { memberLabels } from './member-labels.js';
import { describeStatus } from './status-text.js';
import { refusalReason } from './refusal-reason.js';

const ROOM_RE = /^[A-Za-z0-9_.-]{1,64}$/;
const NAME_MAX = 32;
const TEXT_MAX = 2000;
const MAX_MESSAGES = 500;
const BACKLOG_MAX = 50;   // a welcome without `since` brings at most the latest 50 (docs/protocol.md)
const PAGE_SIZE = 50;     // messages per "Load older messages"
const NOTICE_MS = 5000;
/** Failed asks of tokenUrl in a row before the page says the session is over. */
const TOKEN_URL_TRIES = 3;
// The server remembers a ref for 10 minutes; the library re-sends for 9 (older: 'expired').
const RESEND_MAX_AGE_MS = 9 * 60_000;
// A token that expires within this is renewed before a socket is opened with it.
const TOKEN_MARGIN_MS = 1000;
const NEWEST_FIRST_KEY = 'chat.newestFirst';

const $ = (id) => document.getElementById(id);
const els = {
  connectForm: $('connect-form'),
  room: $('room'),
  name: $('name'),
  roomError: $('room-error'),
  disconnect: $('disconnect'),
  status: $('status'),
  notice: $('notice'),
  members: $('members'),
  log: $('messages'),
  older: $('older'),
  sendForm: $('send-form'),
  message: $('message'),
  jump: $('jump'),
  chat: $('chat'),
  newestFirst: $('newest-first'),
  roomTitle: $('room-title'),
  editConnection: $('edit-connection'),
  membersToggle: $('members-toggle'),
};
const follow = followScroll(els.log, els.jump);

const state = {
  chat: null,            // the library's ChatRoom, while connected or reconnecting
  off: [],               // its listeners' unsubscribe functions
  wantConnected: false,  // false only after Disconnect, a refusal (or before the first Connect)
  room: null,            // the room whose messages are on screen
  name: '',
  token: null,           // the JWT the socket is opened with, when the page has one
  tokenUrl: null,        // a same-origin URL that hands out a fresh token
  you: null,
  instance: '',
  lastId: null,          // the last id delivered, kept across Disconnect for the next `since`
  ownIds: new Set(),
  pending: new Set(),    // elements of sends not acked yet (each with its ref and first send time)
  loadedOlder: false,    // the user loaded older history: the list is no longer trimmed
  members: [],
  memberCount: 0,
  hasOlder: null,        // whether the room keeps messages older than those shown (null: not known yet)
  loadingOlder: false,
  noticeTimer: 0,
  refreshTimer: 0,
  newestFirst: false,    // the seed's view: composer and newest message on top
  live: false,
  unread: 0,             // messages from others that came while the tab was hidden
  known: null,           // the members by id, to tell who joined and left (null: the next list is the baseline)
};

// ---- ids ----

function parseId(id) {
  const m = /^(\d+)-(\d+)$/.exec(String(id));
  return m ? [BigInt(m[1]), BigInt(m[2])] : [-1n, -1n];
}

function compareIds(a, b) {
  const [a1, a2] = parseId(a);
  const [b1, b2] = parseId(b);
  if (a1 !== b1) return a1 < b1 ? -1 : 1;
  if (a2 !== b2) return a2 < b2 ? -1 : 1;
  return 0;
}

// ---- status, notices, validation ----

function setStatus(kind, why = {}) {
  els.status.dataset.state = kind;
  els.status.textContent = describeStatus(kind, { instance: state.instance, ...why });
  state.live = kind === 'connected';
  // The phone's header folds once connected and stays folded while the library reconnects.
  if (state.live || !state.wantConnected) document.body.dataset.connected = String(state.live);
  updateTitle();
}

// ---- tab title ----

function updateTitle() {
  const room = state.wantConnected && state.room ? state.room : '';
  const unread = state.unread > 0 ? `(${state.unread}) ` : '';
  document.title = room ? `${unread}${room} · Chat` : 'Chat';
  els.roomTitle.textContent = room;
}

function onVisibility() {
  if (document.visibilityState !== 'visible') return;
  state.unread = 0;
  updateTitle();
}

function showNotice(text) {
  els.notice.textContent = text;
  clearTimeout(state.noticeTimer);
  state.noticeTimer = setTimeout(() => { els.notice.textContent = ''; }, NOTICE_MS);
}

function validateRoom(room) {
  const ok = ROOM_RE.test(room);
  els.roomError.textContent = ok
    ? ''
    : 'Room names are 1–64 characters: letters, digits, "_", "." or "-".';
  els.room.setAttribute('aria-invalid', String(!ok));
  return ok;
}

function updateButtons() {
  els.disconnect.disabled = !state.wantConnected;
}

function writeUrl(room, name) {
  const url = new URL(location.href);
  url.searchParams.set('room', room);
  if (name) url.searchParams.set('name', name);
  else url.searchParams.delete('name');
  history.replaceState(null, '', url);
}

// ---- message list ----

function span(className, text) {
  const el = document.createElement('span');
  el.className = className;
  el.textContent = text;
  return el;
}

function setTime(el, ts) {
  const time = el.querySelector('time');
  const date = new Date(Number(ts) || Date.now());
  el.dataset.ts = String(date.getTime());
  time.dateTime = date.toISOString();
  time.textContent = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  time.title = `${dayLabel(date)}, ${date.toLocaleTimeString()}`;
}

function setLabel(el, text) {
  el.querySelector('.state').textContent = text;
}

/** A list entry: the sender (shown on the first of a group), the text with its lines and links, the time. */
function buildMessage({ name, from, ts, text, mine }) {
  const el = document.createElement('div');
  el.className = 'msg';
  el.dataset.from = from;
  const meta = document.createElement('div');
  meta.className = 'meta';
  meta.append(span('from', name));
  const body = document.createElement('span');
  body.className = 'text';
  body.append(...textNodes(text));
  el.append(meta, body, document.createElement('time'), span('state', ''));
  setTime(el, ts);
  if (mine) markMine(el);
  return el;
}

/** Who sent it, for grouping: the user (with tokens) or the member, never only the name. */
const senderOf = (from) => (from?.user !== undefined ? `u:${from.user}` : `m:${from?.id ?? ''}`);

/** A message from the library or from history, as a list entry with its id. */
function messageElement(m) {
  // With tokens, `user` also marks what this user sent from another tab or before a reload.
  const you = state.chat?.you ?? state.you;
  const mine = m.from?.id === you?.id || state.ownIds.has(m.id) || (you?.user !== undefined && m.from?.user === you.user);
  const el = buildMessage({ name: m.from?.name ?? '?', from: senderOf(m.from), ts: m.ts, text: String(m.text ?? ''), mine });
  el.dataset.id = m.id;
  return el;
}

function markMine(el) {
  if (el.classList.contains('mine')) return;
  el.classList.add('mine');
  el.querySelector('.from').after(span('you', 'you'));
}

/** A quiet line: someone joined or left. Ordered after the last message delivered before it. */
function presenceLine(text) {
  const el = document.createElement('div');
  el.className = 'event';
  el.dataset.id = newestId();
  el.dataset.ts = String(Date.now());
  el.textContent = text;
  return el;
}

// Oldest first, by id; pending sends stay at the end until acked. Entries without an
// id (day lines) are put back by decorate.
function insertSorted(el) {
  const id = el.dataset.id;
  let node = els.log.lastElementChild;
  while (node && (node.classList.contains('pending') || !node.dataset.id || compareIds(node.dataset.id, id) > 0)) {
    node = node.previousElementSibling;
  }
  els.log.insertBefore(el, node ? node.nextElementSibling : els.log.firstElementChild);
}

function redraw() {
  decorate(els.log, state.newestFirst);
}

// The list keeps the latest MAX_MESSAGES; what it drops can be loaded again. Once the
// user loaded older messages, nothing is trimmed: trimming the oldest would remove
// exactly what they asked for.
function trimLog() {
  if (state.loadedOlder) return;
  let trimmed = false;
  let count = els.log.querySelectorAll('.msg').length;
  // Join and leave lines count too, under a looser bound: a busy door must not grow the list for ever.
  while (count > MAX_MESSAGES || els.log.children.length > 2 * MAX_MESSAGES) {
    const oldest = els.log.firstElementChild;
    if (oldest.classList.contains('msg')) count--;
    oldest.remove();
    trimmed = true;
  }
  if (trimmed) {
    state.hasOlder = true;
    updateOlder();
  }
}

/** The newest id the page knows: delivered (the library's lastId) or shown (one's own acked sends). */
function newestId() {
  let newest = state.chat?.lastId ?? state.lastId ?? '0-0';
  for (let node = els.log.lastElementChild; node; node = node.previousElementSibling) {
    if (node.classList.contains('pending') || !node.dataset.id) continue;
    if (compareIds(node.dataset.id, newest) > 0) newest = node.dataset.id;
    break;
  }
  return newest;
}

function findById(id) {
  return els.log.querySelector(`.msg[data-id="${CSS.escape(id)}"]`);
}

function oldestShownId() {
  let oldest = null;
  for (const el of els.log.querySelectorAll('.msg[data-id]')) {
    if (oldest === null || compareIds(el.dataset.id, oldest) < 0) oldest = el.dataset.id;
  }
  return oldest;
}

function insertGapMarker() {
  const sep = document.createElement('div');
  sep.className = 'sep';
  sep.textContent = '(some messages may be missing)';
  sep.dataset.id = state.chat?.lastId ?? oldestShownId() ?? '0-0';
  const before = els.log.querySelector('.pending');
  const last = before ? before.previousElementSibling : els.log.lastElementChild;
  if (!last || last.classList.contains('sep')) return;
  els.log.insertBefore(sep, before);
  redraw();
}

// ---- members ----

function renderMembers() {
  const you = state.chat?.you ?? state.you;
  const items = memberLabels(state.members).map(({ member: m, name, tag }) => {
    const li = document.createElement('li');
    li.dataset.id = m.id;
    li.textContent = name;
    if (tag) li.append(' ', span('tag', tag));
    if (m.id === you?.id) {
      li.classList.add('me');
      li.append(' ', span('you', 'you'));
    }
    return li;
  });
  // A big room lists only some of its members (docs/protocol.md "Big rooms").
  if (state.memberCount > state.members.length) {
    const more = document.createElement('li');
    more.className = 'more';
    more.textContent = `and ${state.memberCount - state.members.length} more`;
    items.push(more);
  }
  els.members.replaceChildren(...items);
  els.membersToggle.textContent = `Members (${Math.max(state.memberCount, state.members.length)})`;
}

function clearMembers() {
  state.members = [];
  state.memberCount = 0;
  renderMembers();
}

// ---- what the library reports ----

function onWelcome(w) {
  state.you = w.you;
  state.instance = w.instance ?? '';
  state.known = null;
  if (state.token) els.name.value = w.you?.name ?? els.name.value;
  // The first welcome of a room on screen tells whether it has more than its backlog.
  if (state.hasOlder === null) {
    state.hasOlder = !w.recovered && Number(w.backlog) >= BACKLOG_MAX;
    updateOlder();
  }
  scheduleRefresh();
}

function onMessage(m) {
  if (typeof m?.id !== 'string' || findById(m.id)) return;
  follow.update(() => {
    insertSorted(messageElement(m));
    trimLog();
    redraw();
  });
  if (document.visibilityState === 'hidden') {
    state.unread++;
    updateTitle();
  }
  if (state.hasOlder && els.older.hidden) updateOlder();
}

function onStatus(s) {
  switch (s.state) {
    case 'live':
      state.instance = s.instance ?? state.instance;
      setStatus('connected');
      return;
    case 'connecting':
    case 'reconnecting':
      // A browser hides why an upgrade was refused, so a refused token is told by its exp
      // (rather than retried: the library would try 3 times, then stop with 'refused');
      // with tokenUrl, the token function renews it instead.
      if (s.state === 'reconnecting' && !state.tokenUrl && hasExpired(state.token)) return expire();
      clearTimeout(state.refreshTimer);
      // retryInMs: the library's delay before its next try, when its status gives one.
      setStatus(s.state, { reason: s.reason, code: s.code, retryInMs: s.retryInMs });
      explainRefusal(s);
      return;
    case 'closed':
      // The library stopped by itself (we unsubscribe before closing it).
      if (s.code === 4001 || s.reason === 'token expired') return expire();
      state.wantConnected = false;
      closeChat();
      clearMembers();
      setStatus('closed', { reason: s.reason, code: s.code });
      showNotice(`Disconnected: ${s.reason ?? 'closed'}${s.code ? ` (${s.code})` : ''}`);
      updateButtons();
      return;
    default:
      return undefined;
  }
}

/** Quiet lines for who joined and left since the last list (the first list after a welcome is the baseline). */
function tellPresence(list) {
  const now = new Map(list.map((m) => [m.id, m]));
  const before = state.known;
  state.known = now;
  if (!before) return;
  const lines = [];
  for (const [id, m] of now) if (!before.has(id)) lines.push(`${m.name} joined`);
  for (const [id, m] of before) if (!now.has(id)) lines.push(`${m.name} left`);
  if (!lines.length) return;
  follow.update(() => {
    for (const text of lines) insertSorted(presenceLine(text));
    trimLog();
    redraw();
  });
}

/**
 * A refusal the library could only number ("could not connect (HTTP 503)"): the page
 * asks the server's words once and, while the library still retries, shows them.
 */
async function explainRefusal(s) {
  const chat = state.chat;
  if (!/\(HTTP \d{3}\)$/.test(s.reason ?? '') || !chat) return;
  const detail = await refusalReason(state.room, state.token);
  if (!detail || chat !== state.chat || chat.status !== s) return;
  setStatus('reconnecting', { reason: `${s.reason}: ${detail}`, code: s.code, retryInMs: s.retryInMs });
}

function onMembers(list, count) {
  state.members = Array.isArray(list) ? list : [];
  tellPresence(state.members);
  state.memberCount = typeof count === 'number' ? count : state.members.length;
  renderMembers();
}

// ---- tokens ----

function useToken(token) {
  state.token = token;
  store(token);
}

function scheduleRefresh() {
  clearTimeout(state.refreshTimer);
  const delay = state.tokenUrl && refreshDelay(state.token);
  if (delay) state.refreshTimer = setTimeout(refreshToken, delay);
}

// Before `exp`, in band: the connection stays. Should this fail, the close with 4001 renews instead.
async function refreshToken() {
  const chat = state.chat;
  const token = await fetchToken(state.tokenUrl);
  if (!token || token === state.token || !chat || chat !== state.chat) return;
  try {
    await chat.refresh(token);
  } catch {
    return;
  }
  if (chat !== state.chat) return;
  useToken(token);
  scheduleRefresh();
}

/**
 * The token for each socket the library opens, when the page has a tokenUrl: the one
 * it holds while that is good, else a fresh one (after a 4001, or a refused upgrade).
 * Without one the session is over: say so and stop rather than retry in a loop.
 */
function tokenSource() {
  let failures = 0;
  return async () => {
    if (state.token && !hasExpired(state.token, Date.now() + TOKEN_MARGIN_MS)) return state.token;
    const chat = state.chat;
    setStatus('renewing');
    const token = await fetchToken(state.tokenUrl);
    if (token && !hasExpired(token)) {
      failures = 0;
      useToken(token);
      return token;
    }
    // One failed answer (a 503 in passing) is retried by the library with backoff; several in a row end the session.
    if (++failures >= TOKEN_URL_TRIES && chat && chat === state.chat) expire();
    throw new Error('tokenUrl gave no valid token');
  };
}

function expire() {
  state.wantConnected = false;
  closeChat();
  clearMembers();
  setStatus('expired');
  updateButtons();
}

// ---- connection ----

function openChat() {
  const chat = connectRoom(location.origin, state.room, {
    name: state.token || state.tokenUrl ? undefined : state.name,
    // With a tokenUrl, a function: the library asks it again after a 4001.
    token: state.tokenUrl ? tokenSource() : state.token ?? undefined,
    since: state.lastId ?? undefined,
  });
  state.chat = chat;
  state.off = [
    chat.on('welcome', onWelcome),
    chat.on('message', onMessage),
    chat.on('members', onMembers),
    chat.on('gap', insertGapMarker),
    chat.on('status', onStatus),
  ];
}

/** Stops the library's connection, keeping where it got to for the next `since`. */
function closeChat() {
  clearTimeout(state.refreshTimer);
  const chat = state.chat;
  if (!chat) return;
  state.chat = null;
  for (const off of state.off.splice(0)) off();
  state.lastId = chat.lastId ?? state.lastId;
  state.you = chat.you ?? state.you;
  chat.close();
  // What it had not sent waits: the next Connect sends it again with its ref (the
  // server answers a ref it has seen with the first ack, so nothing is doubled).
  for (const el of state.pending) setLabel(el, 'waiting to send…');
}

/** Sends again, on a new room of the library, what an earlier one had not seen acked. */
function resendPending(chat) {
  for (const el of state.pending) {
    if (Date.now() - Number(el.dataset.sentAt) > RESEND_MAX_AGE_MS) {
      state.pending.delete(el);
      failSend(el, 'not sent');
      continue;
    }
    setLabel(el, 'sending…');
    chat.send(el.dataset.text, { ref: el.dataset.ref, sentAt: Number(el.dataset.sentAt) })
      .then((ack) => onSent(el, ack), (err) => onSendFailed(el, err, chat));
  }
}

function newRef() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function resetRoom(room) {
  state.room = room;
  state.lastId = null;
  state.ownIds = ownIdsOf(room);
  state.known = null;
  state.unread = 0;
  state.hasOlder = null;
  state.loadedOlder = false;
  // What waited to be sent was for the other room.
  for (const el of state.pending) failSend(el, 'not sent');
  state.pending.clear();
  els.log.replaceChildren();
  clearMembers();
  updateOlder();
}

// ---- sending ----

function onSent(el, { id, ts }) {
  if (!state.pending.delete(el)) return;
  if (typeof id !== 'string' || !el.isConnected) return;
  state.ownIds.add(id);
  rememberOwn(state.room, id);
  const existing = findById(id);
  if (existing) {
    // Already shown from a backlog (sent before a reconnect): keep that copy.
    el.remove();
    markMine(existing);
    return;
  }
  el.classList.remove('pending');
  el.dataset.id = id;
  setTime(el, ts);
  setLabel(el, '');
  follow.update(() => {
    el.remove();
    insertSorted(el);
    trimLog();
    redraw();
  });
}

function failSend(el, label) {
  el.classList.replace('pending', 'failed');
  setLabel(el, label);
  const retry = document.createElement('button');
  retry.type = 'button';
  retry.className = 'retry';
  retry.textContent = 'retry';
  retry.addEventListener('click', () => retrySend(el));
  el.querySelector('.state').after(retry);
}

/**
 * Sends a failed message again with its first ref: the server answers a ref it
 * saw in the last 10 minutes with the first ack, so a message that did arrive
 * is not doubled. Past that, a new ref: it was not delivered.
 */
function retrySend(el) {
  const chat = state.chat;
  if (!state.wantConnected || !chat) {
    showNotice('Not connected: press Connect first.');
    return;
  }
  el.querySelector('.retry')?.remove();
  el.classList.replace('failed', 'pending');
  if (Date.now() - Number(el.dataset.sentAt) > RESEND_MAX_AGE_MS) {
    el.dataset.ref = newRef();
    el.dataset.sentAt = String(Date.now());
  }
  setLabel(el, 'sending…');
  state.pending.add(el);
  chat.send(el.dataset.text, { ref: el.dataset.ref, sentAt: Number(el.dataset.sentAt) })
    .then((ack) => onSent(el, ack), (err) => onSendFailed(el, err, chat));
}

function onSendFailed(el, err, chat) {
  // A room the page closed (Disconnect) rejects what it had not sent: that waits for the next Connect.
  if (err?.code === 'closed' && chat !== state.chat) return;
  if (!state.pending.delete(el)) return;
  const code = err?.code ? `${err.code}: ` : '';
  showNotice(`${code}${err?.message ?? 'not sent'}`);
  failSend(el, 'failed');
}

// ---- older messages ----

function updateOlder() {
  els.older.hidden = !state.hasOlder || !els.log.querySelector('.msg[data-id]');
  els.older.disabled = state.loadingOlder;
}

async function historyPage(room, before) {
  const url = `/rooms/${encodeURIComponent(room)}/history?before=${encodeURIComponent(before)}&limit=${PAGE_SIZE}`;
  const ask = () => fetch(url, {
    cache: 'no-store',
    headers: state.token ? { accept: 'application/json', authorization: `Bearer ${state.token}` } : { accept: 'application/json' },
  });
  let res = await ask();
  if (res.status === 401 && state.tokenUrl) {
    const token = await fetchToken(state.tokenUrl);
    if (token) {
      useToken(token);
      res = await ask();
    }
  }
  if (!res.ok) {
    let message = `HTTP ${res.status}`;
    try {
      const body = await res.json();
      message = `${body.error?.code ?? 'error'}: ${body.error?.message ?? message}`;
    } catch {
      // Not the JSON error body: the status says enough.
    }
    throw new Error(message);
  }
  return res.json();
}

async function loadOlder() {
  const room = state.room;
  const before = oldestShownId();
  if (!room || !before || state.loadingOlder) return;
  state.loadingOlder = true;
  updateOlder();
  try {
    const page = await historyPage(room, before);
    if (room !== state.room) return;
    state.loadedOlder = true;
    follow.update(() => {
      for (const m of Array.isArray(page.messages) ? page.messages : []) {
        if (typeof m?.id === 'string' && !findById(m.id)) insertSorted(messageElement(m));
      }
      redraw();
    }, { isNew: false });
    state.hasOlder = page.next !== null && page.next !== undefined;
  } catch (err) {
    showNotice(`Could not load older messages: ${err.message}`);
  } finally {
    state.loadingOlder = false;
    updateOlder();
  }
}

// ---- user actions ----

function connect() {
  const room = els.room.value.trim();
  if (!validateRoom(room)) {
    els.room.focus();
    return;
  }
  const name = state.token ? '' : [...els.name.value.trim()].slice(0, NAME_MAX).join('');
  els.room.value = room;
  if (!state.token) els.name.value = name;
  closeChat();
  if (room !== state.room) resetRoom(room);
  state.name = name;
  state.wantConnected = true;
  document.body.dataset.editing = 'closed';
  els.editConnection.setAttribute('aria-expanded', 'false');
  writeUrl(room, name);
  setStatus('connecting');
  openChat();
  resendPending(state.chat);
  updateButtons();
}

function disconnect() {
  state.wantConnected = false;
  closeChat();
  clearMembers();
  setStatus('disconnected');
  updateButtons();
}

function sendMessage() {
  const text = els.message.value;
  if (!text.trim()) return;
  if ([...text].length > TEXT_MAX) {
    showNotice(`Message is too long (at most ${TEXT_MAX} characters).`);
    return;
  }
  const chat = state.chat;
  if (!state.wantConnected || !chat) {
    showNotice('Not connected: press Connect first.');
    return;
  }
  const name = chat.you?.name ?? state.you?.name ?? (state.name || 'you');
  const el = buildMessage({ name, from: senderOf(chat.you ?? state.you), ts: Date.now(), text, mine: true });
  el.classList.add('pending');
  setLabel(el, 'sending…');
  follow.update(() => {
    els.log.append(el);
    redraw();
  }, { force: true });
  el.dataset.ref = newRef();
  el.dataset.text = text;
  el.dataset.sentAt = String(Date.now());
  state.pending.add(el);
  // The library queues it while reconnecting and re-sends it with its ref: it resolves once.
  // After a Disconnect, the next Connect sends it again with the same ref (resendPending).
  chat.send(text, { ref: el.dataset.ref, sentAt: Number(el.dataset.sentAt) })
    .then((ack) => onSent(el, ack), (err) => onSendFailed(el, err, chat));
  els.message.value = '';
  els.message.focus();
}

function readNewestFirst() {
  try {
    return localStorage.getItem(NEWEST_FIRST_KEY) === '1';
  } catch {
    return false;
  }
}

function applyNewestFirst(value) {
  state.newestFirst = value;
  els.chat.classList.toggle('newest-first', value);
  redraw();
  follow.setNewestFirst(value);
}

/** Opens or closes a folded part of the phone layout (the connect form, the member panel). */
function toggle(part, button, focus) {
  const open = document.body.dataset[part] !== 'open';
  document.body.dataset[part] = open ? 'open' : 'closed';
  button.setAttribute('aria-expanded', String(open));
  if (open) focus?.focus();
}

// The server names a member with a token after it, so the field shows that name and cannot be edited.
function showTokenName() {
  els.name.value = nameOf(claimsOf(state.token));
  els.name.readOnly = true;
  els.name.title = 'Your name comes from your sign-in token';
}

async function init() {
  const params = new URLSearchParams(location.search);
  els.room.value = params.get('room') ?? 'lobby';
  els.name.value = params.get('name') ?? '';
  ({ token: state.token, tokenUrl: state.tokenUrl } = readSession());
  if (state.token) showTokenName();

  els.connectForm.addEventListener('submit', (e) => { e.preventDefault(); connect(); });
  els.disconnect.addEventListener('click', disconnect);
  els.sendForm.addEventListener('submit', (e) => { e.preventDefault(); sendMessage(); });
  els.message.addEventListener('keydown', (e) => {
    // Enter sends, Shift+Enter adds a line; Enter that ends an IME composition only ends it.
    if (e.key !== 'Enter' || e.shiftKey || e.isComposing || e.keyCode === 229) return;
    e.preventDefault();
    sendMessage();
  });
  els.newestFirst.checked = readNewestFirst();
  applyNewestFirst(els.newestFirst.checked);
  els.newestFirst.addEventListener('change', () => {
    applyNewestFirst(els.newestFirst.checked);
    try {
      localStorage.setItem(NEWEST_FIRST_KEY, els.newestFirst.checked ? '1' : '0');
    } catch {
      // Storage is off: the choice lasts as long as the page.
    }
  });
  els.editConnection.addEventListener('click', () => toggle('editing', els.editConnection, els.room));
  els.membersToggle.addEventListener('click', () => toggle('members', els.membersToggle));
  $('members-close').addEventListener('click', () => toggle('members', els.membersToggle));
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && document.body.dataset.members === 'open') toggle('members', els.membersToggle);
  });
  document.addEventListener('visibilitychange', onVisibility);
  els.older.addEventListener('click', () => void loadOlder());
  els.room.addEventListener('input', () => {
    if (els.roomError.textContent) validateRoom(els.room.value.trim());
  });

  setStatus('disconnected');
  updateButtons();
  if (!state.token && state.tokenUrl) {
    const token = await fetchToken(state.tokenUrl);
    if (!token) return setStatus('no-token');
    useToken(token);
    showTokenName();
  }
  if (params.has('room')) connect();
}

void init();
