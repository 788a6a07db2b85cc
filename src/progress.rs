//! The progress line on a terminal: files, bytes and findings so far, on stderr, only when stderr is a
//! TTY and not `-q`. It reads the collector's counters from its own thread, so scanning threads never
//! wait on it.

use std::io::IsTerminal;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::collect::Collector;

/// Runs `work` while a progress line (when wanted) shows the collector's counters.
pub(crate) fn while_running<T>(sink: &Collector, quiet: bool, work: impl FnOnce() -> T) -> T {
    if quiet || !std::io::stderr().is_terminal() {
        return work();
    }
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            // Short scans finish before a progress line would help: wait a moment first.
            for _ in 0..6 {
                std::thread::sleep(Duration::from_millis(50));
                if done.load(Relaxed) {
                    return;
                }
            }
            let pb = ProgressBar::new_spinner();
            pb.set_style(ProgressStyle::with_template("{spinner} {msg}").expect("template"));
            while !done.load(Relaxed) {
                pb.set_message(format!(
                    "{} files, {} scanned, {} findings",
                    sink.files.load(Relaxed),
                    crate::report::text::human_bytes(sink.bytes.load(Relaxed)),
                    sink.found.load(Relaxed)
                ));
                pb.tick();
                std::thread::sleep(Duration::from_millis(120));
            }
            pb.finish_and_clear();
        });
        let out = work();
        done.store(true, Relaxed);
        out
    })
}
