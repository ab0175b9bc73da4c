//! Connections for queries, each owned by a thread of its own. A caller
//! hands a closure to a free thread and waits for its answer, so the store
//! can be used from any thread, an async runtime's workers included (the
//! blocking PostgreSQL client must not run on those).

use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use tracelot_store::StoreError;

use crate::db::Conn;

type Task = Box<dyn FnOnce(Result<&mut Conn, StoreError>) + Send>;

/// A fixed set of query threads, each connecting on first use and again
/// after its connection was lost.
pub(crate) struct Pool {
    tasks: Option<Sender<Task>>,
    threads: Vec<JoinHandle<()>>,
}

impl Pool {
    pub(crate) fn new(url: &str, size: usize) -> Result<Pool, StoreError> {
        let (tx, rx) = mpsc::channel::<Task>();
        let rx = Arc::new(Mutex::new(rx));
        let mut threads = Vec::new();
        for i in 0..size.max(1) {
            let (rx, url) = (rx.clone(), url.to_owned());
            let handle = std::thread::Builder::new()
                .name(format!("tracelot-pg-{i}"))
                .spawn(move || serve(&url, &rx))
                .map_err(|e| StoreError::Storage(format!("cannot start a query thread: {e}")))?;
            threads.push(handle);
        }
        Ok(Pool { tasks: Some(tx), threads })
    }

    /// Runs `f` on a pooled connection and returns what it returns.
    pub(crate) fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Conn) -> T + Send + 'static,
    ) -> Result<T, StoreError> {
        let (tx, rx) = mpsc::sync_channel(1);
        let task: Task = Box::new(move |conn| {
            let _ = tx.send(conn.map(f));
        });
        let sent = self.tasks.as_ref().map(|t| t.send(task).is_ok()).unwrap_or(false);
        if !sent {
            return Err(StoreError::Storage("the query threads have stopped".into()));
        }
        rx.recv().map_err(|_| StoreError::Storage("a query thread stopped before answering".into()))?
    }
}

fn serve(url: &str, rx: &Mutex<Receiver<Task>>) {
    let mut conn: Option<Conn> = None;
    loop {
        let task = match rx.lock() {
            Ok(r) => r.recv(),
            Err(_) => return,
        };
        let Ok(task) = task else { return };
        if conn.as_ref().is_none_or(Conn::is_closed) {
            conn = None;
            match Conn::connect(url) {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    task(Err(e));
                    continue;
                }
            }
        }
        match conn.as_mut() {
            Some(c) => task(Ok(c)),
            None => task(Err(StoreError::Storage("no connection".into()))),
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.tasks.take();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}
