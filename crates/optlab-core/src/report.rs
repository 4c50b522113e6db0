//! How library code tells its caller what it is doing, without printing.
//!
//! Long-running functions (training loops, sweeps, experiments) take a `&dyn Reporter`: they
//! announce a phase with its length, advance it with a short status, and hand over any line a
//! person may want to read. The command-line tool draws these as progress bars; tests and
//! library users pass [`Silent`], or collect the calls with [`Recorder`].

use std::sync::Mutex;

/// Receiver of progress and log lines from long-running library code.
///
/// Implementations must be cheap to call once per training step and safe to share between
/// threads (independent experiments may report side by side).
pub trait Reporter: Send + Sync {
    /// A phase called `name` of `total` units begins (`total` 0: length unknown).
    fn begin(&self, name: &str, total: u64);
    /// `done` units of the current phase are complete; `status` is a short note (`loss 2.31`).
    fn advance(&self, done: u64, status: &str);
    /// The current phase is over.
    fn end(&self);
    /// A line meant for a person (a finished sub-run, a chosen setting, a warning).
    fn log(&self, line: &str);
}

/// A reporter that drops everything: the default for tests and embedded use.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Reporter for Silent {
    fn begin(&self, _name: &str, _total: u64) {}
    fn advance(&self, _done: u64, _status: &str) {}
    fn end(&self) {}
    fn log(&self, _line: &str) {}
}

/// One call a [`Recorder`] received.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// [`Reporter::begin`].
    Begin(String, u64),
    /// [`Reporter::advance`].
    Advance(u64, String),
    /// [`Reporter::end`].
    End,
    /// [`Reporter::log`].
    Log(String),
}

/// A reporter that keeps every call, so a caller (or a test) can read back what happened.
#[derive(Debug, Default)]
pub struct Recorder {
    events: Mutex<Vec<Event>>,
}

impl Recorder {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every call so far, in order.
    pub fn events(&self) -> Vec<Event> {
        self.lock().clone()
    }

    /// The logged lines so far, in order.
    pub fn lines(&self) -> Vec<String> {
        self.lock()
            .iter()
            .filter_map(|e| match e {
                Event::Log(l) => Some(l.clone()),
                _ => None,
            })
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Event>> {
        // A panic while holding the lock cannot leave the vector half-written.
        self.events.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn push(&self, e: Event) {
        self.lock().push(e);
    }
}

impl Reporter for Recorder {
    fn begin(&self, name: &str, total: u64) {
        self.push(Event::Begin(name.into(), total));
    }
    fn advance(&self, done: u64, status: &str) {
        self.push(Event::Advance(done, status.into()));
    }
    fn end(&self) {
        self.push(Event::End);
    }
    fn log(&self, line: &str) {
        self.push(Event::Log(line.into()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorder_keeps_calls_in_order_and_silent_accepts_all() {
        let r = Recorder::new();
        let rep: &dyn Reporter = &r;
        rep.begin("train", 3);
        rep.advance(1, "loss 2");
        rep.log("done");
        rep.end();
        assert_eq!(
            r.events(),
            vec![
                Event::Begin("train".into(), 3),
                Event::Advance(1, "loss 2".into()),
                Event::Log("done".into()),
                Event::End
            ]
        );
        assert_eq!(r.lines(), vec!["done".to_string()]);
        let s: &dyn Reporter = &Silent;
        s.begin("x", 0);
        s.end();
    }
}
