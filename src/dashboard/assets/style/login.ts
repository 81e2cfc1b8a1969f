// The sign-in page; `.error` is its message for a wrong token.
export default `body.login {
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
`;
