//! Chart geometry for the report's inline SVG: numbers only; the templates draw them (escaped).

/// A verdict or status category, in the order bars and legends show them.
pub const CATEGORIES: [&str; 7] = ["equal", "pass", "explained", "divergent", "fail", "error", "skipped"];

/// The chart category of a case: its verdict when it has one, else its status.
pub fn category(verdict: Option<&str>, status: &str) -> &'static str {
    match verdict {
        Some("equal") => "equal",
        Some(v) if v.starts_with("explained") => "explained",
        Some("divergent") => "divergent",
        Some(_) => "error",
        None => match status {
            "pass" => "pass",
            "fail" => "fail",
            "error" => "error",
            _ => "skipped",
        },
    }
}

pub struct Segment {
    pub x: String,
    pub width: String,
    pub category: &'static str,
    pub count: usize,
}

pub struct Bar {
    pub label: String,
    /// Baseline of the row's text.
    pub text_y: usize,
    pub y: usize,
    pub total: usize,
    pub segments: Vec<Segment>,
}

/// One horizontal bar per folder, its cases split by category, each bar full width (proportions),
/// the count written after it.
pub struct StackedBars {
    pub width: usize,
    pub height: usize,
    pub label_width: usize,
    pub row_height: usize,
    pub bars: Vec<Bar>,
    pub count_x: usize,
}

pub const ROW: usize = 16;

impl StackedBars {
    /// `rows`: (label, count per category in `CATEGORIES` order).
    pub fn new(rows: Vec<(String, [usize; 7])>) -> Self {
        let label_width = 330;
        let bar_width = 480;
        let bars = rows
            .into_iter()
            .enumerate()
            .map(|(i, (label, counts))| {
                let total: usize = counts.iter().sum();
                let mut x = 0.0;
                let segments = CATEGORIES
                    .iter()
                    .zip(counts)
                    .filter(|(_, n)| *n > 0)
                    .map(|(category, count)| {
                        let width = bar_width as f64 * count as f64 / total.max(1) as f64;
                        let segment = Segment {
                            x: format!("{:.2}", label_width as f64 + x),
                            width: format!("{width:.2}"),
                            category,
                            count,
                        };
                        x += width;
                        segment
                    })
                    .collect();
                Bar { label, y: i * ROW + 2, text_y: i * ROW + 13, total, segments }
            })
            .collect::<Vec<_>>();
        Self {
            width: label_width + bar_width + 80,
            height: bars.len() * ROW + 4,
            label_width,
            row_height: ROW - 3,
            count_x: label_width + bar_width + 6,
            bars,
        }
    }
}

pub struct Column {
    pub x: String,
    pub y: String,
    pub width: String,
    pub height: String,
    /// The bin's range and count, as a tooltip.
    pub title: String,
}

pub struct Tick {
    pub x: String,
    pub label: String,
}

/// A histogram of ratios on a log2 axis (bins of a quarter power of two), with the median marked.
pub struct Histogram {
    pub title: String,
    pub what: String,
    pub count: usize,
    pub median: String,
    pub p10: String,
    pub p90: String,
    pub max_bin: usize,
    pub width: usize,
    pub height: usize,
    pub plot_top: usize,
    pub plot_bottom: usize,
    pub columns: Vec<Column>,
    pub ticks: Vec<Tick>,
    pub median_x: String,
}

pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

pub fn times(x: f64) -> String {
    if x >= 10.0 {
        format!("{x:.1}x")
    } else {
        format!("{x:.2}x")
    }
}

impl Histogram {
    /// `None` when no case has the ratio.
    pub fn new(title: &str, what: &str, mut values: Vec<f64>) -> Option<Self> {
        values.retain(|v| v.is_finite() && *v > 0.0);
        if values.is_empty() {
            return None;
        }
        values.sort_by(f64::total_cmp);
        const STEP: f64 = 0.25;
        let lo = (values[0].log2() / STEP).floor() * STEP;
        let hi = ((values[values.len() - 1].log2() / STEP).floor() + 1.0) * STEP;
        let bins = (((hi - lo) / STEP).round() as usize).max(1);
        let mut counts = vec![0usize; bins];
        for v in &values {
            let i = ((v.log2() - lo) / STEP).floor() as usize;
            counts[i.min(bins - 1)] += 1;
        }
        let (left, plot_width, top, bottom) = (40.0, 600.0, 10.0, 150.0);
        let max_bin = counts.iter().copied().max().unwrap_or(1);
        let bin_width = plot_width / bins as f64;
        let x_of = |log: f64| left + (log - lo) / (hi - lo) * plot_width;
        let columns = counts
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(i, &n)| {
                let h = (bottom - top) * n as f64 / max_bin as f64;
                let from = 2f64.powf(lo + i as f64 * STEP);
                let to = 2f64.powf(lo + (i + 1) as f64 * STEP);
                Column {
                    x: format!("{:.2}", left + i as f64 * bin_width),
                    y: format!("{:.2}", bottom - h),
                    width: format!("{:.2}", (bin_width - 1.0).max(0.5)),
                    height: format!("{h:.2}"),
                    title: format!("{} to {}: {n} case(s)", times(from), times(to)),
                }
            })
            .collect();
        // Ticks at powers of two, or at quarter or half powers when the range is narrow.
        let tick_step = if hi - lo <= 2.0 {
            0.25
        } else if hi - lo <= 4.0 {
            0.5
        } else {
            1.0
        };
        let ticks = (((lo / tick_step).ceil() as i32)..=((hi / tick_step).floor() as i32))
            .map(|k| {
                let log = f64::from(k) * tick_step;
                Tick { x: format!("{:.2}", x_of(log)), label: times(log.exp2()) }
            })
            .collect();
        let median = quantile(&values, 0.5);
        Some(Self {
            title: title.into(),
            what: what.into(),
            count: values.len(),
            median: times(median),
            p10: times(quantile(&values, 0.1)),
            p90: times(quantile(&values, 0.9)),
            max_bin,
            width: (left + plot_width + 20.0) as usize,
            height: bottom as usize + 24,
            plot_top: top as usize,
            plot_bottom: bottom as usize,
            columns,
            ticks,
            median_x: format!("{:.2}", x_of(median.log2())),
        })
    }
}
