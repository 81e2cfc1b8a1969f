// The page's script and style are imported as text (tsup's loader, Vite's `?raw`).
declare module '*?raw' {
  const text: string;
  export default text;
}
