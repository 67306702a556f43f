//! Progress: a bar on a terminal, a few plain lines elsewhere (CI logs), nothing when told to be quiet.

use crate::results::{CaseRecord, CaseStatus};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::{
    io::IsTerminal,
    sync::atomic::{AtomicU64, Ordering},
};

pub struct Progress {
    bar: Option<ProgressBar>,
    total: u64,
    done: AtomicU64,
    failing: AtomicU64,
    lines: bool,
}

impl Progress {
    /// `label` names the job (`native`, ...). On a terminal: a bar; otherwise a line per 10%.
    pub fn new(label: &str, total: usize, quiet: bool) -> Self {
        let total = total as u64;
        let terminal = std::io::stderr().is_terminal();
        let bar = (!quiet && terminal).then(|| {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template("{prefix} [{bar:40}] {pos}/{len} cases {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
            bar.set_style(style);
            bar.set_prefix(label.to_owned());
            bar
        });
        Self { bar, total, done: AtomicU64::new(0), failing: AtomicU64::new(0), lines: !quiet && !terminal }
    }

    pub fn advance(&self, record: &CaseRecord) {
        let failing = if matches!(record.status, CaseStatus::Fail | CaseStatus::Error) {
            self.failing.fetch_add(1, Ordering::Relaxed) + 1
        } else {
            self.failing.load(Ordering::Relaxed)
        };
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(bar) = &self.bar {
            bar.inc(1);
            if failing > 0 {
                bar.set_message(format!("{failing} failing"));
            }
        } else if self.lines && self.total >= 10 && done.is_multiple_of(self.total.div_ceil(10)) {
            eprintln!("  {done}/{} cases, {failing} failing", self.total);
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
