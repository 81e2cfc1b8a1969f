// The tables (pools, groups, jobs, a batch's items), the state tabs and pager, a job's details
// and a batch's progress; `.muted` is the grey of the notes under the tables (and of the sign-in page's).
export default `.scroll {
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
`;
