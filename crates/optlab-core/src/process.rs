//! What this process costs: CPU seconds, resident memory and its peak, read from Linux's
//! `/proc/self`. Every reader returns `None` where the file does not exist (other systems),
//! so callers report "unknown" rather than fail.

/// Clock ticks per second that `/proc/self/stat` counts CPU time in (`sysconf(_SC_CLK_TCK)`).
fn clock_ticks_per_second() -> f64 {
    // SAFETY: sysconf has no preconditions; it returns -1 for an unknown name.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 {
        ticks as f64
    } else {
        100.0
    }
}

/// CPU seconds (user + system, all threads) this process has used so far. Unlike wall time
/// it does not grow while other processes hold the cores.
pub fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name is in parentheses and may hold spaces: count fields after it.
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / clock_ticks_per_second())
}

fn status_field_bytes(name: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(name))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Resident set size now, in bytes (`VmRSS`).
pub fn rss_bytes() -> Option<u64> {
    status_field_bytes("VmRSS:")
}

/// Highest resident set size so far, in bytes (`VmHWM`).
pub fn peak_rss_bytes() -> Option<u64> {
    status_field_bytes("VmHWM:")
}

/// Reset the resident-set high-water mark to the current size (Linux `clear_refs` value 5)
/// so the next [`peak_rss_bytes`] measures one phase alone; false where the kernel refuses.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// The 1-minute load average of the machine (how many other jobs share the cores).
pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_grows_with_work_and_memory_readings_are_consistent() {
        let Some(before) = cpu_seconds() else {
            return; // not Linux: nothing to read
        };
        // Spin until 0.05 s of CPU time shows up; on a loaded machine that takes more wall
        // time, so the deadline is generous. A reader that never advances fails it.
        let mut x = 0u64;
        let start = std::time::Instant::now();
        let mut after = before;
        while after - before <= 0.05 && start.elapsed().as_secs() < 30 {
            for _ in 0..100_000 {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
            }
            after = cpu_seconds().unwrap();
        }
        std::hint::black_box(x);
        assert!(after - before > 0.05, "{before} -> {after}");
        let (rss, peak) = (rss_bytes().unwrap(), peak_rss_bytes().unwrap());
        assert!(rss > 0 && peak >= rss, "rss {rss} peak {peak}");
    }
}
