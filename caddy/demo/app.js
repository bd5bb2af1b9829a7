// authstack demo page: plain JavaScript, no build step, no dependencies.
//
// Security rules this file follows:
//   - It never reads, stores or sends a token itself. The access_token and
//     refresh_token cookies are HttpOnly; the browser attaches them to
//     same-origin requests (credentials: 'same-origin').
//   - Everything it renders goes through textContent / createElement, never
//     innerHTML, so data from the API can't inject markup.
//   - A 401 from an API call triggers exactly one POST /rpc/refresh_token (one
//     at a time in this page: refresh tokens are single-use; another tab
//     refreshing at the same moment is fine, the server accepts a token
//     spent within the last REFRESH_TOKEN_REUSE_INTERVAL seconds) and one
//     retry; if that fails, back to the login form.
'use strict';

(function () {
  const AUTH_HEADERS = { 'Content-Profile': 'auth' }; // auth.* lives in the second exposed schema
  const USER_KEY = 'authstack.user'; // display name only, never a credential

  const $ = (id) => document.getElementById(id);
  const el = {
    message: $('message'),
    loading: $('loading'),
    loginView: $('login-view'),
    loginForm: $('login-form'),
    loginButton: $('login-button'),
    username: $('username'),
    password: $('password'),
    appView: $('app-view'),
    whoami: $('whoami'),
    tasks: $('tasks'),
    taskCount: $('task-count'),
    noTasks: $('no-tasks'),
    status: $('status'),
    reload: $('reload-button'),
    refresh: $('refresh-button'),
    logout: $('logout-button'),
    sessions: $('sessions'),
    sessionCount: $('session-count'),
    signoutAll: $('signout-all-button'),
    passwordForm: $('password-form'),
    oldPassword: $('old-password'),
    newPassword: $('new-password'),
    passwordButton: $('password-button'),
  };

  class SessionExpired extends Error {}

  let refreshes = 0; // successful /rpc/refresh_token calls made by this page
  let epoch = 0; // bumped at every sign-in and sign-out; stale answers are dropped
  let refreshing = null; // the refresh in flight, shared by concurrent callers

  // ---- messages -----------------------------------------------------------

  function showMessage(kind, text) {
    el.message.textContent = text;
    el.message.className = 'message ' + kind;
    el.message.dataset.kind = kind;
    el.message.hidden = false;
  }

  function clearMessage() {
    el.message.textContent = '';
    el.message.hidden = true;
    delete el.message.dataset.kind;
  }

  // Reads a PostgREST error body ({code, message, details, hint}) if there is one.
  async function readError(res) {
    try {
      const body = await res.json();
      if (body && typeof body === 'object') {
        return { code: String(body.code || ''), message: String(body.message || '') };
      }
    } catch (_) { /* not JSON */ }
    return { code: '', message: res.statusText || '' };
  }

  // Retry-After is either delta-seconds or an HTTP date.
  function retryAfterSeconds(res) {
    const v = res.headers.get('Retry-After');
    if (!v) return null;
    if (/^\s*\d+\s*$/.test(v)) return parseInt(v, 10);
    const when = Date.parse(v);
    if (Number.isNaN(when)) return null;
    return Math.max(0, Math.ceil((when - Date.now()) / 1000));
  }

  function describeWait(seconds) {
    if (seconds === null) return 'Try again later.';
    if (seconds < 120) return 'Try again in ' + seconds + ' second' + (seconds === 1 ? '' : 's') + '.';
    return 'Try again in ' + Math.ceil(seconds / 60) + ' minutes.';
  }

  // ---- views ----------------------------------------------------------------

  function showLogin(message) {
    el.loading.hidden = true;
    el.appView.hidden = true;
    el.loginView.hidden = false;
    el.tasks.replaceChildren();
    el.sessions.replaceChildren();
    delete document.body.dataset.sessions;
    document.body.dataset.view = 'login';
    if (message) showMessage(message.kind, message.text);
    el.username.focus();
  }

  function showApp() {
    el.loading.hidden = true;
    el.loginView.hidden = true;
    el.appView.hidden = false;
    document.body.dataset.view = 'app';
  }

  function renderTasks(rows) {
    const items = rows.slice().sort((a, b) => (Number(a.id) || 0) - (Number(b.id) || 0)).map((t) => {
      const li = document.createElement('li');
      li.className = 'task';
      if (t.id !== undefined) li.dataset.id = String(t.id);

      const mark = document.createElement('span');
      mark.className = t.done ? 'done' : 'open';
      mark.textContent = t.done ? '\u2713' : '\u25CB';
      mark.title = t.done ? 'done' : 'open';

      const title = document.createElement('span');
      title.className = 'title';
      title.textContent = t.title === null || t.title === undefined ? '' : String(t.title);

      li.append(mark, title);
      if (t.owner !== undefined && t.owner !== null) {
        const owner = document.createElement('span');
        owner.className = 'owner';
        owner.textContent = String(t.owner);
        li.append(owner);
      }
      return li;
    });
    el.tasks.replaceChildren(...items);
    el.taskCount.textContent = '(' + rows.length + ')';
    el.noTasks.hidden = rows.length !== 0;

    const stored = sessionStorage.getItem(USER_KEY);
    const owner = rows.length && rows[0].owner ? String(rows[0].owner) : '';
    el.whoami.textContent = stored || owner || 'an authenticated user';
  }

  function setStatus(text) {
    el.status.textContent = text;
    document.body.dataset.refreshes = String(refreshes);
  }

  // ---- HTTP -------------------------------------------------------------------

  // POST /rpc/refresh_token; resolves true when a new access token cookie
  // was set, false when the server refused, and rejects when the server
  // can't be reached (so that isn't mistaken for an expired session).
  function refreshSession() {
    if (!refreshing) {
      refreshing = fetch('/rpc/refresh_token', {
        method: 'POST',
        credentials: 'same-origin',
        headers: AUTH_HEADERS,
      }).then((res) => {
        if (res.ok) refreshes++;
        document.body.dataset.refreshes = String(refreshes);
        return res.ok;
      }).finally(() => { refreshing = null; });
    }
    return refreshing;
  }

  // fetch with the session cookies; on 401 refresh once and retry once.
  async function api(path, options) {
    const opts = Object.assign({ credentials: 'same-origin' }, options || {});
    let res = await fetch(path, opts);
    if (res.status !== 401) return res;
    if (!(await refreshSession())) throw new SessionExpired('session expired');
    res = await fetch(path, opts);
    if (res.status === 401) throw new SessionExpired('session expired');
    return res;
  }

  // ---- actions ----------------------------------------------------------------

  async function loadTasks(opts) {
    const initial = opts && opts.initial;
    const started = epoch;
    try {
      const res = await api('/rest/task', { headers: { Accept: 'application/json' } });
      if (started !== epoch) return; // signed out (or in again) meanwhile
      if (!res.ok) {
        const err = await readError(res);
        showApp();
        showMessage('error', 'Could not load tasks (HTTP ' + res.status + '): ' + err.message);
        return;
      }
      const rows = await res.json();
      if (started !== epoch) return;
      showApp();
      renderTasks(Array.isArray(rows) ? rows : []);
      setStatus('Loaded ' + (Array.isArray(rows) ? rows.length : 0) + ' task(s)');
      loadSessions();
    } catch (e) {
      if (started !== epoch) return;
      if (e instanceof SessionExpired) {
        const wasSignedIn = sessionStorage.getItem(USER_KEY) !== null;
        sessionStorage.removeItem(USER_KEY);
        if (initial && !wasSignedIn) {
          showLogin(null); // first visit: just ask to sign in
        } else if (opts && opts.afterLogin) {
          // The login answered 2xx with its Set-Cookie headers, yet the very
          // next call had no session: the browser refused the cookies.
          showLogin({ kind: 'error', text: 'The server accepted the sign-in, but the browser did not keep the session cookies. ' +
            'Secure cookies are dropped on plain-http sites other than localhost: use HTTPS (or COOKIE_SECURE=false for local testing), ' +
            'and check that the browser allows cookies for this site.' });
        } else {
          showLogin({ kind: 'error', text: 'Your session has expired. Please sign in again.' });
        }
        return;
      }
      networkError(e);
    }
  }

  // fetch rejects with a TypeError when the request never got an answer;
  // anything else (say, a body that isn't JSON) is reported as it is.
  function networkError(e) {
    if (document.body.dataset.view !== 'app') showLogin(null);
    const detail = e && e.message ? e.message : String(e);
    showMessage('error', (e instanceof TypeError ? 'Cannot reach the server: ' : 'Unexpected error: ') + detail);
  }

  async function login(ev) {
    ev.preventDefault();
    clearMessage();
    const username = el.username.value.trim();
    const password = el.password.value;
    if (!username || !password) {
      showMessage('error', 'Enter a username and a password.');
      return;
    }
    el.loginButton.disabled = true;
    try {
      const res = await fetch('/rpc/login', {
        method: 'POST',
        credentials: 'same-origin',
        headers: Object.assign({ 'Content-Type': 'application/json' }, AUTH_HEADERS),
        body: JSON.stringify({ user_: username, pass: password }),
      });
      if (res.ok) {
        epoch++;
        el.password.value = '';
        sessionStorage.setItem(USER_KEY, username);
        await loadTasks({ afterLogin: true });
        return;
      }
      if (res.status === 429) {
        showMessage('error', 'Too many login attempts. ' + describeWait(retryAfterSeconds(res)));
        return;
      }
      const err = await readError(res);
      if (res.status === 401 || res.status === 403) {
        showMessage('error', 'Wrong username or password.');
      } else {
        showMessage('error', 'Sign-in failed (HTTP ' + res.status + ')' + (err.message ? ': ' + err.message : '.'));
      }
    } catch (e) {
      networkError(e);
    } finally {
      el.loginButton.disabled = false;
    }
  }

  // Logout ends this session on the server (scope 'global': every session of
  // the user), and the server finds the session from the access_token cookie.
  // That cookie may have expired already (Max-Age), so first get a fresh one
  // with the refresh cookie (which is only ever sent to /rpc/refresh_token).
  // If that fails there is no live session left to end; /rpc/logout still
  // clears both cookies.
  async function logout(scope) {
    clearMessage();
    el.logout.disabled = true;
    el.signoutAll.disabled = true;
    epoch++;
    try {
      try { await refreshSession(); } catch (_) { /* /rpc/logout below reports it */ }
      const opts = { method: 'POST', credentials: 'same-origin', headers: AUTH_HEADERS };
      if (scope) {
        opts.headers = Object.assign({ 'Content-Type': 'application/json' }, AUTH_HEADERS);
        opts.body = JSON.stringify({ scope: scope });
      }
      const res = await fetch('/rpc/logout', opts);
      sessionStorage.removeItem(USER_KEY);
      if (res.ok) {
        showLogin({ kind: 'info', text: scope === 'global' ? 'You have signed out everywhere.' : 'You have signed out.' });
      } else {
        const err = await readError(res);
        showLogin({ kind: 'error', text: 'Sign-out answered HTTP ' + res.status + ': ' + err.message });
      }
    } catch (e) {
      networkError(e);
    } finally {
      el.logout.disabled = false;
      el.signoutAll.disabled = false;
    }
  }

  // ---- sessions and password ------------------------------------------------

  function sessionExpired() {
    epoch++;
    sessionStorage.removeItem(USER_KEY);
    showLogin({ kind: 'error', text: 'Your session has expired. Please sign in again.' });
  }

  function when(v) {
    const d = new Date(String(v));
    return Number.isNaN(d.getTime()) ? '?' : d.toLocaleString();
  }

  function renderSessions(rows) {
    const items = rows.map((s) => {
      const li = document.createElement('li');
      li.dataset.id = String(s.id);
      if (s.current) li.className = 'current';
      const what = document.createElement('span');
      what.className = 'what';
      what.textContent = (s.user_agent ? String(s.user_agent) : 'Unknown browser') + (s.ip ? ' \u2014 ' + String(s.ip) : '');
      if (s.current) {
        const me = document.createElement('span');
        me.className = 'me';
        me.textContent = 'this browser';
        what.append(me);
      }
      const times = document.createElement('span');
      times.className = 'when';
      times.textContent = 'Signed in ' + when(s.created_at) + ', last refreshed ' + when(s.last_used_at);
      const end = document.createElement('button');
      end.type = 'button';
      end.className = 'end';
      end.textContent = s.current ? 'End (sign out)' : 'End';
      end.addEventListener('click', () => endSession(String(s.id), !!s.current, end));
      li.append(what, times, end);
      return li;
    });
    el.sessions.replaceChildren(...items);
    el.sessionCount.textContent = '(' + rows.length + ')';
    document.body.dataset.sessions = String(rows.length);
  }

  // GET /rpc/sessions: the signed-in user's sessions (profile auth).
  async function loadSessions() {
    const started = epoch;
    try {
      const res = await api('/rpc/sessions', { headers: { 'Accept-Profile': 'auth', Accept: 'application/json' } });
      if (started !== epoch) return;
      if (!res.ok) {
        const err = await readError(res);
        showMessage('error', 'Could not load your sessions (HTTP ' + res.status + '): ' + err.message);
        return;
      }
      const rows = await res.json();
      if (started !== epoch) return;
      renderSessions(Array.isArray(rows) ? rows : []);
    } catch (e) {
      if (started !== epoch) return;
      if (e instanceof SessionExpired) sessionExpired();
      else networkError(e);
    }
  }

  function postJSON(path, body) {
    return api(path, {
      method: 'POST',
      headers: Object.assign({ 'Content-Type': 'application/json' }, AUTH_HEADERS),
      body: JSON.stringify(body),
    });
  }

  // Ending this browser's own session is a logout (cookies cleared too).
  async function endSession(id, current, button) {
    clearMessage();
    if (current) {
      await logout();
      return;
    }
    button.disabled = true;
    try {
      const res = await postJSON('/rpc/revoke_session', { session_id: id });
      if (res.ok) {
        showMessage('info', 'Session ended: that browser is signed out.');
      } else {
        const err = await readError(res);
        showMessage('error', 'Could not end the session (HTTP ' + res.status + '): ' + err.message);
      }
      await loadSessions();
    } catch (e) {
      if (e instanceof SessionExpired) sessionExpired();
      else networkError(e);
    } finally {
      button.disabled = false;
    }
  }

  async function changePassword(ev) {
    ev.preventDefault();
    clearMessage();
    const oldPass = el.oldPassword.value;
    const newPass = el.newPassword.value;
    if (!oldPass || !newPass) {
      showMessage('error', 'Enter your current and your new password.');
      return;
    }
    el.passwordButton.disabled = true;
    try {
      const res = await postJSON('/rpc/change_password', { old_pass: oldPass, new_pass: newPass });
      if (res.ok) {
        el.oldPassword.value = '';
        el.newPassword.value = '';
        showMessage('info', 'Password changed. Your other sessions have ended.');
        await loadSessions();
      } else if (res.status === 429) {
        showMessage('error', 'Too many attempts. ' + describeWait(retryAfterSeconds(res)));
      } else if (res.status === 403) {
        showMessage('error', 'The current password is wrong.');
      } else {
        const err = await readError(res);
        showMessage('error', 'The password was not changed: ' + (err.message || 'HTTP ' + res.status) + '.');
      }
    } catch (e) {
      if (e instanceof SessionExpired) sessionExpired();
      else networkError(e);
    } finally {
      el.passwordButton.disabled = false;
    }
  }

  async function refreshClicked() {
    clearMessage();
    let ok;
    try {
      ok = await refreshSession();
    } catch (e) {
      networkError(e);
      return;
    }
    if (ok) {
      await loadTasks();
      setStatus('Session refreshed');
    } else {
      epoch++;
      sessionStorage.removeItem(USER_KEY);
      showLogin({ kind: 'error', text: 'Your session has expired. Please sign in again.' });
    }
  }

  el.loginForm.addEventListener('submit', login);
  el.reload.addEventListener('click', () => { clearMessage(); loadTasks(); });
  el.refresh.addEventListener('click', refreshClicked);
  el.logout.addEventListener('click', () => logout());
  el.signoutAll.addEventListener('click', () => logout('global'));
  el.passwordForm.addEventListener('submit', changePassword);

  document.body.dataset.refreshes = '0';
  loadTasks({ initial: true });
})();
