import type { JobState, Queue } from '../index.js';

/**
 * What the page can do, one entry each. The server runs an action by its
 * name; the page learns the list (with labels and confirmation texts) from
 * `api/config` and shows a button wherever an entry applies. So a new action
 * (cancelling a job, pausing a group) is one entry here.
 */
export interface DashboardAction {
  readonly name: string;
  /** The button's text. */
  readonly label: string;
  /** What it acts on: a job (its `id` is in the request), a group (its `group`) or the queue. */
  readonly target: 'job' | 'group' | 'queue';
  /** Job actions: the states the button shows in. Queue and group actions: `paused` or `running`. */
  readonly when: readonly (JobState | 'paused' | 'running')[];
  /** The question the confirmation dialog asks; `{id}`, `{group}` and `{queue}` are filled in. */
  readonly confirm: string;
  /** Drawn as a dangerous button (red). */
  readonly danger?: boolean;
  /** `subject`: the job's id or the group's name; undefined for a queue action. */
  run(queue: Queue, subject: string | undefined): Promise<void>;
}

export const ACTIONS: readonly DashboardAction[] = [
  {
    name: 'retry',
    label: 'Retry',
    target: 'job',
    when: ['failed'],
    confirm: 'Send job {id} back to waiting, its attempts reset?',
    run: (queue, id) => queue.retryJob(id!),
  },
  {
    name: 'remove',
    label: 'Remove',
    target: 'job',
    when: ['waiting', 'delayed', 'completed', 'failed'],
    confirm: 'Remove job {id} and its result? This cannot be undone.',
    danger: true,
    run: (queue, id) => queue.removeJob(id!),
  },
  {
    name: 'cancel',
    label: 'Cancel',
    target: 'job',
    when: ['waiting', 'delayed', 'active'],
    confirm: 'Cancel job {id}? It ends failed (JobCancelledError) and is not retried.',
    danger: true,
    run: (queue, id) => queue.cancel(id!, { reason: 'cancelled from the dashboard' }),
  },
  {
    name: 'pause',
    label: 'Pause queue',
    target: 'queue',
    when: ['running'],
    confirm: 'Pause queue {queue}? Pools stop claiming jobs; running jobs finish.',
    run: (queue) => queue.pause(),
  },
  {
    name: 'resume',
    label: 'Resume queue',
    target: 'queue',
    when: ['paused'],
    confirm: 'Resume queue {queue}? Pools start claiming jobs again at once.',
    run: (queue) => queue.resume(),
  },
  {
    name: 'pauseGroup',
    label: 'Pause',
    target: 'group',
    when: ['running'],
    confirm: 'Pause group {group} of queue {queue}? Its jobs wait; its running jobs finish.',
    run: (queue, group) => queue.pauseGroup(group!),
  },
  {
    name: 'resumeGroup',
    label: 'Resume',
    target: 'group',
    when: ['paused'],
    confirm: 'Resume group {group} of queue {queue}? Its jobs take their turns again at once.',
    run: (queue, group) => queue.resumeGroup(group!),
  },
];

/** The part of an action the page sees. */
export function describeAction(action: DashboardAction) {
  const { name, label, target, when, confirm, danger = false } = action;
  return { name, label, target, when, confirm, danger };
}

/** An error of the library an operator can act on, with the HTTP status that says so. */
export function actionErrorStatus(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ERR_JOB_NOT_FOUND') return 404;
  if (code === 'ERR_INVALID_JOB_STATE') return 409;
  if (code === 'ERR_INVALID_OPTION' || code === 'ERR_OPTION_OUT_OF_RANGE') return 400;
  return undefined;
}
