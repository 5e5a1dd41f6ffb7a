//! CPU time and memory of a process, from Linux's `/proc/PID/stat` and `/proc/PID/status`.
//!
//! CPU is user plus system time of all the process's threads (dead ones included), in clock
//! ticks converted with `getconf CLK_TCK` (100 when that cannot be asked). Peak RSS is the
//! kernel's high-water mark, `VmHWM`. Other systems: `None`.

use std::sync::OnceLock;

/// Clock ticks per second of `/proc/PID/stat`.
fn clock_ticks_per_sec() -> u64 {
    static TICKS: OnceLock<u64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|out| String::from_utf8(out.stdout).ok())
            .and_then(|text| text.trim().parse().ok())
            .filter(|&ticks| ticks > 0)
            .unwrap_or(100)
    })
}

/// User + system CPU time from the text of a `/proc/PID/stat`, in ticks.
pub fn cpu_ticks_from_stat(stat: &str) -> Option<u64> {
    // The command name (field 2) is in parentheses and may hold spaces: count from the last
    // ')'. After it come field 3 (state) onwards; utime and stime are fields 14 and 15.
    let after = &stat[stat.rfind(')')? + 1..];
    let mut fields = after.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// A `kB` line such as `VmHWM:  1234 kB` from the text of a `/proc/PID/status`, in KiB.
pub fn status_kib(status: &str, field: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// CPU time used so far by process `pid`, in nanoseconds.
pub fn cpu_ns(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let ticks = cpu_ticks_from_stat(&stat)?;
    Some(ticks.saturating_mul(1_000_000_000) / clock_ticks_per_sec())
}

/// Peak resident memory of process `pid`, in KiB.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status_kib(&status, "VmHWM")
}

/// Current resident memory of process `pid`, in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status_kib(&status, "VmRSS")
}

/// The 1-minute load average of the machine.
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
    fn parses_stat_and_status() {
        let stat = "4242 (yim server) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 50 0 0 20 0 3 0";
        assert_eq!(cpu_ticks_from_stat(stat), Some(300));
        assert_eq!(cpu_ticks_from_stat("garbage"), None);
        let status = "Name:\tyim-server\nVmHWM:\t  51200 kB\nVmRSS:\t   40960 kB\n";
        assert_eq!(status_kib(status, "VmHWM"), Some(51_200));
        assert_eq!(status_kib(status, "VmRSS"), Some(40_960));
        assert_eq!(status_kib(status, "VmSwap"), None);
    }

    #[test]
    fn reads_this_process() {
        let me = std::process::id();
        let spin_until = crate::clock::now_ns() + 30_000_000;
        while crate::clock::now_ns() < spin_until {}
        assert!(cpu_ns(me).is_some_and(|ns| ns > 0));
        assert!(peak_rss_kib(me).is_some_and(|kib| kib > 0));
        assert!(rss_kib(me).is_some_and(|kib| kib > 0));
        assert!(load_average().is_some_and(|l| l >= 0.0));
    }
}
