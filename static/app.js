// Chat page: speaks wire protocol v1.1 (see PROTOCOL.md) over one WebSocket.

import { claimsOf, fetchToken, hasExpired, nameOf, readSession, refreshDelay, store } from './session.js';

const ROOM_RE = /^[A-Za-z0-9_.-]{1,64}$/;
const NAME_MAX = 32;
const TEXT_MAX = 2000;
const MAX_MESSAGES = 500;
const MAX_SEEN = 5000;
const PING_MS = 25_000;
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 10_000;
const NOTICE_MS = 5000;
const CLOSE_TOKEN_EXPIRED = 4001;
const STATUS_TEXT = {
  expired: 'session expired: open the page with a new token',
  renewing: 'renewing the session…',
  'no-token': 'no session: tokenUrl gave no token',
};

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
  sendForm: $('send-form'),
  message: $('message'),
};

const state = {
  ws: null,
  ready: false,          // welcome received on the current socket
  wantConnected: false,  // false only after Disconnect (or before the first Connect)
  room: null,            // the room whose messages are on screen
  name: '',
  token: null,           // the JWT the socket is opened with, when the page has one
  tokenUrl: null,        // a same-origin URL that hands out a fresh token
  offered: null,         // a token sent in `refresh`, taken on `refreshed`
  you: null,
  instance: '',
  lastId: null,
  seen: new Set(),
  ownIds: new Set(),
  pending: new Map(),    // ref -> { text, el }, in send order
  members: new Map(),
  attempt: 0,
  retryTimer: 0,
  pingTimer: 0,
  noticeTimer: 0,
  refreshTimer: 0,
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

function noteId(id) {
  if (state.lastId === null || compareIds(id, state.lastId) > 0) state.lastId = id;
}

function rememberSeen(id) {
  state.seen.add(id);
  // Sets iterate in insertion order, so this drops the oldest ids.
  while (state.seen.size > MAX_SEEN) state.seen.delete(state.seen.values().next().value);
}

function newRef() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // randomUUID is missing outside secure contexts (plain http on a LAN address).
  const b = crypto.getRandomValues(new Uint8Array(16));
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

// ---- status, notices, validation ----

function setStatus(kind) {
  els.status.dataset.state = kind;
  els.status.textContent = kind === 'connected' && state.instance
    ? `connected · ${state.instance}`
    : STATUS_TEXT[kind] ?? kind;
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
  time.dateTime = date.toISOString();
  time.textContent = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

function setLabel(el, text) {
  el.querySelector('.state').textContent = text;
}

function buildMessage({ name, ts, text, mine }) {
  const el = document.createElement('div');
  el.className = 'msg';
  const meta = document.createElement('div');
  meta.className = 'meta';
  meta.append(span('from', name), document.createElement('time'), span('state', ''));
  const body = span('text', text);
  el.append(meta, body);
  setTime(el, ts);
  if (mine) markMine(el);
  return el;
}

function markMine(el) {
  if (el.classList.contains('mine')) return;
  el.classList.add('mine');
  el.querySelector('.from').after(span('you', 'you'));
}

// Newest first. Pending sends stay on top until acked; everything else is ordered by id.
function insertSorted(el) {
  const id = el.dataset.id;
  let node = els.log.firstElementChild;
  while (node && (node.classList.contains('pending')
    || (node.dataset.id && compareIds(node.dataset.id, id) > 0))) {
    node = node.nextElementSibling;
  }
  els.log.insertBefore(el, node);
  trimLog();
}

function trimLog() {
  while (els.log.children.length > MAX_MESSAGES) els.log.lastElementChild.remove();
}

function findById(id) {
  return els.log.querySelector(`.msg[data-id="${CSS.escape(id)}"]`);
}

function insertGapMarker() {
  const first = els.log.querySelector('[data-id]');
  if (first?.classList.contains('sep')) return;
  const sep = document.createElement('div');
  sep.className = 'sep';
  sep.textContent = '(some messages may be missing)';
  sep.dataset.id = state.lastId;
  els.log.insertBefore(sep, first);
}

// ---- members ----

function renderMembers() {
  const items = [...state.members.values()].map((m) => {
    const li = document.createElement('li');
    li.dataset.id = m.id;
    li.textContent = m.name;
    if (m.id === state.you?.id) {
      li.classList.add('me');
      li.append(' ', span('you', 'you'));
    }
    return li;
  });
  els.members.replaceChildren(...items);
}

// ---- incoming frames ----

function onWelcome(f) {
  state.ready = true;
  state.you = f.you;
  state.instance = f.instance ?? '';
  state.attempt = 0;
  if (state.token) els.name.value = f.you?.name ?? els.name.value;
  setStatus('connected');
  scheduleRefresh();
  state.members = new Map((f.members ?? []).map((m) => [m.id, m]));
  renderMembers();
  if (!f.recovered && state.seen.size > 0) insertGapMarker();
  for (const [ref, { text }] of state.pending) transmit(ref, text);
  startPing();
}

function onMessage(f) {
  if (typeof f.id !== 'string') return;
  noteId(f.id);
  if (state.seen.has(f.id)) return;
  rememberSeen(f.id);
  // With tokens, `user` also marks what this user sent from another tab or before a reload.
  const mine = f.from?.id === state.you?.id || state.ownIds.has(f.id) || (state.you?.user !== undefined && f.from?.user === state.you.user);
  const el = buildMessage({ name: f.from?.name ?? '?', ts: f.ts, text: String(f.text ?? ''), mine });
  el.dataset.id = f.id;
  insertSorted(el);
}

function onAck(f) {
  const entry = state.pending.get(f.ref);
  if (!entry || typeof f.id !== 'string') return;
  state.pending.delete(f.ref);
  state.ownIds.add(f.id);
  noteId(f.id);
  const { el } = entry;
  if (state.seen.has(f.id)) {
    // Already shown from a backlog (sent before a reconnect): keep that copy.
    el.remove();
    const existing = findById(f.id);
    if (existing) markMine(existing);
    return;
  }
  rememberSeen(f.id);
  el.classList.remove('pending');
  el.dataset.id = f.id;
  setTime(el, f.ts);
  setLabel(el, '');
  el.remove();
  insertSorted(el);
}

function onError(f) {
  showNotice(`${f.code ?? 'error'}: ${f.message ?? ''}`);
  const entry = f.ref && state.pending.get(f.ref);
  if (!entry) return;
  state.pending.delete(f.ref);
  entry.el.classList.replace('pending', 'failed');
  setLabel(entry.el, 'failed');
}

function onMemberChange(f, present) {
  if (!f.member?.id) return;
  if (present) state.members.set(f.member.id, f.member);
  else state.members.delete(f.member.id);
  renderMembers();
}

function handleFrame(data) {
  let f;
  try { f = JSON.parse(data); } catch { return; }
  if (!f || typeof f !== 'object') return;
  switch (f.type) {
    case 'welcome': return onWelcome(f);
    case 'message': return onMessage(f);
    case 'ack': return onAck(f);
    case 'error': return onError(f);
    case 'join': return onMemberChange(f, true);
    case 'leave': return onMemberChange(f, false);
    case 'refreshed': return onRefreshed();
    default: return undefined; // pong and anything newer
  }
}

// ---- token renewal ----

function scheduleRefresh() {
  clearTimeout(state.refreshTimer);
  const delay = state.tokenUrl && refreshDelay(state.token);
  if (delay) state.refreshTimer = setTimeout(refreshToken, delay);
}

// Before `exp`, in band: the connection stays. Should this fail, the close with 4001 renews instead.
async function refreshToken() {
  const token = await fetchToken(state.tokenUrl);
  if (token && token !== state.token && state.ready) {
    state.offered = token;
    send({ type: 'refresh', token });
  }
}

function onRefreshed() {
  if (!state.offered) return;
  useToken(state.offered);
  state.offered = null;
  scheduleRefresh();
}

function useToken(token) {
  state.token = token;
  store(token);
}

// The server closed with 4001, or refused a token the page sees has expired: renew from
// tokenUrl and reconnect with `since`, or say so and stop rather than retry in a loop.
async function onTokenExpired() {
  if (state.tokenUrl) {
    setStatus('renewing');
    const token = await fetchToken(state.tokenUrl);
    if (!state.wantConnected) return;
    if (token && !hasExpired(token)) {
      useToken(token);
      openSocket();
      return;
    }
  }
  state.wantConnected = false;
  state.members.clear();
  renderMembers();
  setStatus('expired');
  updateButtons();
}

// ---- socket lifecycle ----

function socketUrl() {
  const proto = location.protocol === 'https:' ? 'wss' : 'ws';
  // encodeURIComponent rather than URLSearchParams: the latter writes spaces as "+".
  // With a token the name is the token's: the server ignores the query's.
  let query = state.token ? '' : `name=${encodeURIComponent(state.name)}`;
  if (state.lastId) query += `&since=${encodeURIComponent(state.lastId)}`;
  if (state.token) query += `&token=${encodeURIComponent(state.token)}`;
  return `${proto}://${location.host}/ws/${encodeURIComponent(state.room)}?${query.replace(/^&/, '')}`;
}

function openSocket() {
  clearTimeout(state.retryTimer);
  let ws;
  try {
    ws = new WebSocket(socketUrl());
  } catch {
    scheduleReconnect();
    return;
  }
  state.ws = ws;
  state.ready = false;
  ws.onmessage = (ev) => { if (ws === state.ws) handleFrame(ev.data); };
  ws.onclose = (ev) => { if (ws === state.ws) onSocketClosed(ev.code); };
}

function closeSocket() {
  const ws = state.ws;
  state.ws = null;
  state.ready = false;
  stopPing();
  clearTimeout(state.refreshTimer);
  if (ws) ws.close(1000);
}

function onSocketClosed(code) {
  const welcomed = state.ready;
  state.ws = null;
  state.ready = false;
  stopPing();
  clearTimeout(state.refreshTimer);
  if (!state.wantConnected) setStatus('disconnected');
  // A browser hides why an upgrade was refused, so a refused token is told by its exp.
  else if (code === CLOSE_TOKEN_EXPIRED || (!welcomed && hasExpired(state.token))) void onTokenExpired();
  else scheduleReconnect();
}

function scheduleReconnect() {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** state.attempt);
  state.attempt += 1;
  // Jitter spreads out clients that all lost the same instance at once.
  const delay = base / 2 + Math.random() * (base / 2);
  setStatus('reconnecting');
  clearTimeout(state.retryTimer);
  state.retryTimer = setTimeout(openSocket, delay);
}

function startPing() {
  stopPing();
  state.pingTimer = setInterval(() => send({ type: 'ping' }), PING_MS);
}

function stopPing() {
  clearInterval(state.pingTimer);
}

function send(frame) {
  if (state.ws?.readyState !== WebSocket.OPEN) return false;
  state.ws.send(JSON.stringify(frame));
  return true;
}

// Unsent messages stay queued and go out after the next welcome.
function transmit(ref, text) {
  if (state.ready) send({ type: 'message', text, ref });
}

// ---- user actions ----

function resetRoom(room) {
  state.room = room;
  state.lastId = null;
  state.seen.clear();
  state.ownIds.clear();
  state.pending.clear();
  state.members.clear();
  els.log.replaceChildren();
  renderMembers();
}

function connect() {
  const room = els.room.value.trim();
  if (!validateRoom(room)) {
    els.room.focus();
    return;
  }
  const name = state.token ? '' : [...els.name.value.trim()].slice(0, NAME_MAX).join('');
  els.room.value = room;
  if (!state.token) els.name.value = name;
  if (room !== state.room) resetRoom(room);
  state.name = name;
  state.wantConnected = true;
  state.attempt = 0;
  writeUrl(room, name);
  closeSocket();
  setStatus('connecting');
  openSocket();
  updateButtons();
}

function disconnect() {
  state.wantConnected = false;
  clearTimeout(state.retryTimer);
  closeSocket();
  state.members.clear();
  renderMembers();
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
  if (!state.wantConnected) {
    showNotice('Not connected: press Connect first.');
    return;
  }
  const ref = newRef();
  const name = state.you?.name ?? (state.name || 'you');
  const el = buildMessage({ name, ts: Date.now(), text, mine: true });
  el.classList.add('pending');
  setLabel(el, 'sending…');
  els.log.prepend(el);
  state.pending.set(ref, { text, el });
  transmit(ref, text);
  els.message.value = '';
  els.message.focus();
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
