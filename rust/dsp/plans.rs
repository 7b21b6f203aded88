//! Planned stages kept for later calls, as rustfft's planner keeps FFT plans: a mel
//! spectrogram's window, FFT plans and filter bank, a DCT's matrix, Kaldi's bands are built
//! once per set of parameters, not on every call (a 1 s clip's features cost less than
//! planning them). Each cache holds a few plans, the most recently used, behind a lock that is
//! held only to look one up: plans are shared (`Arc`) and built outside it, so threads never
//! wait on another's planning. Plans are pure functions of their parameters: a kept plan gives
//! the numbers a new one gives.

use std::sync::{Arc, Mutex};

use super::error::Result;

/// Plans kept per cache: the parameters an application alternates between (a model's front
/// end and a few settings); one more set of parameters replaces the least recently used.
pub const KEPT: usize = 8;

/// The longest FFT whose plans are kept: longer ones (a window of 512 KB and more) are planned
/// per call, where the work dwarfs the planning anyway, and the memory they hold is not kept.
pub const MAX_KEPT_N_FFT: usize = 1 << 16;

/// The plans of one kind, keyed by their parameters (compared with `==`: parameters that hold
/// NaN never match and are planned each time).
pub struct Plans<K, V> {
    entries: Mutex<Vec<(K, Arc<V>)>>,
}

impl<K: PartialEq, V> Plans<K, V> {
    pub const fn new() -> Self {
        Plans { entries: Mutex::new(Vec::new()) }
    }

    /// The plan for `key`: a kept one, or `plan()`'s, then kept where `keep` says so of it
    /// (errors are not kept, so that each call gives its own).
    pub fn get(&self, key: &K, plan: impl FnOnce() -> Result<V>, keep: impl FnOnce(&V) -> bool) -> Result<Arc<V>>
    where
        K: Clone,
    {
        {
            let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(i) = entries.iter().position(|(k, _)| k == key) {
                let entry = entries.remove(i);
                let value = entry.1.clone();
                entries.insert(0, entry);
                return Ok(value);
            }
        }
        let value = Arc::new(plan()?);
        if !keep(&value) {
            return Ok(value);
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if !entries.iter().any(|(k, _)| k == key) {
            entries.insert(0, (key.clone(), value.clone()));
            entries.truncate(KEPT);
        }
        Ok(value)
    }
}

impl<K: PartialEq, V> Default for Plans<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::Error;

    #[test]
    fn a_plan_is_made_once_and_the_least_recently_used_goes_first() {
        let plans: Plans<u32, u32> = Plans::new();
        let made = std::cell::Cell::new(0);
        let get = |k: u32| {
            plans.get(
                &k,
                || {
                    made.set(made.get() + 1);
                    Ok(k * 10)
                },
                |&v| v != 990,
            )
        };
        assert_eq!(*get(1).unwrap(), 10);
        assert!(Arc::ptr_eq(&get(1).unwrap(), &get(1).unwrap()));
        assert_eq!(made.get(), 1);
        for k in 2..=KEPT as u32 {
            get(k).unwrap();
        }
        get(1).unwrap(); // the most recent again
        get(100).unwrap(); // replaces 2, the least recently used
        assert_eq!(made.get(), KEPT + 1);
        get(1).unwrap();
        assert_eq!(made.get(), KEPT + 1);
        get(2).unwrap();
        assert_eq!(made.get(), KEPT + 2);
        assert!(plans.entries.lock().unwrap().len() == KEPT);
        // A plan `keep` refuses is made each time.
        get(99).unwrap();
        get(99).unwrap();
        assert_eq!(made.get(), KEPT + 4);
        // Errors are not kept.
        let failing: Plans<u32, u32> = Plans::new();
        for _ in 0..2 {
            assert!(failing.get(&1, || Err(Error::Parameter("no".into())), |_| true).is_err());
        }
        assert!(failing.entries.lock().unwrap().is_empty());
    }
}
