/* qnlive operator's console. Plain JavaScript, no framework, nothing from another host.
 *
 * Security rules kept throughout:
 * - the admin JWT lives in sessionStorage (gone with the tab) and travels only in the
 *   Authorization header, never in a URL;
 * - every value from the server is put into the page with textContent or as a property,
 *   never parsed as HTML;
 * - links to flagged images (stored on the moderation service's host) are followed only when
 *   the operator clicks them, and only http(s) ones are made links at all.
 */
'use strict';

(function () {
  const TOKEN_KEY = 'qnlive.console.token';
  const USER_KEY = 'qnlive.console.user';
  const EXPIRES_KEY = 'qnlive.console.expires_at';
  const ROOMS_PAGE_SIZE = 20;
  const ROOMS_REFRESH_MS = 5000;
  const OPS_POLL_MS = 2000;
  const OPS_POINTS = 60;

  const $ = (id) => document.getElementById(id);

  /* ---- DOM helpers: text only ------------------------------------------------------------ */

  /* el('td', {className: 'num'}, 'text', child, ...): properties are set as properties, so a
   * value can never become markup; children are strings (text nodes) or nodes. */
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (k === 'dataset') Object.assign(node.dataset, v);
      else if (k.startsWith('aria-')) node.setAttribute(k, v);
      else node[k] = v;
    }
    for (const c of children) {
      if (c === null || c === undefined) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  /* Gives each cell of a table body its column's name (data-label): on a phone the rows show
   * as cards, each cell labelled by the stylesheet. */
  function labelCells(table) {
    const names = Array.from(table.tHead.rows[0].cells, (th) => th.textContent);
    for (const tr of table.tBodies[0].rows)
      Array.from(tr.cells).forEach((td, i) => { td.dataset.label = names[i] || ''; });
  }

  function fmtTime(sec) {
    if (!sec) return '—';
    const d = new Date(sec * 1000);
    return isNaN(d.getTime()) ? '—' : d.toLocaleString();
  }

  function fmtDuration(s) {
    s = Math.max(0, Math.floor(s));
    const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
    const m = Math.floor((s % 3600) / 60), sec = s % 60;
    if (d) return d + 'd ' + h + 'h ' + m + 'm';
    if (h) return h + 'h ' + m + 'm ' + sec + 's';
    if (m) return m + 'm ' + sec + 's';
    return sec + 's';
  }

  function num(v) {
    const n = Number(v);
    return Number.isFinite(n) ? n.toLocaleString() : '—';
  }

  /* A link that opens an image of the moderation service in a new tab, or plain text when the
   * URL is not http(s) (a "javascript:" URL must never become clickable). */
  function imageLink(url) {
    let u = null;
    try {
      u = new URL(String(url));
    } catch (e) {
      u = null;
    }
    if (!u || (u.protocol !== 'https:' && u.protocol !== 'http:'))
      return el('span', {className: 'muted'}, 'no link');
    return el('a', {href: u.href, target: '_blank', rel: 'noopener noreferrer',
                    referrerPolicy: 'no-referrer', className: 'image-link'},
              'Open image (' + u.host + ')');
  }

  let flashTimer = 0;
  function flash(text, good) {
    const f = $('flash');
    f.textContent = text;
    f.className = 'flash ' + (good ? 'good' : 'bad');
    clearTimeout(flashTimer);
    flashTimer = setTimeout(() => { f.textContent = ''; }, 8000);
  }

  /* ---- API -------------------------------------------------------------------------------- */

  class ApiError extends Error {
    constructor(message, status, code) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  function token() {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  /* Calls qnlive and returns the envelope's data. A refused token ends the session. */
  /* A failed call, said to the operator; a 401 has already logged out and said why. */
  function report(what, e) {
    if (e.status !== 401) flash(what + ': ' + e.message);
  }

  /* The list of a page answer ({list, ...}), empty when the answer has none. */
  function listOf(d) {
    return d && Array.isArray(d.list) ? d.list : [];
  }

  async function api(method, path, body) {
    const headers = {Accept: 'application/json'};
    const t = token();
    if (t) headers.Authorization = t;
    const init = {method, headers, cache: 'no-store', credentials: 'omit', redirect: 'error'};
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let resp;
    try {
      resp = await fetch(path, init);
    } catch (e) {
      throw new ApiError('qnlive is unreachable', 0, 0);
    }
    let env = null;
    try {
      env = await resp.json();
    } catch (e) {
      env = null;
    }
    const code = env && typeof env.code === 'number' ? env.code : resp.status;
    if (resp.status === 401 && t && path !== '/manager/login') {
      logout('Your session has ended: log in again.');
      throw new ApiError('session ended', 401, code);
    }
    if (!resp.ok || (code !== 0 && code !== 200)) {
      const msg = env && env.message ? env.message : resp.statusText || 'request failed';
      throw new ApiError(msg, resp.status, code);
    }
    return env ? env.data : null;
  }

  /* ---- session ---------------------------------------------------------------------------- */

  let expiryTimer = 0;

  function loggedIn() {
    const t = token();
    const exp = Number(sessionStorage.getItem(EXPIRES_KEY) || 0);
    return !!t && (!exp || exp * 1000 > Date.now());
  }

  async function login(ev) {
    ev.preventDefault();
    const err = $('login-error');
    err.hidden = true;
    const user = $('login-user').value.trim();
    const password = $('login-password').value;
    $('login-submit').disabled = true;
    try {
      const d = await api('POST', '/manager/login', {user_name: user, password});
      if (!d || typeof d.access_token !== 'string') throw new ApiError('no token in the answer', 0, 0);
      sessionStorage.setItem(TOKEN_KEY, d.access_token);
      sessionStorage.setItem(USER_KEY, user);
      sessionStorage.setItem(EXPIRES_KEY, String(Number(d.expires_at) || 0));
      $('login-password').value = '';
      enter();
    } catch (e) {
      err.textContent = 'Login failed: ' + e.message;
      err.hidden = false;
      $('login-password').focus();
    } finally {
      $('login-submit').disabled = false;
    }
  }

  function logout(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(USER_KEY);
    sessionStorage.removeItem(EXPIRES_KEY);
    clearTimeout(expiryTimer);
    stopTimers();
    $('app').hidden = true;
    $('login').hidden = false;
    const err = $('login-error');
    err.textContent = message || '';
    err.hidden = !message;
    $('login-user').focus();
  }

  function enter() {
    $('login').hidden = true;
    $('app').hidden = false;
    $('who').textContent = sessionStorage.getItem(USER_KEY) || '';
    const exp = Number(sessionStorage.getItem(EXPIRES_KEY) || 0);
    clearTimeout(expiryTimer);
    if (exp) {
      /* setTimeout holds 32-bit delays: a far expiry is checked again later */
      const ms = Math.min(exp * 1000 - Date.now(), 2 ** 31 - 1);
      expiryTimer = setTimeout(() => {
        if (!loggedIn()) logout('Your session has expired: log in again.');
      }, Math.max(ms, 0));
    }
    show(pageFromHash());
  }

  /* ---- pages ------------------------------------------------------------------------------ */

  const PAGES = ['rooms', 'moderation', 'gifts', 'operations'];
  const timers = {};

  function stopTimers() {
    for (const k of Object.keys(timers)) {
      clearInterval(timers[k]);
      delete timers[k];
    }
  }

  function pageFromHash() {
    const p = location.hash.replace(/^#/, '');
    return PAGES.includes(p) ? p : 'rooms';
  }

  function show(page) {
    stopTimers();
    for (const p of PAGES) $('page-' + p).hidden = p !== page;
    for (const b of document.querySelectorAll('.tab')) {
      if (b.dataset.page === page) b.setAttribute('aria-current', 'page');
      else b.removeAttribute('aria-current');
    }
    if (location.hash !== '#' + page) history.replaceState(null, '', '#' + page);
    document.title = 'qnlive console: ' + page;
    ({rooms: openRooms, moderation: openModeration, gifts: openGifts,
      operations: openOperations})[page]();
  }

  /* ---- confirmation dialog ------------------------------------------------------------- */

  /* Resolves to {ok, reason}; the reason box shows only when asked for. */
  function confirmAction(title, text, withReason) {
    const dlg = $('confirm');
    $('confirm-title').textContent = title;
    $('confirm-text').textContent = text;
    $('confirm-reason-box').hidden = !withReason;
    $('confirm-reason').value = '';
    return new Promise((resolve) => {
      const done = (ok) => {
        $('confirm-form').onsubmit = null;
        $('confirm-cancel').onclick = null;
        dlg.onclose = null;
        if (dlg.open) dlg.close();
        resolve({ok, reason: $('confirm-reason').value.trim()});
      };
      $('confirm-form').onsubmit = (ev) => { ev.preventDefault(); done(true); };
      $('confirm-cancel').onclick = () => done(false);
      dlg.onclose = () => done(false); /* Escape */
      dlg.showModal();
      (withReason ? $('confirm-reason') : $('confirm-cancel')).focus();
    });
  }

  /* ---- rooms ------------------------------------------------------------------------------ */

  const rooms = {page: 1, q: '', pages: 1};
  const STATUS = {0: 'created', 1: 'on air', 2: 'stopped'};

  function openRooms() {
    loadRooms();
    timers.rooms = setInterval(loadRooms, ROOMS_REFRESH_MS);
  }

  async function loadRooms() {
    const qs = new URLSearchParams({page_num: rooms.page, page_size: ROOMS_PAGE_SIZE});
    if (rooms.q) qs.set('q', rooms.q);
    let d;
    try {
      d = await api('GET', '/admin/console/rooms?' + qs);
    } catch (e) {
      report('Rooms', e);
      return;
    }
    renderRooms(d || {});
  }

  function roomRow(r) {
    const on = r.live_status === 1;
    const stop = el('button', {type: 'button', className: 'danger stop', disabled: !on,
                               'aria-label': 'Stop room ' + (r.title || r.live_id)}, 'Stop');
    stop.addEventListener('click', () => stopRoom(r));
    const violations = el('button', {type: 'button', className: 'history',
                                  'aria-label': 'Violations of room ' + (r.title || r.live_id)},
                       'Violations');
    violations.addEventListener('click', () => {
      $('history-live').value = r.live_id;
      location.hash = '#moderation';
    });
    return el('tr', {dataset: {liveId: r.live_id}},
      el('td', {className: 'title'}, r.title || '(untitled)', el('span', {className: 'sub'}, r.live_id)),
      el('td', {className: 'anchor'}, r.nick || r.anchor_id, el('span', {className: 'sub'}, r.anchor_id)),
      el('td', {className: 'num online'}, num(r.online_count)),
      el('td', {className: 'status'},
         el('span', {className: 'badge' + (on ? ' on' : '')}, STATUS[r.live_status] || String(r.live_status))),
      el('td', {className: 'started'}, fmtTime(r.start_at)),
      el('td', {className: 'num likes'}, num(r.likes)),
      el('td', {className: 'num gifts'}, num(r.gifts)),
      el('td', {className: 'actions'}, stop, violations));
  }

  function renderRooms(d) {
    const list = listOf(d);
    const body = $('rooms-table').tBodies[0];
    clear(body);
    for (const r of list) body.append(roomRow(r));
    labelCells($('rooms-table'));
    $('rooms-empty').hidden = list.length > 0;
    rooms.pages = Math.max(1, Number(d.page_total) || 1);
    $('rooms-page').textContent = 'Page ' + rooms.page + ' of ' + rooms.pages +
      ' (' + num(d.total_count || 0) + ' rooms)';
    $('rooms-prev').disabled = rooms.page <= 1;
    $('rooms-next').disabled = !!d.end_page;
  }

  async function stopRoom(r) {
    const answer = await confirmAction('Stop this room?',
      'Room "' + (r.title || r.live_id) + '" of ' + (r.nick || r.anchor_id) +
      ' goes off air now; its audience is told it was closed by an administrator.', true);
    if (!answer.ok) return;
    try {
      /* the admin stop route; the reason travels in the body, which qnlive writes to the
       * operation log (the room itself records stop_reason "censor", as the reference does) */
      await api('POST', '/admin/censor/stoplive/' + encodeURIComponent(r.live_id),
                {live_id: r.live_id, reason: answer.reason});
      flash('Room ' + r.live_id + ' stopped.', true);
    } catch (e) {
      if (e.status === 404 && e.code === 404)
        flash('Stopping rooms needs moderation (the censor section) configured on this node.');
      else if (e.status !== 401)
        flash('Stop failed: ' + e.message);
    }
    loadRooms();
  }

  /* ---- moderation ------------------------------------------------------------------------ */

  const LABELS = ['pulp', 'terror', 'politician', 'ads'];

  function openModeration() {
    loadCensorConfig().then((on) => {
      if (!on) return;
      loadQueue();
      if ($('history-live').value.trim()) loadHistory();
    });
  }

  function censorAvailable(on) {
    $('censor-off').hidden = on;
    $('censor-on').hidden = !on;
  }

  async function loadCensorConfig() {
    let c;
    try {
      c = await api('GET', '/admin/censor/config');
    } catch (e) {
      if (e.status === 404) {
        censorAvailable(false);
        return false;
      }
      report('Moderation settings', e);
      return false;
    }
    censorAvailable(true);
    c = c || {};
    $('censor-enable').checked = !!c.enable;
    $('censor-interval').value = Number(c.interval) || 1;
    for (const l of LABELS) $('censor-' + l).checked = !!c[l];
    return true;
  }

  async function saveCensorConfig(ev) {
    ev.preventDefault();
    const cfg = {enable: $('censor-enable').checked,
                 interval: parseInt($('censor-interval').value, 10)};
    for (const l of LABELS) cfg[l] = $('censor-' + l).checked;
    if (!Number.isInteger(cfg.interval) || cfg.interval < 1 || cfg.interval > 60) {
      $('censor-status').textContent = 'The interval must be 1 to 60 seconds.';
      return;
    }
    $('censor-save').disabled = true;
    try {
      await api('POST', '/admin/censor/config', cfg);
      $('censor-status').textContent = 'Saved.';
      await loadCensorConfig();
    } catch (e) {
      $('censor-status').textContent = 'Not saved: ' + e.message;
    } finally {
      $('censor-save').disabled = false;
    }
  }

  function verdict(img) {
    const v = String(img.suggestion || '');
    return el('span', {className: 'badge ' + (v === 'block' ? 'block' : v === 'review' ? 'review' : '')}, v || '—');
  }

  function labelsText(img) {
    return LABELS.filter((l) => img[l] && img[l] !== 'pass').map((l) => l + ': ' + img[l]).join(', ') || '—';
  }

  function fmtMs(ms) {
    return fmtTime(Math.floor(Number(ms) / 1000));
  }

  async function loadQueue() {
    let d;
    try {
      d = await api('GET', '/admin/censor/record?is_review=0&page_num=1&page_size=50');
    } catch (e) {
      report('Review queue', e);
      return;
    }
    const list = listOf(d);
    const body = $('queue-table').tBodies[0];
    clear(body);
    for (const img of list) {
      const pass = el('button', {type: 'button', className: 'approve'}, 'Approve');
      const block = el('button', {type: 'button', className: 'danger reject'}, 'Reject');
      pass.addEventListener('click', () => review(img, 1));
      block.addEventListener('click', () => review(img, 2));
      body.append(el('tr', {dataset: {imageId: String(img.id)}},
        el('td', {className: 'num'}, String(img.id)),
        el('td', {}, String(img.live_id || '')),
        el('td', {}, fmtMs(img.created_at)),
        el('td', {}, verdict(img)),
        el('td', {}, labelsText(img)),
        el('td', {}, imageLink(img.url)),
        el('td', {className: 'actions'}, pass, block)));
    }
    labelCells($('queue-table'));
    $('queue-empty').hidden = list.length > 0;
  }

  async function review(img, answer) {
    const body = {live_id: String(img.live_id || ''), image_list: [img.id], review_answer: answer};
    if (answer === 2 && $('queue-notify').checked) body.notify = true;
    try {
      await api('POST', '/admin/censor/audit', body);
      flash('Frame ' + img.id + (answer === 1 ? ' approved.' : ' rejected.'), true);
    } catch (e) {
      report('Review failed', e);
    }
    loadQueue();
  }

  async function loadHistory(ev) {
    if (ev) ev.preventDefault();
    const id = $('history-live').value.trim();
    if (!id) return;
    let d;
    try {
      const qs = new URLSearchParams({live_id: id, page_num: 1, page_size: 100});
      d = await api('GET', '/admin/censor/record?' + qs);
    } catch (e) {
      report('Violation history', e);
      return;
    }
    const list = listOf(d);
    const body = $('history-table').tBodies[0];
    clear(body);
    const answers = {1: 'approved', 2: 'rejected'};
    for (const img of list) {
      const reviewed = img.is_review ? (answers[img.review_answer] || 'reviewed') +
        (img.review_user_id ? ' by ' + img.review_user_id : '') : 'waiting';
      body.append(el('tr', {},
        el('td', {className: 'num'}, String(img.id)),
        el('td', {}, fmtMs(img.created_at)),
        el('td', {}, verdict(img)),
        el('td', {}, labelsText(img)),
        el('td', {}, reviewed),
        el('td', {}, imageLink(img.url))));
    }
    labelCells($('history-table'));
    $('history-empty').hidden = list.length > 0;
  }

  /* ---- gifts ------------------------------------------------------------------------------ */

  const GIFT_FIELDS = {id: 'gift_id', type: 'type', name: 'name', amount: 'amount', order: 'order',
                       'animation-type': 'animation_type', img: 'img', 'animation-img': 'animation_img'};
  const GIFT_INTS = ['gift_id', 'type', 'amount', 'order', 'animation_type'];

  function openGifts() {
    loadGifts();
  }

  async function loadGifts() {
    let list;
    try {
      list = await api('GET', '/admin/gift/config/-1');
    } catch (e) {
      const off = e.status === 404;
      $('gifts-off').hidden = !off;
      $('gifts-on').hidden = off;
      if (!off && e.status !== 401) flash('Gifts: ' + e.message);
      return;
    }
    $('gifts-off').hidden = true;
    $('gifts-on').hidden = false;
    list = Array.isArray(list) ? list : [];
    const body = $('gifts-table').tBodies[0];
    clear(body);
    for (const g of list) {
      const edit = el('button', {type: 'button', className: 'edit',
                                 'aria-label': 'Edit gift ' + g.name}, 'Edit');
      const del = el('button', {type: 'button', className: 'danger delete',
                                'aria-label': 'Delete gift ' + g.name}, 'Delete');
      edit.addEventListener('click', () => editGift(g));
      del.addEventListener('click', () => deleteGift(g));
      body.append(el('tr', {dataset: {giftId: String(g.gift_id)}},
        el('td', {className: 'num'}, String(g.gift_id)),
        el('td', {className: 'num'}, String(g.type)),
        el('td', {className: 'name'}, String(g.name || '')),
        el('td', {className: 'num'}, Number(g.amount) === 0 ? 'any' : num(g.amount)),
        el('td', {className: 'num'}, String(g.order)),
        el('td', {}, g.img ? el('span', {className: 'sub'}, String(g.img)) : '—'),
        el('td', {className: 'actions'}, edit, del)));
    }
    labelCells($('gifts-table'));
    $('gifts-empty').hidden = list.length > 0;
  }

  function editGift(g) {
    for (const [id, key] of Object.entries(GIFT_FIELDS))
      $('gift-' + id).value = g[key] === undefined || g[key] === null ? '' : String(g[key]);
    $('gift-form-title').textContent = 'Edit gift ' + g.gift_id;
    $('gift-status').textContent = '';
    $('gift-name').focus();
  }

  function resetGiftForm() {
    $('gift-form').reset();
    $('gift-form-title').textContent = 'Add a gift';
  }

  async function saveGift(ev) {
    ev.preventDefault();
    const g = {};
    for (const [id, key] of Object.entries(GIFT_FIELDS)) {
      const v = $('gift-' + id).value.trim();
      if (GIFT_INTS.includes(key)) {
        const n = v === '' ? 0 : Number(v);
        if (!Number.isInteger(n)) {
          $('gift-status').textContent = key + ' must be a whole number.';
          return;
        }
        g[key] = n;
      } else {
        g[key] = v;
      }
    }
    $('gift-save').disabled = true;
    try {
      await api('POST', '/admin/gift/config', g);
      $('gift-status').textContent = 'Saved gift ' + g.gift_id + '.';
      resetGiftForm();
      await loadGifts();
    } catch (e) {
      $('gift-status').textContent = 'Not saved: ' + e.message;
    } finally {
      $('gift-save').disabled = false;
    }
  }

  async function deleteGift(g) {
    const a = await confirmAction('Delete this gift?',
      'Gift ' + g.gift_id + ' "' + (g.name || '') + '" disappears from every client.', false);
    if (!a.ok) return;
    try {
      await api('DELETE', '/admin/gift/config/' + encodeURIComponent(g.gift_id));
      flash('Gift ' + g.gift_id + ' deleted.', true);
    } catch (e) {
      report('Delete failed', e);
    }
    loadGifts();
  }

  /* ---- operations ------------------------------------------------------------------------- */

  const ops = {prev: null, points: []};

  function openOperations() {
    ops.prev = null;
    ops.points = [];
    pollOps();
    timers.ops = setInterval(pollOps, OPS_POLL_MS);
  }

  async function pollReady() {
    const dd = $('ops-ready');
    try {
      const r = await fetch('/readyz', {cache: 'no-store', credentials: 'omit'});
      const env = await r.json().catch(() => null);
      const ready = r.ok && env && env.code === 0;
      dd.textContent = ready ? 'ready' : 'not ready' + (env && env.message ? ': ' + env.message : '');
      dd.className = ready ? 'good' : 'bad';
    } catch (e) {
      dd.textContent = 'unreachable';
      dd.className = 'bad';
    }
  }

  /* The q-quantile of the requests between two readings of the cumulative histogram, with
   * linear interpolation inside the bucket (as Prometheus's histogram_quantile). Seconds;
   * Infinity when it lies beyond the last bound, null without requests. */
  function quantile(q, bounds, prev, cur) {
    const d = cur.map((c, i) => c - (prev[i] || 0));
    const total = d[d.length - 1];
    if (!(total > 0)) return null;
    const rank = q * total;
    for (let i = 0; i < bounds.length; i++) {
      if (d[i] >= rank) {
        const lo = i ? bounds[i - 1] : 0;
        const below = i ? d[i - 1] : 0;
        const inside = d[i] - below;
        return inside > 0 ? lo + (bounds[i] - lo) * (rank - below) / inside : bounds[i];
      }
    }
    return Infinity;
  }

  function fmtLatency(s) {
    if (s === null) return 'no requests';
    if (s === Infinity) return '> 10 s';
    return s < 1 ? (s * 1000).toFixed(1) + ' ms' : s.toFixed(2) + ' s';
  }

  async function pollOps() {
    pollReady();
    let s;
    try {
      s = await api('GET', '/admin/node/summary');
    } catch (e) {
      report('Node summary', e);
      return;
    }
    $('ops-version').textContent = String(s.version);
    $('ops-uptime').textContent = fmtDuration(s.uptime_s);
    $('ops-total').textContent = num(s.requests_total);
    $('ops-inflight').textContent = num(s.in_flight);
    const lat = s.latency || {};
    if (ops.prev && s.now_ms > ops.prev.now_ms) {
      const secs = (s.now_ms - ops.prev.now_ms) / 1000;
      const rps = Math.max(0, (s.requests_total - ops.prev.requests_total) / secs);
      const bounds = (lat.bounds_ms || []).map((ms) => ms / 1000);
      const p99 = quantile(0.99, bounds, ops.prev.latency.cumulative || [], lat.cumulative || []);
      $('ops-rps').textContent = rps.toFixed(1);
      $('ops-p99').textContent = fmtLatency(p99);
      ops.points.push({rps, p99ms: p99 === null ? null : Math.min(p99, 10) * 1000});
      if (ops.points.length > OPS_POINTS) ops.points.shift();
      drawChart();
    }
    ops.prev = s;
  }

  function drawChart() {
    const c = $('ops-chart');
    const ctx = c.getContext('2d');
    const w = c.width, h = c.height, pad = 28;
    ctx.clearRect(0, 0, w, h);
    ctx.strokeStyle = '#d1d5db';
    ctx.lineWidth = 1;
    ctx.strokeRect(pad, 8, w - 2 * pad, h - pad - 8);
    const series = [
      {key: 'rps', color: '#1d4ed8', side: 'left'},
      {key: 'p99ms', color: '#b91c1c', side: 'right'},
    ];
    ctx.font = '11px sans-serif';
    for (const sr of series) {
      const vals = ops.points.map((p) => p[sr.key]);
      const max = Math.max(1, ...vals.filter((v) => v !== null));
      ctx.fillStyle = sr.color;
      ctx.textAlign = sr.side === 'left' ? 'left' : 'right';
      ctx.fillText(max.toFixed(max < 10 ? 1 : 0), sr.side === 'left' ? 2 : w - 2, 18);
      ctx.strokeStyle = sr.color;
      ctx.lineWidth = 2;
      ctx.beginPath();
      let started = false;
      vals.forEach((v, i) => {
        if (v === null) {
          started = false;
          return;
        }
        const x = pad + (w - 2 * pad) * (i / (OPS_POINTS - 1));
        const y = h - pad - (h - pad - 8) * (v / max);
        if (started) ctx.lineTo(x, y);
        else ctx.moveTo(x, y);
        started = true;
      });
      ctx.stroke();
    }
    ctx.fillStyle = '#6b7280';
    ctx.textAlign = 'center';
    ctx.fillText('last ' + (OPS_POINTS * OPS_POLL_MS / 1000) + ' s', w / 2, h - 8);
  }

  /* ---- wiring ----------------------------------------------------------------------------- */

  function wire() {
    $('login-form').addEventListener('submit', login);
    $('logout').addEventListener('click', () => logout('You are logged out.'));
    for (const b of document.querySelectorAll('.tab'))
      b.addEventListener('click', () => { location.hash = '#' + b.dataset.page; });
    window.addEventListener('hashchange', () => {
      if (loggedIn()) {
        show(pageFromHash());
        $('main').focus();
      }
    });
    $('rooms-search').addEventListener('submit', (ev) => {
      ev.preventDefault();
      rooms.q = $('rooms-q').value.trim();
      rooms.page = 1;
      loadRooms();
    });
    $('rooms-refresh').addEventListener('click', loadRooms);
    $('rooms-prev').addEventListener('click', () => { rooms.page = Math.max(1, rooms.page - 1); loadRooms(); });
    $('rooms-next').addEventListener('click', () => { rooms.page += 1; loadRooms(); });
    $('censor-form').addEventListener('submit', saveCensorConfig);
    $('queue-refresh').addEventListener('click', loadQueue);
    $('history-form').addEventListener('submit', loadHistory);
    $('gift-form').addEventListener('submit', saveGift);
    $('gift-reset').addEventListener('click', resetGiftForm);
  }

  document.addEventListener('DOMContentLoaded', () => {
    wire();
    if (loggedIn()) enter();
    else logout(token() ? 'Your session has expired: log in again.' : '');
  });
})();
