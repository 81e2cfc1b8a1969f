// The queue's overview: its tabs, the pause reason, the counts per state and the throughput chart.
export default `.pause-reason {
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
`;
