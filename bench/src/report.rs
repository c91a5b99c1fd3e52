//! The bench's measures and their table: median, min and max per widget,
//! and the ratio of the medians (ours / deep-chat).

use std::collections::BTreeMap;
use std::fmt;

/// Network and CPU conditions of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Profile {
    Normal,
    Throttled,
}

impl Profile {
    /// The profile's name in file names.
    pub fn short(self) -> &'static str {
        match self {
            Profile::Normal => "normal",
            Profile::Throttled => "throttled",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Profile::Normal => "normal",
            Profile::Throttled => "throttled (4x CPU, 150 ms, 1.6 Mbit/s down, 750 kbit/s up)",
        })
    }
}

/// Which widget a sample belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Widget {
    Ours,
    DeepChat,
}

/// What is measured, in table order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Metric {
    Bytes,
    Launcher,
    ComposerOpenAtLoad,
    OwnComposerOpenAtLoad,
    LongTasksOpenAtLoad,
    TbtOpenAtLoad,
    LongestOpenAtLoad,
    LongTasksIdleLoad,
    TbtIdleLoad,
    LongestIdleLoad,
    ClickToComposer,
    LongestOnClick,
    SendToReply,
    StreamTotal,
    StreamLongTasks,
    StreamLongest,
    StreamTbt,
    StreamTypingMedian,
    StreamTypingWorst,
    SavedOpen,
    SavedLongest,
    History,
    HistoryLongest,
    Heap,
    BackingStores,
}

impl Metric {
    fn label(self) -> &'static str {
        match self {
            Metric::Bytes => "bytes transferred at load (KB)",
            Metric::Launcher => "time to launcher (ms)",
            Metric::ComposerOpenAtLoad => "usable composer, panel open at load (ms)",
            Metric::OwnComposerOpenAtLoad => {
                "the widget's own composer (ours: the wasm's), panel open at load (ms)"
            }
            Metric::LongTasksOpenAtLoad => "long tasks at load, panel open (count)",
            Metric::TbtOpenAtLoad => "total blocking time at load, panel open (ms)",
            Metric::LongestOpenAtLoad => "longest task at load, panel open (ms)",
            Metric::LongTasksIdleLoad => "long tasks at load, closed until idle (count)",
            Metric::TbtIdleLoad => "total blocking time at load, closed (ms)",
            Metric::LongestIdleLoad => "longest task at load, closed (ms)",
            Metric::ClickToComposer => "click to usable composer after idle load (ms)",
            Metric::LongestOnClick => "longest task after that click (ms)",
            Metric::SendToReply => "send -> reply rendered (ms)",
            Metric::StreamTotal => "10,000-token streamed answer: total (ms)",
            Metric::StreamLongTasks => "10,000-token answer: long tasks (count)",
            Metric::StreamLongest => "10,000-token answer: longest task (ms)",
            Metric::StreamTbt => "10,000-token answer: total blocking time (ms)",
            Metric::StreamTypingMedian => {
                "typing while it streams: keystroke to frame, median (ms)"
            }
            Metric::StreamTypingWorst => "typing while it streams: keystroke to frame, worst (ms)",
            Metric::SavedOpen => "open the panel on a 200-message saved transcript (ms)",
            Metric::SavedLongest => "200-message saved transcript: longest task on open (ms)",
            Metric::History => "open a 1,000-message conversation (ms)",
            Metric::HistoryLongest => "1,000-message conversation: longest task (ms)",
            Metric::Heap => "JS heap after GC (KB)",
            Metric::BackingStores => "ArrayBuffer backing stores after GC (KB)",
        }
    }
}

/// Every sample taken, per profile and measure.
#[derive(Debug, Default)]
pub struct Results {
    samples: BTreeMap<(Profile, Metric), (Vec<f64>, Vec<f64>)>,
    notes: Vec<String>,
}

impl Results {
    pub fn add(&mut self, profile: Profile, metric: Metric, widget: Widget, value: f64) {
        let entry = self.samples.entry((profile, metric)).or_default();
        match widget {
            Widget::Ours => entry.0.push(value),
            Widget::DeepChat => entry.1.push(value),
        }
    }

    /// A line printed under the table (e.g. a measure that could not run).
    pub fn note(&mut self, text: String) {
        if !self.notes.contains(&text) {
            self.notes.push(text);
        }
    }

    pub fn markdown(&self, profiles: &[Profile], runs: usize) -> String {
        let mut out = String::new();
        for &profile in profiles {
            out.push_str(&format!(
                "\n**{profile}**, {runs} run(s): median (min-max)\n\n\
                 | measure | lyzr-chat | deep-chat 2.4.2 | ours / deep-chat |\n|---|---:|---:|---:|\n"
            ));
            for ((p, metric), (ours, deep)) in &self.samples {
                if *p != profile {
                    continue;
                }
                let ratio = match (median(ours), median(deep)) {
                    (Some(a), Some(b)) if b > 0.0 => format!("{:.2}", a / b),
                    _ => "-".to_string(),
                };
                out.push_str(&format!(
                    "| {} | {} | {} | {} |\n",
                    metric.label(),
                    summary(ours),
                    summary(deep),
                    ratio
                ));
            }
        }
        for note in &self.notes {
            out.push_str(&format!("\n{note}\n"));
        }
        out
    }
}

fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let mid = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    })
}

fn summary(values: &[f64]) -> String {
    let Some(m) = median(values) else {
        return "n/a".to_string();
    };
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let f = |x: f64| {
        if x.abs() >= 100.0 || x.fract() == 0.0 {
            format!("{x:.0}")
        } else {
            format!("{x:.1}")
        }
    };
    format!("{} ({}-{})", f(m), f(min), f(max))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn table_has_ratio_and_ours_alone_rows() {
        let mut r = Results::default();
        for v in [200.0, 100.0, 300.0] {
            r.add(Profile::Normal, Metric::Bytes, Widget::Ours, v);
        }
        r.add(Profile::Normal, Metric::Bytes, Widget::DeepChat, 100.0);
        r.add(Profile::Normal, Metric::Launcher, Widget::Ours, 42.0);
        let table = r.markdown(&[Profile::Normal], 3);
        assert!(
            table.contains(
                "| bytes transferred at load (KB) | 200 (100-300) | 100 (100-100) | 2.00 |"
            ),
            "{table}"
        );
        assert!(
            table.contains("| time to launcher (ms) | 42 (42-42) | n/a | - |"),
            "{table}"
        );
    }
}
