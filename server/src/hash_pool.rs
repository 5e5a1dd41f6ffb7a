//! Where the driver runs the password hashes the core asks for (`Output::Hash`), so that the
//! task owning the core never spends milliseconds of CPU on one.
//!
//! With `hash_workers` > 0: each job waits for one of that many permits, then runs on tokio's
//! blocking pool, and its result comes back through a channel as an input of its own. The
//! queue is bounded by the core, which has at most `max_pending_hashes` jobs out at once. With
//! 0 (the simulator): a job runs at once on the driver's task and its result is the next
//! input, so a seed replays exactly. Dropping the pool abandons the jobs not yet done.
//!
//! What it is not: a general work queue (nothing else the core does is slow enough today).

use std::collections::VecDeque;
use std::sync::Arc;

use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;

use crate::core::{HashDone, HashJob};

/// See the module doc.
#[derive(Debug)]
pub struct HashPool {
    /// `None`: inline.
    workers: Option<Arc<Semaphore>>,
    /// Results of inline jobs, for the next turn of the driver's loop.
    inline: VecDeque<HashDone>,
    tasks: JoinSet<()>,
    done_tx: mpsc::UnboundedSender<HashDone>,
    done_rx: mpsc::UnboundedReceiver<HashDone>,
}

impl HashPool {
    /// A pool of `workers` threads (0: inline).
    pub fn new(workers: usize) -> HashPool {
        let (done_tx, done_rx) = mpsc::unbounded_channel();
        HashPool {
            workers: (workers > 0).then(|| Arc::new(Semaphore::new(workers))),
            inline: VecDeque::new(),
            tasks: JoinSet::new(),
            done_tx,
            done_rx,
        }
    }

    /// Starts `job` (inline: runs it now).
    pub fn submit(&mut self, job: HashJob) {
        let Some(workers) = &self.workers else {
            self.inline.push_back(job.run());
            return;
        };
        let (workers, done_tx) = (workers.clone(), self.done_tx.clone());
        self.tasks.spawn(async move {
            let Ok(_permit) = workers.acquire_owned().await else {
                return; // never closed
            };
            if let Ok(done) = tokio::task::spawn_blocking(move || job.run()).await {
                let _ = done_tx.send(done);
            }
        });
        // Finished tasks are reaped here, so the set holds only jobs still out.
        while self.tasks.try_join_next().is_some() {}
    }

    /// The result of an inline job, if one is waiting.
    pub fn take_inline(&mut self) -> Option<HashDone> {
        self.inline.pop_front()
    }

    /// The next result from the workers (never completes when inline).
    pub async fn next_done(&mut self) -> Option<HashDone> {
        self.done_rx.recv().await
    }
}
