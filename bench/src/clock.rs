//! One monotonic clock for the whole generator, so that a publisher's "acknowledged" instant and a
//! subscriber's "parsed" instant can be subtracted; and the few numbers read from `/proc`.

use std::sync::OnceLock;
use std::time::Instant;

static ORIGIN: OnceLock<Instant> = OnceLock::new();

/// Nanoseconds since the generator's first call of this function.
pub fn now_ns() -> u64 {
    let origin = *ORIGIN.get_or_init(Instant::now);
    origin.elapsed().as_nanos() as u64
}

/// CPU time (user + system) of a process, in seconds, from `/proc/<pid>/stat`.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis are plain.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Some((utime + stime) / ticks.max(1.0))
}

/// Resident set size of a process, in bytes, from `/proc/<pid>/status`.
pub fn rss_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Raises this process's soft limit on open descriptors to the hard limit (20,000 here), and
/// returns the new soft limit.
pub fn raise_fd_limit() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid, writable rlimit.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
            libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
        }
    }
    lim.rlim_cur
}

/// CPU time of a process and of its children: its own, what its reaped children used (`cutime`,
/// `cstime`), and its live children's own and reaped — for PostgreSQL, whose postmaster forks one
/// process per connection and reaps them.
pub fn tree_cpu_seconds(root: u32) -> Option<f64> {
    let mut total = stat_times(root)?.all();
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if let Some(t) = stat_times(pid).filter(|t| t.ppid == root) {
            total += t.all();
        }
    }
    Some(total)
}

/// The times of one process from `/proc/<pid>/stat`, in seconds.
struct StatTimes {
    /// Its parent.
    ppid: u32,
    /// utime + stime.
    own: f64,
    /// cutime + cstime (its reaped children).
    children: f64,
}

impl StatTimes {
    fn all(&self) -> f64 {
        self.own + self.children
    }
}

fn stat_times(pid: u32) -> Option<StatTimes> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let num = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
    // SAFETY: sysconf has no preconditions.
    let ticks = (unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64).max(1.0);
    Some(StatTimes {
        ppid: fields.get(1)?.parse().ok()?,
        own: (num(11)? + num(12)?) / ticks,
        children: (num(13)? + num(14)?) / ticks,
    })
}

/// A CPU use between two readings: of some processes (summed), or of a process tree.
#[derive(Debug, Clone)]
pub struct CpuMeter {
    /// The processes measured.
    pids: Vec<u32>,
    /// Whether each counts with its children ([`tree_cpu_seconds`]).
    tree: bool,
    /// CPU seconds at the start.
    cpu0: f64,
    /// Wall-clock nanoseconds at the start.
    wall0: u64,
}

impl CpuMeter {
    /// Starts measuring `pid`.
    pub fn start(pid: u32) -> Self {
        Self::processes(&[pid])
    }

    /// Starts measuring the sum of `pids`.
    pub fn processes(pids: &[u32]) -> Self {
        Self::new(pids.to_vec(), false)
    }

    /// Starts measuring `root` with its children.
    pub fn tree(root: u32) -> Self {
        Self::new(vec![root], true)
    }

    fn new(pids: Vec<u32>, tree: bool) -> Self {
        let mut m = CpuMeter {
            pids,
            tree,
            cpu0: 0.0,
            wall0: now_ns(),
        };
        m.cpu0 = m.read().unwrap_or(0.0);
        m
    }

    /// The CPU seconds of what is measured, now.
    fn read(&self) -> Option<f64> {
        let mut sum = 0.0;
        for &pid in &self.pids {
            sum += if self.tree {
                tree_cpu_seconds(pid)?
            } else {
                cpu_seconds(pid)?
            };
        }
        Some(sum)
    }

    /// CPU use since the start, in percent of one core (200 % = both cores of this machine).
    pub fn percent(&self) -> f64 {
        let wall = (now_ns() - self.wall0) as f64 / 1e9;
        let cpu = self.read().unwrap_or(self.cpu0) - self.cpu0;
        if wall > 0.0 { 100.0 * cpu / wall } else { 0.0 }
    }
}
