// The page's style sheet, served as a file (the CSP allows no inline style).
export default `:root {
  color-scheme: light dark;
  --bg: #f6f7f9;
  --card: #fff;
  --text: #1d2330;
  --muted: #5b6475;
  --line: #dde1e8;
  --accent: #2458d6;
  --ok: #1f8a4c;
  --bad: #c62f2f;
  --warn: #a86200;
  font-family:
    system-ui,
    -apple-system,
    'Segoe UI',
    Roboto,
    sans-serif;
  font-size: 15px;
  line-height: 1.4;
}

@media (prefers-color-scheme: dark) {
  :root {
    --bg: #12151b;
    --card: #1b2029;
    --text: #e6e9ef;
    --muted: #9aa3b5;
    --line: #2d3441;
    --accent: #7ea2ff;
    --ok: #4cc37f;
    --bad: #ff6b6b;
    --warn: #f0a640;
  }
}

* {
  box-sizing: border-box;
}

body {
  margin: 0;
  background: var(--bg);
  color: var(--text);
}

h1,
h2,
h3 {
  margin: 0;
  font-weight: 600;
}

h1 {
  font-size: 1.3rem;
}

h2 {
  font-size: 1.05rem;
}

h3 {
  font-size: 0.95rem;
  margin: 0.8rem 0 0.3rem;
}

.skip {
  position: absolute;
  left: -999px;
}

.skip:focus {
  left: 0.5rem;
  top: 0.5rem;
  background: var(--card);
  padding: 0.4rem;
  z-index: 10;
}

.top {
  display: flex;
  flex-wrap: wrap;
  gap: 0.6rem 1rem;
  align-items: center;
  padding: 0.8rem 1rem;
  background: var(--card);
  border-bottom: 1px solid var(--line);
}

.top nav {
  display: flex;
  flex-wrap: wrap;
  gap: 0.4rem;
  flex: 1;
}

.live,
.signout {
  margin: 0;
}

main {
  max-width: 1400px;
  margin: 0 auto;
  padding: 1rem;
  display: grid;
  gap: 1rem;
}

.card {
  background: var(--card);
  border: 1px solid var(--line);
  border-radius: 8px;
  padding: 1rem;
  min-width: 0;
}

.grid {
  display: grid;
  gap: 1rem;
  grid-template-columns: minmax(0, 1fr);
}

@media (min-width: 900px) {
  .grid {
    grid-template-columns: minmax(0, 1fr) minmax(0, 1fr);
  }
}

.row {
  display: flex;
  flex-wrap: wrap;
  gap: 0.6rem 1rem;
  align-items: center;
  justify-content: space-between;
  margin-bottom: 0.6rem;
}

.actions {
  display: flex;
  gap: 0.5rem;
  flex-wrap: wrap;
}

button,
select,
input {
  font: inherit;
  color: inherit;
}

button {
  border: 1px solid var(--line);
  background: var(--bg);
  border-radius: 6px;
  padding: 0.35rem 0.8rem;
  cursor: pointer;
}

button:disabled {
  opacity: 0.45;
  cursor: default;
}

button.primary {
  background: var(--accent);
  border-color: var(--accent);
  color: #fff;
}

button.danger {
  background: var(--bad);
  border-color: var(--bad);
  color: #fff;
}

button.link {
  border: 0;
  background: none;
  padding: 0;
  color: var(--accent);
  text-decoration: underline;
  font-family: ui-monospace, monospace;
  font-size: 0.9em;
  text-align: left;
  overflow-wrap: anywhere;
}

:focus-visible {
  outline: 3px solid var(--accent);
  outline-offset: 2px;
}

input,
select {
  border: 1px solid var(--line);
  border-radius: 6px;
  padding: 0.35rem 0.5rem;
  background: var(--bg);
}

.search {
  display: flex;
  gap: 0.4rem;
  align-items: center;
  flex-wrap: wrap;
}

.search label {
  color: var(--muted);
  font-size: 0.9em;
}

.badge {
  display: inline-block;
  border-radius: 999px;
  padding: 0.05rem 0.55rem;
  font-size: 0.8rem;
  border: 1px solid var(--line);
  color: var(--muted);
  font-weight: 500;
}

.badge.live,
.badge.running,
.badge.completed {
  color: var(--ok);
  border-color: var(--ok);
}

.badge.down,
.badge.failed {
  color: var(--bad);
  border-color: var(--bad);
}

.badge.paused,
.badge.ro,
.badge.pending {
  color: var(--warn);
  border-color: var(--warn);
}

.pause-reason {
  color: var(--warn);
  margin: 0.5rem 0 0;
  overflow-wrap: anywhere;
}

.queue-tab {
  display: flex;
  flex-direction: column;
  align-items: flex-start;
  gap: 0.1rem;
  text-align: left;
}

.queue-tab[aria-current='page'] {
  border-color: var(--accent);
  box-shadow: inset 0 -3px 0 var(--accent);
}

.queue-tab small {
  color: var(--muted);
}

.counts {
  list-style: none;
  margin: 0;
  padding: 0;
  display: grid;
  gap: 0.6rem;
  grid-template-columns: repeat(auto-fit, minmax(120px, 1fr));
}

.count button {
  width: 100%;
  display: flex;
  flex-direction: column;
  align-items: flex-start;
  padding: 0.6rem 0.8rem;
  border-left-width: 4px;
}

.count .n {
  font-size: 1.6rem;
  font-weight: 600;
  font-variant-numeric: tabular-nums;
}

.count .label {
  color: var(--muted);
}

.count.waiting button {
  border-left-color: var(--accent);
}

.count.delayed button {
  border-left-color: var(--warn);
}

.count.active button {
  border-left-color: #8a4fd6;
}

.count.completed button {
  border-left-color: var(--ok);
}

.count.failed button {
  border-left-color: var(--bad);
}

.chart svg {
  width: 100%;
  height: auto;
  max-height: 240px;
  display: block;
}

.chart rect.completed {
  fill: var(--ok);
}

.chart rect.failed {
  fill: var(--bad);
}

.chart line.grid {
  stroke: var(--line);
}

.chart text {
  fill: var(--muted);
  font-size: 11px;
}

.legend {
  color: var(--muted);
  font-size: 0.85rem;
  margin: 0.4rem 0 0;
}

.key {
  display: inline-block;
  width: 0.7rem;
  height: 0.7rem;
  border-radius: 2px;
  margin: 0 0.25rem 0 0.5rem;
  vertical-align: -1px;
}

.key.completed {
  background: var(--ok);
}

.key.failed {
  background: var(--bad);
}

.scroll {
  overflow-x: auto;
}

/* On a phone, the job list scrolls sideways in its box rather than squeezing ids to a letter a line. */
#job-list {
  min-width: 640px;
}

#job-list td:first-child {
  min-width: 6ch;
}

table {
  width: 100%;
  border-collapse: collapse;
  font-size: 0.9rem;
}

th,
td {
  text-align: left;
  padding: 0.4rem 0.5rem;
  border-bottom: 1px solid var(--line);
  vertical-align: top;
}

th {
  color: var(--muted);
  font-weight: 500;
  white-space: nowrap;
}

td.preview {
  font-family: ui-monospace, monospace;
  font-size: 0.82rem;
  max-width: 40ch;
  overflow-wrap: anywhere;
  color: var(--muted);
}

td.preview.error {
  color: var(--bad);
}

.tabs {
  display: flex;
  flex-wrap: wrap;
  gap: 0.3rem;
  border-bottom: 1px solid var(--line);
  margin-bottom: 0.6rem;
}

.tabs button {
  border: 0;
  border-radius: 6px 6px 0 0;
  background: none;
  padding: 0.45rem 0.8rem;
}

.tabs button[aria-selected='true'] {
  box-shadow: inset 0 -3px 0 var(--accent);
  font-weight: 600;
}

.tab-count {
  margin-left: 0.4rem;
  color: var(--muted);
  font-variant-numeric: tabular-nums;
}

.pager {
  margin: 0.4rem 0;
}

.pager p {
  margin: 0;
}

.order {
  color: var(--muted);
  font-size: 0.9em;
}

.muted {
  color: var(--muted);
}

pre {
  background: var(--bg);
  border: 1px solid var(--line);
  border-radius: 6px;
  padding: 0.6rem;
  margin: 0;
  overflow: auto;
  max-height: 24rem;
  font-size: 0.82rem;
  white-space: pre-wrap;
  overflow-wrap: anywhere;
}

#job-error {
  color: var(--bad);
}

.fields {
  display: grid;
  grid-template-columns: max-content 1fr;
  gap: 0.25rem 1rem;
  margin: 0;
}

.fields dt {
  color: var(--muted);
}

.fields dd {
  margin: 0;
  overflow-wrap: anywhere;
}

progress {
  width: 100%;
  height: 0.8rem;
}

dialog {
  border: 1px solid var(--line);
  border-radius: 8px;
  background: var(--card);
  color: var(--text);
  max-width: min(32rem, 92vw);
}

dialog::backdrop {
  background: rgb(0 0 0 / 40%);
}

#toast {
  position: fixed;
  right: 1rem;
  bottom: 1rem;
  max-width: min(28rem, 92vw);
  padding: 0.7rem 1rem;
  border-radius: 6px;
  background: var(--text);
  color: var(--bg);
  z-index: 20;
}

#toast.error {
  background: var(--bad);
  color: #fff;
}

#toast.ok {
  background: var(--ok);
  color: #fff;
}

body.login {
  display: grid;
  place-items: center;
  min-height: 100vh;
}

body.login main {
  display: block;
  width: min(24rem, 92vw);
}

body.login form {
  display: grid;
  gap: 0.6rem;
  margin-top: 1rem;
}

.error {
  color: var(--bad);
  margin: 0;
}

[hidden] {
  display: none !important;
}
`;
