//! Many items at once: each is one rayon task on a pool of the call's size. Pools are kept
//! for later calls (a few, by size) by the process that made them: a `fork()`ed child, such as
//! a PyTorch DataLoader worker, never uses its parent's (whose threads it does not have) but
//! makes its own. Work of one item, or on one thread, runs on the calling thread: no pool, no
//! dispatch. A panic in one item becomes that item's error; the others go on.
//!
//! As tokenizers does, a process forked after this one ran work on several threads uses one
//! thread by default: `n` forked workers (a DataLoader's, a multiprocessing pool's) would
//! otherwise start `n` threads per core between them.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use rayon::prelude::*;

use super::error::{guarded, Error, Result};

/// Runs `f` on every item on `workers` threads (`None`: one per core) and returns the results
/// in order. A panic inside `f` is returned as that item's error. One item, or one thread, runs
/// on the calling thread (`f` must then start no rayon work of its own: give it a pool, as
/// [`MelSpectrogram::compute_into`](super::spectrogram::MelSpectrogram::compute_into) takes one).
pub fn run_parallel<I, T, F>(workers: Option<usize>, items: &[I], f: F) -> Result<Vec<Result<T>>>
where
    I: Sync,
    T: Send,
    F: Fn(&I) -> Result<T> + Sync,
{
    if inline(workers, items.len()) {
        return Ok(items.iter().map(|item| guarded(|| f(item))).collect());
    }
    Ok(pool(workers)?.install(|| items.par_iter().map(|item| guarded(|| f(item))).collect()))
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
    if inline(workers, items.len()) {
        let slots = out.chunks_mut(chunk.max(1));
        return Ok(items.iter().zip(slots).map(|(item, slot)| guarded(|| f(item, slot))).collect());
    }
    Ok(pool(workers)?.install(|| {
        items.par_iter().zip(out.par_chunks_mut(chunk.max(1))).map(|(item, slot)| guarded(|| f(item, slot))).collect()
    }))
}

/// Whether `items` items on `workers` threads run on the calling thread: one item (or none),
/// or one thread.
fn inline(workers: Option<usize>, items: usize) -> bool {
    items <= 1 || threads(workers) == 1
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
    cores()
}

/// The cores this process may use, found once: `available_parallelism` reads the cgroup's
/// files and the affinity mask on every call (tens of microseconds, more than a short
/// signal's features).
fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The threads `workers` asks for (`None` or 0: [`default_workers`]).
pub fn threads(workers: Option<usize>) -> usize {
    workers.filter(|&n| n > 0).unwrap_or_else(default_workers)
}

/// Pools kept: a few sizes (the default and a `workers=` or two); one more replaces the
/// oldest, whose threads end once its last call is done.
const KEPT_POOLS: usize = 4;

/// The kept pools and the process that made them.
static POOLS: Mutex<(u32, Vec<Arc<rayon::ThreadPool>>)> = Mutex::new((0, Vec::new()));

/// A thread pool of [`threads`]`(workers)` threads, kept for later calls.
pub fn pool(workers: Option<usize>) -> Result<Arc<rayon::ThreadPool>> {
    let n = threads(workers);
    let pid = std::process::id();
    if n > 1 {
        // Only the first process to get here records itself: its forked children do not.
        let _ = PARALLEL_PID.compare_exchange(0, pid, Ordering::Relaxed, Ordering::Relaxed);
    }
    let mut kept = POOLS.lock().unwrap_or_else(|e| e.into_inner());
    if kept.0 != pid {
        // A forked child's copy of its parent's pools: their threads are not in this process,
        // and ending them would wait on them. Left as they are (a few bytes), never used.
        std::mem::forget(std::mem::take(&mut kept.1));
        kept.0 = pid;
    }
    if let Some(p) = kept.1.iter().find(|p| p.current_num_threads() == n) {
        return Ok(p.clone());
    }
    let p = Arc::new(
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .thread_name(|i| format!("spectrust-{i}"))
            .build()
            .map_err(|e| Error::Internal(format!("cannot start {n} worker threads: {e}")))?,
    );
    if kept.1.len() == KEPT_POOLS {
        kept.1.remove(0);
    }
    kept.1.push(p.clone());
    Ok(p)
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
        // One item runs on the calling thread, a panic still its error.
        let one = run_parallel(Some(3), &[7u32], |&i| if i == 7 { panic!("bad item {i}") } else { Ok(i) }).unwrap();
        assert!(matches!(&one[0], Err(Error::Internal(m)) if m == "bad item 7"));
    }

    #[test]
    fn pools_are_kept_by_size_and_items_write_their_slots() {
        let (a, b) = (pool(Some(3)).unwrap(), pool(Some(3)).unwrap());
        assert!(Arc::ptr_eq(&a, &b) && a.current_num_threads() == 3);
        for workers in [Some(1), Some(2)] {
            for n in [0usize, 1, 5] {
                let items: Vec<usize> = (0..n).collect();
                let mut out = vec![0usize; n * 2];
                let r = run_parallel_into(workers, &items, &mut out, 2, |&i, slot| {
                    slot.fill(i + 1);
                    Ok(i)
                })
                .unwrap();
                assert_eq!(r.into_iter().map(|r| r.unwrap()).collect::<Vec<_>>(), items);
                assert_eq!(out, items.iter().flat_map(|&i| [i + 1, i + 1]).collect::<Vec<_>>());
            }
        }
    }
}
