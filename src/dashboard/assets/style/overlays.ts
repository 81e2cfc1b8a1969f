// The confirmation dialog and the toast.
export default `dialog {
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
`;
