/**
 * The two HTML documents: the dashboard's shell (filled in by app.client.js)
 * and the login form. Neither holds data of a job: everything the page shows
 * comes from the JSON API and is written with `textContent`.
 */

/** Escape text for an HTML text node or a double-quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

export interface AssetNames {
  readonly script: string;
  readonly style: string;
  readonly icon: string;
}

export function dashboardPage({
  csrf,
  assets,
  readOnly,
  signOut,
  config,
}: {
  csrf: string;
  assets: AssetNames;
  readOnly: boolean;
  signOut: boolean;
  /** What `api/config` returns, in the page so that it needs no request of its own. */
  config: unknown;
}): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${escapeHtml(csrf)}">
<title>Queues · redis-worker-pool</title>
<link rel="stylesheet" href="${escapeHtml(assets.style)}">
<link rel="icon" href="${escapeHtml(assets.icon)}" type="image/svg+xml">
<script src="${escapeHtml(assets.script)}" defer></script>
</head>
<body data-config="${escapeHtml(JSON.stringify(config))}">
<a class="skip" href="#jobs">Skip to jobs</a>
<header class="top">
  <h1>Queues</h1>
  <nav id="queue-tabs" aria-label="Queues"></nav>
  <p class="live"><span id="live" class="badge" role="status">connecting…</span>${
    readOnly ? ' <span class="badge ro">read-only</span>' : ''
  }</p>
  ${
    signOut
      ? '<form method="post" action="logout" class="signout"><button type="submit">Sign out</button></form>'
      : ''
  }
</header>
<main>
  <section aria-labelledby="overview-title" class="card">
    <div class="row">
      <h2 id="overview-title">Queue <span id="queue-name"></span> <span id="paused" class="badge"></span> <span id="rate-limit" class="badge paused" hidden></span></h2>
      <div id="queue-actions" class="actions"></div>
    </div>
    <p id="pause-reason" class="pause-reason" role="status" hidden></p>
    <ul id="counts" class="counts"></ul>
  </section>
  <div class="grid">
    <section aria-labelledby="chart-title" class="card">
      <h2 id="chart-title">Throughput, last 15 minutes</h2>
      <div id="chart" class="chart"></div>
      <p class="legend"><span class="key completed"></span>completed <span class="key failed"></span>failed <span id="chart-total"></span></p>
    </section>
    <section aria-labelledby="pools-title" class="card">
      <h2 id="pools-title">Pools</h2>
      <div class="scroll"><table id="pools"><thead><tr><th>Host</th><th>PID</th><th>Concurrency</th><th>Active</th><th>State</th><th>Heartbeat</th></tr></thead><tbody></tbody></table></div>
      <p id="pools-empty" class="muted" hidden>No pool is working on this queue.</p>
    </section>
  </div>
  <section aria-labelledby="groups-title" class="card">
    <h2 id="groups-title">Groups with the most waiting jobs</h2>
    <div class="scroll"><table id="groups"><thead><tr><th>Group</th><th>Waiting</th><th>Active</th><th>State</th><th>Actions</th></tr></thead><tbody></tbody></table></div>
    <p id="groups-empty" class="muted" hidden>No group has work waiting or running.</p>
  </section>
  <section id="jobs" aria-labelledby="jobs-title" class="card" tabindex="-1">
    <div class="row">
      <h2 id="jobs-title">Jobs</h2>
      <form id="search" class="search" role="search">
        <label for="search-id">Find a job by id</label>
        <input id="search-id" name="id" autocomplete="off" spellcheck="false" required>
        <button type="submit">Find</button>
      </form>
    </div>
    <div id="state-tabs" class="tabs" role="tablist" aria-label="Job state"></div>
    <div class="row pager">
      <p id="jobs-range" class="muted" aria-live="polite"></p>
      <label class="order">Order <select id="order"><option value="newest">newest first</option><option value="oldest">oldest first</option></select></label>
      <div><button id="prev" type="button">‹ Newer</button> <button id="next" type="button">Older ›</button></div>
    </div>
    <div class="scroll"><table id="job-list"><thead><tr><th>Id</th><th>Name</th><th>Attempts</th><th>Added</th><th id="time-col">Finished</th><th>Data / error</th></tr></thead><tbody></tbody></table></div>
    <p id="jobs-empty" class="muted" hidden>No job in this state.</p>
  </section>
  <section id="job" aria-labelledby="job-title" class="card" tabindex="-1" hidden>
    <div class="row">
      <h2 id="job-title">Job <span id="job-id"></span></h2>
      <div id="job-actions" class="actions"></div>
      <button id="job-close" type="button">Close</button>
    </div>
    <dl id="job-fields" class="fields"></dl>
    <h3>Data</h3><pre id="job-data"></pre>
    <div id="job-result-box"><h3>Result</h3><pre id="job-result"></pre></div>
    <div id="job-error-box"><h3>Error</h3><pre id="job-error"></pre></div>
  </section>
  <section id="batch" aria-labelledby="batch-title" class="card" tabindex="-1">
    <div class="row">
      <h2 id="batch-title">Batch</h2>
      <form id="batch-search" class="search">
        <label for="batch-id">Batch id</label>
        <input id="batch-id" name="id" autocomplete="off" spellcheck="false" required>
        <button type="submit">Show</button>
      </form>
    </div>
    <div id="batch-view" hidden>
      <p id="batch-summary"></p>
      <progress id="batch-progress" max="1" value="0"></progress>
      <div class="row pager"><p id="batch-range" class="muted"></p><div><button id="batch-prev" type="button">‹ Previous</button> <button id="batch-next" type="button">Next ›</button></div></div>
      <div class="scroll"><table id="batch-items"><thead><tr><th>#</th><th>State</th><th>Result / error</th></tr></thead><tbody></tbody></table></div>
    </div>
  </section>
</main>
<dialog id="confirm" aria-labelledby="confirm-text">
  <form method="dialog">
    <p id="confirm-text"></p>
    <div class="actions"><button value="cancel" type="submit">Cancel</button> <button id="confirm-ok" value="ok" type="submit" class="danger">Confirm</button></div>
  </form>
</dialog>
<div id="toast" role="alert" hidden></div>
</body>
</html>
`;
}

export function loginPage({
  style,
  icon,
  failed,
}: {
  style: string;
  icon: string;
  failed: boolean;
}): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · redis-worker-pool</title>
<link rel="stylesheet" href="${escapeHtml(style)}">
<link rel="icon" href="${escapeHtml(icon)}" type="image/svg+xml">
</head>
<body class="login">
<main class="card">
  <h1>Queues</h1>
  <form method="post" action="login">
    <label for="token">Access token</label>
    <input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
    ${failed ? '<p class="error" role="alert">That token is not the right one.</p>' : ''}
    <button type="submit">Sign in</button>
  </form>
  <p class="muted">The token is the one the dashboard was started with (<code>DASHBOARD_TOKEN</code>).</p>
</main>
</body>
</html>
`;
}
