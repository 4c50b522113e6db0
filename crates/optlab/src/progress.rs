//! The command line's [`Reporter`]: an indicatif bar on standard error for each phase a
//! library reports, log lines above it; nothing at all with `--json` or when standard error
//! is not a terminal (logs then go to standard error as plain lines).

use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};
use optlab_core::report::Reporter;

/// Progress bars for library phases, drawn only for a person at a terminal.
pub struct Bars {
    bar: Mutex<Option<ProgressBar>>,
    interactive: bool,
    logs: bool,
}

impl Bars {
    /// Bars when standard error is a terminal and `quiet` (usually `--json`) is off; plain
    /// log lines on standard error when it is not a terminal; nothing when `quiet`.
    pub fn new(quiet: bool) -> Self {
        Self {
            bar: Mutex::new(None),
            interactive: !quiet && std::io::stderr().is_terminal(),
            logs: !quiet,
        }
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<ProgressBar>> {
        self.bar.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Reporter for Bars {
    fn begin(&self, name: &str, total: u64) {
        if !self.interactive {
            return;
        }
        let pb = if total > 0 {
            ProgressBar::new(total)
        } else {
            ProgressBar::new_spinner()
        };
        let template = "{prefix} {bar:30} {pos}/{len} eta {eta} {msg}";
        if let Ok(style) = ProgressStyle::with_template(template) {
            pb.set_style(style);
        }
        pb.set_prefix(name.to_string());
        if let Some(old) = self.slot().replace(pb) {
            old.finish_and_clear();
        }
    }

    fn advance(&self, done: u64, status: &str) {
        if let Some(pb) = self.slot().as_ref() {
            pb.set_position(done);
            pb.set_message(status.to_string());
        }
    }

    fn end(&self) {
        if let Some(pb) = self.slot().take() {
            pb.finish_and_clear();
        }
    }

    fn log(&self, line: &str) {
        match self.slot().as_ref() {
            Some(pb) => pb.println(line),
            None if self.logs => eprintln!("{line}"),
            None => {}
        }
    }
}
