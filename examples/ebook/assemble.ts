/**
 * The `assemble` handler: the batch's `then` job, run by whichever pool
 * claims it once every page of an ebook finished, so the files appear even
 * if the process that added the ebook is gone.
 */
import type { HandlerContext, Job, Queue } from 'redis-worker-pool';
import { toPages, type AssembleJobData, type AssembleResult, type EbookJobs } from './ebook.js';
import type { EbookMeta, PageResult } from './ebook.js';
import { writeEbookFiles } from './render.js';

export interface AssembleHandlerOptions {
  /** A queue of the same name and prefix as the pool's: the batch is read through it. */
  queue: Queue<EbookJobs>;
  /**
   * Where this worker writes ebooks: its own setting (`--out`), never anything
   * read from Redis; the file names are slugs (see `writeEbookFiles`).
   */
  out: string;
  log?: (line: string) => void;
}

/** Build the `assemble` handler of a pool. */
export function createAssembleHandler({
  queue,
  out,
  log = () => {},
}: AssembleHandlerOptions): (
  job: Job<AssembleJobData, 'assemble'>,
  context: HandlerContext,
) => Promise<AssembleResult> {
  return async (job) => {
    // The batch this job ends, as the library hands it over: not a value of the job's data.
    const batchId = job.parentBatchId;
    if (!batchId) throw new Error(`Job ${job.id} is not the \`then\` job of an ebook's batch`);
    const progress = await queue.getBatch(batchId);
    const meta = progress?.meta as EbookMeta | undefined;
    if (!progress || !meta) throw new Error(`Ebook ${batchId} is gone (expired, or never added)`);
    const items = await queue.getBatchResults<PageResult>(batchId);
    // A cancelled ebook (Ctrl+C, DELETE, `worker-pool cancel`) is not wanted: no files.
    if (items.some((item) => item.state === 'failed' && item.error.code === 'ERR_JOB_CANCELLED')) {
      log(`[Ebook] Ebook ${batchId} was cancelled: no files written.`);
      return { state: 'cancelled' };
    }
    const files = await writeEbookFiles({ meta, progress, pages: toPages(meta, items) }, out);
    log(`[Ebook] Ebook ${batchId} assembled: ${files.markdown}`);
    return { state: 'written', ...files };
  };
}
