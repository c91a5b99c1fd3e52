//! Running a future on this thread: the browser's microtask queue, or in
//! native tests a local pool the test drives.

use std::future::Future;

/// Runs `future` to completion in the background.
pub(crate) fn spawn(future: impl Future<Output = ()> + 'static) {
    #[cfg(target_arch = "wasm32")]
    wasm_bindgen_futures::spawn_local(future);
    #[cfg(all(test, not(target_arch = "wasm32")))]
    test_pool::spawn(future);
    #[cfg(all(not(test), not(target_arch = "wasm32")))]
    drop(future); // nothing runs futures natively outside tests
}

#[cfg(all(test, not(target_arch = "wasm32")))]
pub(crate) mod test_pool {
    use futures::executor::LocalPool;
    use futures::task::LocalSpawnExt;
    use std::cell::RefCell;
    use std::future::Future;

    thread_local! {
        static POOL: RefCell<LocalPool> = RefCell::new(LocalPool::new());
    }

    pub fn spawn(future: impl Future<Output = ()> + 'static) {
        POOL.with(|p| {
            p.borrow()
                .spawner()
                .spawn_local(future)
                .expect("pool alive")
        });
    }

    /// Polls every spawned future until none can make progress.
    pub fn run_until_stalled() {
        POOL.with(|p| p.borrow_mut().run_until_stalled());
    }
}
