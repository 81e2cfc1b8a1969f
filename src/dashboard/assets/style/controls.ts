// Buttons, form fields, the search forms and the state badges.
export default `button,
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
`;
