//! Work over every core, for the reader and the compiler when they are asked to use threads.

/// `f` over every item, in order: on every core (up to 8) when `parallel`, else on this thread.
/// Either every item's result comes back, or `None`: a worker that stopped (none does: `f`
/// never panics on checked input) must never leave items out, since a lost statement could be
/// a lost `Deny`.
pub(crate) fn map_in_parallel<T: Sync, R: Send>(
    items: &[T],
    parallel: bool,
    f: impl Fn(&T) -> R + Sync,
) -> Option<Vec<R>> {
    let threads = if parallel {
        std::thread::available_parallelism().map_or(1, usize::from).min(8)
    } else {
        1
    };
    if threads <= 1 {
        return Some(items.iter().map(&f).collect());
    }
    let size = items.len().div_ceil(threads).max(1);
    let f = &f;
    let results = std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(size)
            .map(|chunk| scope.spawn(move || chunk.iter().map(f).collect::<Vec<R>>()))
            .collect();
        let mut results = Vec::with_capacity(items.len());
        for handle in handles {
            results.extend(handle.join().ok()?);
        }
        Some(results)
    })?;
    // INVARIANT: every worker returned one result per item of its chunk.
    (results.len() == items.len()).then_some(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f8_a_stopped_worker_fails_the_whole_map() {
        let items: Vec<u32> = (0..64).collect();
        let all = map_in_parallel(&items, true, |i| i * 2).unwrap();
        assert_eq!(all.len(), 64);
        assert_eq!(all[63], 126);
        // A worker that panics must not leave its items out silently.
        let lost = map_in_parallel(&items, true, |i| {
            assert!(*i != 40, "worker stops");
            *i
        });
        if std::thread::available_parallelism().map_or(1, usize::from) > 1 {
            assert!(lost.is_none());
        }
    }
}
