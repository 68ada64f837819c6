//! The engine's threads: one rayon pool for the process, of [`threads`] threads, made on
//! first use. Chunks of records, their blocks, groups of columns and the columns of a
//! Parquet row group are its tasks: no thread is made per chunk.
//!
//! A process forked from one that had made the pool has none of its threads (a fork copies the
//! calling thread alone): a pool that waits for them would wait for ever, as rayon's global
//! pool does there. The pool is therefore the process's own, made again in a forked child
//! (the parent's is forgotten there, not dropped: its locks may have been copied held).
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rayon::{ThreadPool, ThreadPoolBuilder};

/// The pool and the process that made it.
static POOL: Mutex<Option<(u32, Arc<ThreadPool>)>> = Mutex::new(None);

/// The threads the pool is to have, as [`set_threads`] last said (0: [`default_threads`]'s).
static WANTED: AtomicUsize = AtomicUsize::new(0);

/// Without [`set_threads`]: the cores this process may use, at most 4.
fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}

/// The threads the pool is to have from now on (at least 1), where the caller's rule says how
/// many (normkit's Python side: `normkit.io.threads.csv_workers`, which follows pyarrow's
/// `cpu_count`, and so `OMP_NUM_THREADS`). A pool of another size is replaced at its next use;
/// the work queued on it is finished first.
pub fn set_threads(threads: usize) {
    WANTED.store(threads.max(1), Ordering::Relaxed);
}

/// Threads for work shared among the cores: the pool's, as [`set_threads`] last said, else
/// the cores this process may use, at most 4.
pub fn threads() -> usize {
    match WANTED.load(Ordering::Relaxed) {
        0 => default_threads(),
        n => n,
    }
}

/// This process's pool, made if it has none yet (or one of another size).
fn pool() -> Arc<ThreadPool> {
    let pid = std::process::id();
    let threads = threads();
    let mut slot = POOL.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((owner, pool)) = slot.as_ref() {
        if *owner == pid && pool.current_num_threads() == threads {
            return Arc::clone(pool);
        }
    }
    if let Some((owner, pool)) = slot.take() {
        if owner != pid {
            std::mem::forget(pool);
        }
    }
    let pool = Arc::new(
        ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("normkit-{i}"))
            .build()
            .expect("the engine's threads could not be started"),
    );
    *slot = Some((pid, Arc::clone(&pool)));
    pool
}

/// `op` run on the pool, where the rayon calls inside it (scopes, parallel iterators) find
/// their threads; the caller waits for it (on a thread of the pool, it runs at once).
pub fn install<T: Send>(op: impl FnOnce() -> T + Send) -> T {
    pool().install(op)
}

/// `op` started on the pool; returns at once.
pub fn spawn(op: impl FnOnce() + Send + 'static) {
    pool().spawn(op);
}

#[cfg(test)]
mod tests {
    use super::*;
    use rayon::prelude::*;

    #[test]
    fn work_runs_on_the_pools_threads() {
        let names: Vec<String> = install(|| {
            (0..64)
                .into_par_iter()
                .map(|_| std::thread::current().name().unwrap_or("").to_string())
                .collect()
        });
        assert!(names.iter().all(|n| n.starts_with("normkit-")), "{names:?}");
        let (sender, receiver) = std::sync::mpsc::channel();
        spawn(move || {
            sender
                .send(std::thread::current().name().map(str::to_string))
                .unwrap()
        });
        assert!(receiver.recv().unwrap().unwrap().starts_with("normkit-"));
    }

    #[test]
    fn the_pool_has_the_threads_set() {
        set_threads(1);
        assert_eq!(install(rayon::current_num_threads), 1);
        set_threads(3);
        assert_eq!(install(rayon::current_num_threads), 3);
        set_threads(0);
        assert_eq!(install(rayon::current_num_threads), 1);
        WANTED.store(0, Ordering::Relaxed);
    }
}
