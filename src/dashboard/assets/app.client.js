/* global document, window, fetch, EventSource, location, history, URLSearchParams, requestAnimationFrame, CSS */
// The dashboard's page. Served as a file (the CSP allows no inline script) and
// run as is: no framework, no build. Everything a job holds is untrusted and is
// only ever written with textContent, never parsed as HTML.
(function dashboard() {
  'use strict';

  const $ = (id) => document.getElementById(id);
  const csrf = document.querySelector('meta[name="csrf-token"]').getAttribute('content');
  const SVG = 'http://www.w3.org/2000/svg';

  /** An element with attributes and children; strings become text nodes. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
      else if (name === 'className') node.className = value;
      else node.setAttribute(name, value === true ? '' : String(value));
    }
    for (const child of children) {
      if (child === undefined || child === null || child === false) continue;
      node.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
    }
    return node;
  }

  function svg(tag, attrs) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, String(value));
    return node;
  }

  const number = new Intl.NumberFormat();

  function ago(ms) {
    const s = Math.round((Date.now() - ms) / 1000);
    if (Math.abs(s) < 60) return s >= 0 ? `${s}s ago` : `in ${-s}s`;
    const m = Math.round(s / 60);
    if (Math.abs(m) < 60) return m >= 0 ? `${m}m ago` : `in ${-m}m`;
    const h = Math.round(m / 60);
    if (Math.abs(h) < 48) return h >= 0 ? `${h}h ago` : `in ${-h}h`;
    return new Date(ms).toLocaleString();
  }

  function time(ms) {
    if (!ms) return '';
    return el(
      'time',
      { datetime: new Date(ms).toISOString(), title: new Date(ms).toLocaleString() },
      ago(ms),
    );
  }

  function pretty(value) {
    if (value === undefined) return '';
    try {
      return JSON.stringify(value, null, 2);
    } catch {
      return String(value);
    }
  }

  // ---- talking to the server ----

  async function api(path) {
    const response = await fetch(path, { headers: { accept: 'application/json' } });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
    return body;
  }

  async function act(action, id) {
    const response = await fetch(
      `api/queues/${encodeURIComponent(view.queue)}/actions/${encodeURIComponent(action.name)}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
        body: JSON.stringify(
          id === undefined ? {} : action.target === 'group' ? { group: id } : { id },
        ),
      },
    );
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
  }

  let toastTimer;
  function toast(message, kind) {
    const box = $('toast');
    box.textContent = message;
    box.className = kind || '';
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => (box.hidden = true), 5000);
  }

  /** Ask with the native dialog; resolves true on Confirm. */
  function confirmDialog(text, danger) {
    const dialog = $('confirm');
    $('confirm-text').textContent = text;
    $('confirm-ok').className = danger ? 'danger' : 'primary';
    dialog.returnValue = '';
    return new Promise((resolve) => {
      dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
      dialog.showModal();
      $('confirm-ok').focus();
    });
  }

  function actionButtons(target, applies, id) {
    return config.actions
      .filter((a) => a.target === target && a.when.includes(applies))
      .map((action) =>
        el(
          'button',
          {
            type: 'button',
            className: action.danger ? 'danger' : 'primary',
            'data-action': action.name,
            onclick: async () => {
              const question = action.confirm
                .replace('{id}', id ?? '')
                .replace('{group}', id ?? '')
                .replace('{queue}', view.queue);
              if (!(await confirmDialog(question, action.danger))) return;
              try {
                await act(action, id);
                toast(`${action.label}: done`, 'ok');
                if (action.target === 'job') {
                  if (action.name === 'remove') closeJob();
                  else void loadJob();
                }
                void loadJobs();
              } catch (error) {
                toast(`${action.label} failed: ${error.message}`, 'error');
              }
            },
          },
          action.label,
        ),
      );
  }

  // ---- where we are: kept in the URL's hash, so a reload or a link shows the same ----

  let config;
  const view = {
    queue: '',
    state: 'failed',
    start: 0,
    order: 'newest',
    job: '',
    batch: '',
    bstart: 0,
  };
  const SIZE = 50;
  const BATCH_SIZE = 20;

  function readHash() {
    const p = new URLSearchParams(location.hash.slice(1));
    view.queue = config.queues.includes(p.get('q')) ? p.get('q') : config.queues[0];
    view.state = config.states.includes(p.get('state')) ? p.get('state') : 'failed';
    view.start = Math.max(0, parseInt(p.get('start') || '0', 10) || 0);
    view.order = p.get('order') === 'oldest' ? 'oldest' : 'newest';
    view.job = p.get('job') || '';
    view.batch = p.get('batch') || '';
    view.bstart = Math.max(0, parseInt(p.get('bstart') || '0', 10) || 0);
  }

  function go(changes) {
    const before = { ...view };
    Object.assign(view, changes);
    const p = new URLSearchParams({ q: view.queue, state: view.state });
    if (view.start) p.set('start', String(view.start));
    if (view.order !== 'newest') p.set('order', view.order);
    if (view.job) p.set('job', view.job);
    if (view.batch) p.set('batch', view.batch);
    if (view.bstart) p.set('bstart', String(view.bstart));
    history.replaceState(null, '', `#${p}`);
    if (before.queue !== view.queue) connect();
    render();
    if (
      before.queue !== view.queue ||
      before.state !== view.state ||
      before.start !== view.start ||
      before.order !== view.order
    )
      void loadJobs();
    if (before.job !== view.job || before.queue !== view.queue) void loadJob();
    if (before.batch !== view.batch || before.bstart !== view.bstart || before.queue !== view.queue)
      void loadBatch();
  }

  // ---- live: counts, pause state, pools and throughput ----

  let source;
  let snapshot;
  function connect() {
    if (source) source.close();
    source = new EventSource(`api/events?queue=${encodeURIComponent(view.queue)}`);
    source.addEventListener('snapshot', (event) => {
      const previous = snapshot;
      snapshot = JSON.parse(event.data);
      setLive('live', 'live');
      renderSnapshot();
      const was = previous && previous.queues.find((q) => q.name === view.queue);
      const now = current();
      // The list follows the queue: reload it when the counts moved (at most one read at a time).
      if (!was || JSON.stringify(was.counts) !== JSON.stringify(now.counts)) {
        void loadJobs(true);
        if (view.job) void loadJob(true);
        if (view.batch) void loadBatch(true);
      }
    });
    source.addEventListener('problem', (event) => setLive(JSON.parse(event.data).error, 'down'));
    source.addEventListener('error', () =>
      // CLOSED: the server refused the stream (signed out, dashboard gone); else it retries.
      setLive(source.readyState === 2 ? 'disconnected: reload the page' : 'reconnecting…', 'down'),
    );
  }

  function setLive(text, kind) {
    const badge = $('live');
    if (badge.textContent !== text) badge.textContent = text;
    badge.className = `badge ${kind}`;
  }

  function current() {
    return snapshot && snapshot.queues.find((q) => q.name === view.queue);
  }

  /** Rebuild `container` only when `key` changed, so focus and state survive live updates. */
  function keyed(container, key, build) {
    if (container.dataset.key === key) return false;
    container.dataset.key = key;
    container.replaceChildren(...build());
    return true;
  }

  function renderSnapshot() {
    if (!snapshot) return;
    // Queue tabs: every queue's main counts at a glance.
    keyed($('queue-tabs'), JSON.stringify(snapshot.queues.map((q) => q.name)), () =>
      snapshot.queues.map((q) =>
        el(
          'button',
          {
            type: 'button',
            className: 'queue-tab',
            'data-queue': q.name,
            onclick: () => go({ queue: q.name, start: 0, job: '', batch: '' }),
          },
          el('strong', {}, q.name),
          el('small', {}),
        ),
      ),
    );
    for (const q of snapshot.queues) {
      const tab = $('queue-tabs').querySelector(`[data-queue="${CSS.escape(q.name)}"]`);
      if (q.name === view.queue) tab.setAttribute('aria-current', 'page');
      else tab.removeAttribute('aria-current');
      tab.querySelector('small').textContent =
        `${q.paused ? 'paused · ' : ''}${number.format(q.counts.waiting)} waiting · ` +
        `${number.format(q.counts.active)} active · ${number.format(q.counts.failed)} failed`;
    }
    const q = current();
    if (!q) return;
    $('queue-name').textContent = q.name;
    $('paused').textContent = q.paused ? 'paused' : 'running';
    $('paused').className = `badge ${q.paused ? 'paused' : 'running'}`;
    // A RateLimitError holds the queue: how long, counted on the server's clock.
    const held = Math.ceil((q.rateLimitedFor ?? 0) / 1000);
    $('rate-limit').hidden = held <= 0;
    $('rate-limit').textContent = held > 0 ? `rate limited for ${number.format(held)} s more` : '';
    // A handler's QuotaExceededError paused the queue: say why (textContent: the message is the user's).
    const why = q.pauseReason;
    $('pause-reason').hidden = !why;
    $('pause-reason').textContent = why
      ? `Quota exceeded (job ${why.jobId}, ${new Date(why.at).toLocaleString()}): ${why.reason}. Resume once the account has quota again.`
      : '';
    keyed($('queue-actions'), `${q.name}\n${q.paused}`, () =>
      actionButtons('queue', q.paused ? 'paused' : 'running'),
    );
    keyed($('counts'), 'counts', () =>
      config.states.map((state) =>
        el(
          'li',
          { className: `count ${state}` },
          el(
            'button',
            {
              type: 'button',
              'data-state': state,
              onclick: () => {
                go({ state, start: 0 });
                $('jobs').focus();
              },
            },
            el('span', { className: 'n' }),
            el('span', { className: 'label' }, state),
          ),
        ),
      ),
    );
    for (const state of config.states) {
      const button = $('counts').querySelector(`[data-state="${state}"]`);
      const text = number.format(q.counts[state]);
      button.querySelector('.n').textContent = text;
      button.setAttribute('aria-label', `${text} ${state}: show them`);
    }
    renderTabs();
    renderChart(snapshot.metrics.minutes);
    renderPools(snapshot.pools);
    renderGroups(snapshot.groups ?? []);
  }

  function renderChart(minutes) {
    const width = 600;
    const height = 150;
    const pad = 18;
    const max = Math.max(1, ...minutes.map((m) => m.completed + m.failed));
    const step = width / minutes.length;
    const chart = svg('svg', {
      viewBox: `0 0 ${width} ${height + pad}`,
      role: 'img',
      'aria-label': `Jobs finished per minute over the last ${minutes.length} minutes, at most ${max}`,
    });
    for (const y of [0, 0.5, 1]) {
      chart.append(
        svg('line', {
          x1: 0,
          x2: width,
          y1: height - y * height + 0.5,
          y2: height - y * height + 0.5,
          class: 'grid',
        }),
      );
    }
    minutes.forEach((m, i) => {
      const x = i * step + 2;
      const w = Math.max(1, step - 4);
      const hc = (m.completed / max) * (height - 10);
      const hf = (m.failed / max) * (height - 10);
      const group = svg('g', {});
      const title = svg('title', {});
      title.textContent = `${new Date(m.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}: ${m.completed} completed, ${m.failed} failed`;
      group.append(title);
      group.append(svg('rect', { x, y: height - hc, width: w, height: hc, class: 'completed' }));
      group.append(svg('rect', { x, y: height - hc - hf, width: w, height: hf, class: 'failed' }));
      chart.append(group);
    });
    const label = (text, x, anchor) => {
      const t = svg('text', { x, y: height + pad - 4, 'text-anchor': anchor });
      t.textContent = text;
      chart.append(t);
    };
    label(`-${minutes.length}m`, 0, 'start');
    label('now', width, 'end');
    const top = svg('text', { x: 2, y: 12 });
    top.textContent = `${max}/min`;
    chart.append(top);
    $('chart').replaceChildren(chart);
    const done = minutes.reduce((sum, m) => sum + m.completed, 0);
    const failed = minutes.reduce((sum, m) => sum + m.failed, 0);
    $('chart-total').textContent =
      `· ${number.format(done)} completed, ${number.format(failed)} failed`;
  }

  function renderGroups(groups) {
    // Rebuilt only when something changed: a focused button keeps its focus between snapshots.
    keyed($('groups').tBodies[0], JSON.stringify(groups), () =>
      groups.map((g) =>
        el(
          'tr',
          { 'data-group': g.group },
          el('td', {}, g.group),
          el('td', {}, number.format(g.waiting)),
          el('td', {}, number.format(g.active)),
          el('td', {}, g.paused ? 'paused' : 'running'),
          el(
            'td',
            { className: 'actions' },
            ...actionButtons('group', g.paused ? 'paused' : 'running', g.group),
          ),
        ),
      ),
    );
    $('groups-empty').hidden = groups.length > 0;
  }

  function renderPools(pools) {
    $('pools').tBodies[0].replaceChildren(
      ...pools.map((p) =>
        el(
          'tr',
          {},
          el('td', {}, p.hostname),
          el('td', {}, String(p.pid)),
          el('td', {}, String(p.concurrency)),
          el('td', {}, String(p.active)),
          el('td', {}, p.paused ? 'paused' : 'running'),
          el('td', {}, `${(p.lastSeenAgo / 1000).toFixed(1)}s ago`),
        ),
      ),
    );
    $('pools-empty').hidden = pools.length > 0;
  }

  // ---- jobs by state ----

  function renderTabs() {
    const q = current();
    keyed($('state-tabs'), 'tabs', () =>
      config.states.map((state) =>
        el(
          'button',
          {
            type: 'button',
            role: 'tab',
            id: `tab-${state}`,
            'aria-controls': 'job-list',
            onclick: () => go({ state, start: 0 }),
            onkeydown: (event) => {
              const i = config.states.indexOf(state);
              const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
              if (!step) return;
              event.preventDefault();
              const to = config.states[(i + step + config.states.length) % config.states.length];
              go({ state: to, start: 0 });
              $(`tab-${to}`).focus();
            },
          },
          state,
          el('span', { className: 'tab-count' }),
        ),
      ),
    );
    for (const state of config.states) {
      const tab = $(`tab-${state}`);
      tab.setAttribute('aria-selected', state === view.state ? 'true' : 'false');
      tab.tabIndex = state === view.state ? 0 : -1;
      tab.querySelector('.tab-count').textContent = q ? number.format(q.counts[state]) : '';
    }
  }

  let jobsLoading = false;
  let jobsAgain = false;
  async function loadJobs(background) {
    if (jobsLoading) {
      jobsAgain = true;
      return;
    }
    jobsLoading = true;
    try {
      const { queue, state, start, order } = view;
      const page = await api(
        `api/queues/${encodeURIComponent(queue)}/jobs?state=${state}&start=${start}&size=${SIZE}&order=${order}`,
      );
      if (
        queue === view.queue &&
        state === view.state &&
        start === view.start &&
        order === view.order
      )
        renderJobs(page);
      else jobsAgain = true;
    } catch (error) {
      if (!background) toast(`Could not load the jobs: ${error.message}`, 'error');
    } finally {
      jobsLoading = false;
      if (jobsAgain) {
        jobsAgain = false;
        void loadJobs(true);
      }
    }
  }

  function renderJobs(page) {
    const timeOf = {
      waiting: ['Added', (j) => j.createdAt],
      delayed: ['Due', (j) => j.dueAt],
      active: ['Started', (j) => j.processedAt],
      completed: ['Finished', (j) => j.finishedAt],
      failed: ['Failed', (j) => j.finishedAt],
    }[page.state];
    $('time-col').textContent = timeOf[0];
    const body = $('job-list').tBodies[0];
    const focused = body.contains(document.activeElement)
      ? document.activeElement.closest('tr').dataset.id
      : undefined;
    body.replaceChildren(
      ...page.jobs.map((job) =>
        el(
          'tr',
          { 'data-id': job.id },
          el(
            'td',
            {},
            el(
              'button',
              { type: 'button', className: 'link', onclick: () => openJob(job.id) },
              job.id,
            ),
          ),
          el('td', {}, job.name),
          el(
            'td',
            {},
            job.maxAttempts ? `${job.attempts} of ${job.maxAttempts}` : String(job.attempts),
          ),
          el('td', {}, time(job.createdAt)),
          el('td', {}, time(timeOf[1](job))),
          el(
            'td',
            { className: job.error ? 'preview error' : 'preview' },
            job.error || job.preview,
          ),
        ),
      ),
    );
    if (focused !== undefined) {
      const row = [...body.rows].find((r) => r.dataset.id === focused);
      if (row) row.querySelector('button').focus();
    }
    $('jobs-empty').hidden = page.jobs.length > 0;
    const last = page.start + page.jobs.length;
    $('jobs-range').textContent =
      page.total === 0
        ? `No ${page.state} jobs`
        : `${number.format(page.start + 1)}–${number.format(last)} of ${number.format(page.total)} ${page.state}`;
    $('prev').disabled = page.start === 0;
    $('next').disabled = last >= page.total;
    $('prev').textContent = page.order === 'newest' ? '‹ Newer' : '‹ Earlier';
    $('next').textContent = page.order === 'newest' ? 'Older ›' : 'Later ›';
  }

  // ---- one job ----

  function openJob(id) {
    go({ job: id });
    requestAnimationFrame(() => $('job').focus());
  }

  function closeJob() {
    go({ job: '' });
  }

  async function loadJob(background) {
    const { queue, job: id } = view;
    if (!id) {
      $('job').hidden = true;
      return;
    }
    try {
      const { job } = await api(
        `api/queues/${encodeURIComponent(queue)}/jobs/${encodeURIComponent(id)}`,
      );
      if (view.job !== id) return;
      if (job) renderJob(job);
      else if (!background) {
        toast(`No job with id ${id} in ${queue} (never added, or removed by retention)`, 'error');
        closeJob();
      } else $('job-fields').prepend(el('dt', {}, 'Gone'), el('dd', {}, 'removed from Redis'));
    } catch (error) {
      if (view.job !== id) return;
      if (!background) {
        toast(error.message, 'error');
        closeJob();
      }
    }
  }

  function renderJob(job) {
    $('job').hidden = false;
    $('job-id').textContent = job.id;
    const fields = [
      ['Name', job.name],
      ['State', job.state],
      ['Group', job.group],
      [
        'Attempts',
        job.maxAttempts ? `${job.attempts} of ${job.maxAttempts}` : String(job.attempts),
      ],
      ['Added', job.createdAt && time(job.createdAt)],
      ['Started', job.processedAt && time(job.processedAt)],
      ['Finished', job.finishedAt && time(job.finishedAt)],
      ['Due', job.dueAt && time(job.dueAt)],
      ['Lease ends', job.leaseExpiresAt && time(job.leaseExpiresAt)],
      ['Progress', job.progress !== undefined && pretty(job.progress)],
      [
        'Batch',
        job.batchId &&
          el(
            'button',
            {
              type: 'button',
              className: 'link',
              onclick: () => go({ batch: job.batchId, bstart: 0 }),
            },
            `${job.batchId} #${job.batchIndex}`,
          ),
      ],
    ];
    $('job-fields').replaceChildren(
      ...fields
        .filter(([, value]) => value)
        .flatMap(([name, value]) => [el('dt', {}, name), el('dd', {}, value)]),
    );
    $('job-data').textContent = pretty(job.data);
    $('job-result-box').hidden = job.result === undefined;
    $('job-result').textContent = pretty(job.result);
    $('job-error-box').hidden = !job.error;
    $('job-error').textContent = job.error
      ? `${job.error.name}: ${job.error.message}${job.error.stack ? `\n\n${job.error.stack}` : ''}`
      : '';
    keyed($('job-actions'), `${job.id}\n${job.state}`, () =>
      actionButtons('job', job.state, job.id),
    );
  }

  // ---- batches ----

  async function loadBatch(background) {
    const { queue, batch: id, bstart } = view;
    $('batch-view').hidden = !id;
    if (!id) return;
    $('batch-id').value = id;
    try {
      const { batch } = await api(
        `api/queues/${encodeURIComponent(queue)}/batches/${encodeURIComponent(id)}?start=${bstart}&size=${BATCH_SIZE}`,
      );
      if (view.batch !== id || view.bstart !== bstart) return;
      if (batch) renderBatch(batch);
      else if (!background) {
        toast(`No batch with id ${id} in ${queue} (never added, or expired)`, 'error');
        $('batch-view').hidden = true;
      }
    } catch (error) {
      if (!background && view.batch === id) {
        toast(error.message, 'error');
        $('batch-view').hidden = true;
      }
    }
  }

  function renderBatch(batch) {
    const p = batch.progress;
    $('batch-summary').textContent =
      `${p.id}: ${number.format(p.completed)} completed, ${number.format(p.failed)} failed, ` +
      `${number.format(p.pending)} pending of ${number.format(p.total)}${p.done ? ' · done' : ''}`;
    $('batch-progress').max = p.total;
    $('batch-progress').value = p.completed + p.failed;
    $('batch-items').tBodies[0].replaceChildren(
      ...batch.items.map((item) =>
        el(
          'tr',
          {},
          el('td', {}, String(item.index)),
          el('td', {}, el('span', { className: `badge ${item.state}` }, item.state)),
          el(
            'td',
            { className: item.error ? 'preview error' : 'preview' },
            item.error || item.result || '',
          ),
        ),
      ),
    );
    const last = batch.start + batch.items.length;
    $('batch-range').textContent = `items ${batch.start + 1}–${last} of ${p.total}`;
    $('batch-prev').disabled = batch.start === 0;
    $('batch-next').disabled = last >= p.total;
  }

  function render() {
    renderTabs();
    renderSnapshot();
    $('order').value = view.order;
    if (!view.job) $('job').hidden = true;
    if (!view.batch) $('batch-view').hidden = true;
  }

  // ---- wiring ----

  function start() {
    config = JSON.parse(document.body.dataset.config);
    readHash();
    $('prev').addEventListener('click', () => go({ start: Math.max(0, view.start - SIZE) }));
    $('next').addEventListener('click', () => go({ start: view.start + SIZE }));
    $('order').addEventListener('change', (event) => go({ order: event.target.value, start: 0 }));
    $('job-close').addEventListener('click', closeJob);
    $('batch-prev').addEventListener('click', () =>
      go({ bstart: Math.max(0, view.bstart - BATCH_SIZE) }),
    );
    $('batch-next').addEventListener('click', () => go({ bstart: view.bstart + BATCH_SIZE }));
    $('search').addEventListener('submit', (event) => {
      event.preventDefault();
      const id = $('search-id').value.trim();
      if (id) openJob(id);
    });
    $('batch-search').addEventListener('submit', (event) => {
      event.preventDefault();
      const id = $('batch-id').value.trim();
      if (id) go({ batch: id, bstart: 0 });
    });
    document.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && view.job && !$('confirm').open) closeJob();
    });
    window.addEventListener('hashchange', () => {
      const before = { ...view };
      readHash();
      const after = { ...view };
      Object.assign(view, before);
      go(after);
    });
    connect();
    render();
    void loadJobs();
    void loadJob();
    void loadBatch();
  }

  start();
})();
