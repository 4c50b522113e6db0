//! Progress bars for anything longer than a few seconds (hidden when not wanted).

use indicatif::{ProgressBar, ProgressStyle};

/// A bar over `len` steps showing position, ETA and a message; hidden when `visible` is false.
pub fn bar(len: u64, visible: bool) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} eta {eta} {msg}") {
        pb.set_style(style);
    }
    pb
}
