//! Many items at once: each is one rayon task on a pool built for the call (so that a
//! `fork()`ed child, such as a PyTorch DataLoader worker, never inherits a dead global pool).
//! A panic in one item becomes that item's error; the others go on.
//!
//! As tokenizers does, a process forked after this one ran work on several threads uses one
//! thread by default: `n` forked workers (a DataLoader's, a multiprocessing pool's) would
//! otherwise start `n` threads per core between them.

use std::sync::atomic::{AtomicU32, Ordering};

use rayon::prelude::*;

use super::error::{guarded, Error, Result};

/// Runs `f` on every item on `workers` threads (`None`: one per core) and returns the results
/// in order. A panic inside `f` is returned as that item's error.
pub fn run_parallel<I, T, F>(workers: Option<usize>, items: &[I], f: F) -> Result<Vec<Result<T>>>
where
    I: Sync,
    T: Send,
    F: Fn(&I) -> Result<T> + Sync,
{
    let pool = pool(workers)?;
    Ok(pool.install(|| items.par_iter().map(|item| guarded(|| f(item))).collect()))
}

/// As [`run_parallel`], but item `i` writes its result into `out[i * chunk..(i + 1) * chunk]`:
/// a batch's stacked output in one allocation, rather than one per item and a copy (`f` may
/// return something more, such as the item's peak).
pub fn run_parallel_into<I, O, T, F>(
    workers: Option<usize>,
    items: &[I],
    out: &mut [O],
    chunk: usize,
    f: F,
) -> Result<Vec<Result<T>>>
where
    I: Sync,
    O: Send,
    T: Send,
    F: Fn(&I, &mut [O]) -> Result<T> + Sync,
{
    assert_eq!(out.len(), items.len() * chunk, "one slot of {chunk} for each item");
    let pool = pool(workers)?;
    Ok(pool.install(|| {
        items.par_iter().zip(out.par_chunks_mut(chunk.max(1))).map(|(item, slot)| guarded(|| f(item, slot))).collect()
    }))
}

/// The id of the process that first ran work on several threads (0: none has).
static PARALLEL_PID: AtomicU32 = AtomicU32::new(0);

/// Threads used when none are asked for: one per core, but one in a process forked from one
/// that ran work on several threads.
pub fn default_workers() -> usize {
    let parallel = PARALLEL_PID.load(Ordering::Relaxed);
    if parallel != 0 && parallel != std::process::id() {
        return 1;
    }
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// A thread pool of `workers` threads (`None` or 0: [`default_workers`]).
pub fn pool(workers: Option<usize>) -> Result<rayon::ThreadPool> {
    let n = workers.filter(|&n| n > 0).unwrap_or_else(default_workers);
    if n > 1 {
        // Only the first process to get here records itself: its forked children do not.
        let _ = PARALLEL_PID.compare_exchange(0, std::process::id(), Ordering::Relaxed, Ordering::Relaxed);
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .thread_name(|i| format!("spectrust-{i}"))
        .build()
        .map_err(|e| Error::Internal(format!("cannot start {n} worker threads: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_order_and_a_panic_is_that_items_error() {
        let items: Vec<u32> = (0..50).collect();
        let out = run_parallel(Some(3), &items, |&i| if i == 7 { panic!("bad item {i}") } else { Ok(i * 2) }).unwrap();
        for (i, r) in out.iter().enumerate() {
            match r {
                Ok(v) => assert_eq!(*v, 2 * i as u32),
                Err(e) => {
                    assert_eq!(i, 7);
                    assert!(matches!(e, Error::Internal(m) if m == "bad item 7"), "{e}");
                }
            }
        }
        assert_eq!(out.iter().filter(|r| r.is_err()).count(), 1);
    }
}
