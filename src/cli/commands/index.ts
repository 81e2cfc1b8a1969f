import type { Command } from '../command.js';
import { cancelCommand } from './cancel.js';
import { dashboardCommand } from './dashboard.js';
import { jobsCommand } from './jobs.js';
import { pauseCommand, resumeCommand } from './pause.js';
import { removeCommand } from './remove.js';
import { retryCommand } from './retry.js';
import { runCommand } from './run.js';
import { statusCommand } from './status.js';

/** Every command, in the order `worker-pool --help` lists them. */
export const COMMANDS: readonly Command[] = [
  runCommand,
  statusCommand,
  jobsCommand,
  retryCommand,
  removeCommand,
  cancelCommand,
  pauseCommand,
  resumeCommand,
  dashboardCommand,
];
