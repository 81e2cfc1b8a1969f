// The page's style sheet, served as a file (the CSP allows no inline style): its parts, one per
// part of the page, in the order of the cascade.
import base from './style/base.js';
import controls from './style/controls.js';
import overview from './style/overview.js';
import jobs from './style/jobs.js';
import overlays from './style/overlays.js';
import login from './style/login.js';

/** Last, so that what the page hides stays hidden whatever a part above sets its `display` to. */
const hidden = `[hidden] {
  display: none !important;
}
`;

export default [base, controls, overview, jobs, overlays, login, hidden].join('\n');
