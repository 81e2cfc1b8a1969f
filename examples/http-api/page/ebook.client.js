/* global document, fetch, EventSource, location */
// The ebook page. Served as a file (the page's CSP allows no inline script)
// and run as is. A model's text is untrusted: it is only ever written with
// textContent, and the finished ebook is shown in a sandboxed frame.
(function ebookPage() {
  'use strict';

  const byId = (id) => document.getElementById(id);
  const config = JSON.parse(document.body.dataset.config);
  const ebookId = document.body.dataset.ebook;
  const number = new Intl.NumberFormat();
  const SIZE = 50;
  const RECENT_SIZE = 10;
  const LABELS = {
    waiting: 'waiting',
    writing: 'writing',
    retrying: 'retrying',
    done: 'done',
    failed: 'failed',
  };

  /** A new element of `tag` with a class and text (always as text). */
  function node(tag, className, text) {
    const element = document.createElement(tag);
    if (className) element.className = className;
    if (text !== undefined) element.textContent = text;
    return element;
  }

  async function request(path, init) {
    const response = await fetch(path, {
      ...init,
      headers: { accept: 'application/json', ...init?.headers },
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
    return body;
  }

  let toastTimer;
  function toast(message, kind) {
    const box = byId('toast');
    box.textContent = message;
    box.className = kind || '';
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => (box.hidden = true), 6000);
  }

  /** Ask with the page's own dialog (keyboard: Tab between the buttons, Escape says no). */
  function ask(question) {
    const dialog = byId('confirm');
    byId('confirm-text').textContent = question;
    dialog.returnValue = '';
    return new Promise((resolve) => {
      dialog.addEventListener('close', () => resolve(dialog.returnValue === 'yes'), { once: true });
      dialog.showModal();
    });
  }

  function minutes(ms) {
    const s = Math.max(0, Math.round(ms / 1000));
    return s < 90 ? `${s}s` : `${Math.round(s / 60)} min`;
  }

  // ---- the form ----

  function startForm() {
    byId('new').hidden = false;
    byId('offline').hidden = config.mode !== 'offline';
    byId('pages').max = String(config.maxPages);
    const select = byId('model');
    const models = config.models.length ? config.models : ['offline (no model)'];
    select.replaceChildren(
      ...models.map((m) => Object.assign(node('option', '', m), { value: m })),
    );
    select.disabled = !config.models.length;
    const budgets = config.budgets;
    if (budgets && (budgets.rpm || budgets.tpm)) {
      byId('budgets').hidden = false;
      byId('budgets').textContent =
        `Budgets of this server: ${budgets.rpm ? `${number.format(budgets.rpm)} requests/min` : ''}` +
        `${budgets.rpm && budgets.tpm ? ', ' : ''}${budgets.tpm ? `${number.format(budgets.tpm)} tokens/min` : ''}`;
    }
    byId('form').addEventListener('submit', async (event) => {
      event.preventDefault();
      const button = byId('form').querySelector('button');
      const error = byId('form-error');
      error.hidden = true;
      button.disabled = true;
      button.textContent = 'Planning the outline…';
      try {
        const body = { topic: byId('topic').value, pages: Number(byId('pages').value) };
        if (config.models.length) body.model = select.value;
        const created = await request('/api/ebook', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        location.assign(created.page);
      } catch (e) {
        error.textContent = e.message;
        error.hidden = false;
        button.disabled = false;
        button.textContent = 'Write it';
      }
    });
    byId('topic').focus();
  }

  // ---- one ebook, live ----

  const view = { start: 0, total: 0, progress: undefined, events: undefined };

  function card(index) {
    const list = byId('cards');
    let item = list.querySelector(`[data-index="${index}"]`);
    if (item) return item;
    item = node('li', 'page waiting');
    item.dataset.index = String(index);
    item.tabIndex = 0;
    const head = node('div', 'page-head');
    head.append(node('h4', 'page-title'), node('span', 'badge state'));
    item.append(head, node('p', 'attempt muted'), node('p', 'page-error'), node('p', 'text'));
    // Kept in page order whatever order the pages arrive in.
    const after = [...list.children].find((c) => Number(c.dataset.index) > index);
    list.insertBefore(item, after || null);
    return item;
  }

  function renderPage(page) {
    const item = card(page.index);
    item.className = `page ${page.state}`;
    item.querySelector('.page-title').textContent = `${page.index + 1}. ${page.title}`;
    const badge = item.querySelector('.state');
    badge.textContent = LABELS[page.state] || page.state;
    badge.className = `badge state ${page.state}`;
    const showAttempt = page.state === 'retrying' || (page.state === 'writing' && page.attempt > 1);
    item.querySelector('.attempt').textContent = showAttempt
      ? `attempt ${page.attempt}${page.maxAttempts ? ` of ${page.maxAttempts}` : ''}`
      : '';
    const error = page.state === 'failed' || showAttempt ? page.error || '' : '';
    item.querySelector('.page-error').textContent = error
      ? `${page.state === 'failed' ? 'Failed' : 'Last error'}: ${error}`
      : '';
    item.querySelector('.text').textContent = page.text || '';
    item.setAttribute('aria-label', `Page ${page.index + 1}, ${page.title}: ${badge.textContent}`);
  }

  function renderProgress(p) {
    view.progress = p;
    const finished = p.completed + p.failed;
    byId('bar').max = p.total;
    byId('bar').value = finished;
    const state = p.done ? (p.failed ? 'finished with failures' : 'done') : 'writing';
    byId('ebook-state').textContent = state;
    byId('ebook-state').className = `badge ${p.done ? (p.failed ? 'failed' : 'done') : 'writing'}`;
    const elapsed = (p.finishedAt || Date.now()) - p.createdAt;
    const rate = finished > 0 ? finished / (elapsed / 60_000) : 0;
    let text = `${finished} of ${p.total} pages (${p.completed} written, ${p.failed} failed)`;
    if (rate > 0) text += ` · ${rate.toFixed(1)} pages/min`;
    if (!p.done && rate > 0)
      text += ` · about ${minutes(((p.total - finished) / rate) * 60_000)} left`;
    if (p.done) text += ` · took ${minutes(elapsed)}`;
    byId('rate').textContent = text;
    byId('cancel').hidden = p.done;
    if (p.done) showBook();
  }

  function showBook() {
    const base = `/api/ebook/${encodeURIComponent(ebookId)}`;
    byId('downloads').hidden = false;
    byId('download-md').href = `${base}/ebook.md`;
    byId('download-html').href = `${base}/ebook.html`;
    const frame = byId('book');
    if (frame.hidden) {
      frame.src = `${base}/ebook.html?view=1`;
      frame.hidden = false;
    }
  }

  function renderPager() {
    const pager = byId('pager');
    pager.hidden = view.total <= SIZE;
    const last = Math.min(view.total, view.start + SIZE);
    byId('pages-range').textContent = `pages ${view.start + 1}–${last} of ${view.total}`;
    byId('prev').disabled = view.start === 0;
    byId('next').disabled = last >= view.total;
  }

  function follow() {
    if (view.events) view.events.close();
    byId('cards').replaceChildren();
    const source = new EventSource(
      `/api/ebook/${encodeURIComponent(ebookId)}/events?start=${view.start}&size=${SIZE}`,
    );
    view.events = source;
    const live = byId('live');
    live.hidden = false;
    source.addEventListener('open', () => {
      live.textContent = 'live';
      live.className = 'badge done';
    });
    source.addEventListener('page', (event) => renderPage(JSON.parse(event.data)));
    source.addEventListener('progress', (event) => renderProgress(JSON.parse(event.data)));
    source.addEventListener('done', (event) => {
      renderProgress(JSON.parse(event.data));
      source.close();
      live.textContent = 'finished';
      void loadRecent();
    });
    source.addEventListener('error', (event) => {
      if (event.data) toast(JSON.parse(event.data).error, 'error');
      if (source.readyState === 2 || event.data) {
        source.close();
        live.textContent = 'disconnected: reload the page';
        live.className = 'badge failed';
      } else {
        live.textContent = 'reconnecting…';
        live.className = 'badge retrying';
      }
    });
  }

  async function startEbook() {
    byId('ebook').hidden = false;
    let ebook;
    try {
      ebook = await request(`/api/ebook/${encodeURIComponent(ebookId)}`);
    } catch (error) {
      byId('ebook-title').textContent = 'No such ebook';
      byId('ebook-topic').textContent = `${error.message} (never added, or expired after 7 days).`;
      byId('cancel').hidden = true;
      return;
    }
    document.title = `${ebook.title} · Ebooks`;
    byId('ebook-title').textContent = ebook.title;
    byId('ebook-topic').textContent =
      `Topic: ${ebook.topic} · ${ebook.mode === 'offline' ? 'offline (placeholder pages)' : ebook.model || 'model'}`;
    view.total = ebook.total;
    renderProgress(ebook);
    const outline = await request(
      `/api/ebook/${encodeURIComponent(ebookId)}/pages?start=0&size=100`,
    ).catch(() => ({ pages: [] }));
    byId('outline').replaceChildren(...outline.pages.map((p) => node('li', '', p.title)));
    renderPager();
    byId('prev').addEventListener('click', () => {
      view.start = Math.max(0, view.start - SIZE);
      renderPager();
      follow();
    });
    byId('next').addEventListener('click', () => {
      view.start += SIZE;
      renderPager();
      follow();
    });
    byId('cancel').addEventListener('click', async () => {
      if (!(await ask(`Cancel "${ebook.title}"? The pages not written yet will not be.`))) return;
      try {
        const { cancelled } = await request(`/api/ebook/${encodeURIComponent(ebookId)}`, {
          method: 'DELETE',
        });
        toast(`Cancelled: ${cancelled} pages will not be written`, 'ok');
      } catch (error) {
        toast(`Could not cancel: ${error.message}`, 'error');
      }
    });
    follow();
  }

  // ---- recent ebooks ----

  let recentStart = 0;
  async function loadRecent() {
    try {
      const page = await request(`/api/ebooks?start=${recentStart}&size=${RECENT_SIZE}`);
      byId('recent-list').replaceChildren(
        ...page.ebooks.map((e) => {
          const item = node('li');
          const link = node('a', '', e.title);
          link.href = `/ebook/${encodeURIComponent(e.id)}`;
          if (e.id === ebookId) link.setAttribute('aria-current', 'page');
          const state = e.done ? (e.failed ? 'failed' : 'done') : 'writing';
          const label = e.done
            ? `${e.completed} of ${e.total} written${e.failed ? `, ${e.failed} failed` : ''}`
            : `${e.completed + e.failed} of ${e.total}`;
          item.append(link, node('span', `badge ${state}`, label), node('small', 'muted', e.topic));
          return item;
        }),
      );
      byId('recent-empty').hidden = page.ebooks.length > 0;
      byId('recent-prev').disabled = recentStart === 0;
      byId('recent-next').disabled = recentStart + page.ebooks.length >= page.total;
    } catch (error) {
      toast(`Could not load the recent ebooks: ${error.message}`, 'error');
    }
  }

  byId('recent-prev').addEventListener('click', () => {
    recentStart = Math.max(0, recentStart - RECENT_SIZE);
    void loadRecent();
  });
  byId('recent-next').addEventListener('click', () => {
    recentStart += RECENT_SIZE;
    void loadRecent();
  });

  if (ebookId === undefined) startForm();
  else void startEbook();
  void loadRecent();
})();
