// Colours (light and dark), type, and the frame of the page: header, cards, grid, rows.
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
`;
