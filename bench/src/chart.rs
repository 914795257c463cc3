//! The SVG chart of a report (plotters, SVG backend only: no fonts or
//! system libraries needed): on top, throughput by message size, one line
//! per implementation on log scales, a panel per mode; below, the round
//! trip's p50 (bar) and p99 (tick) per implementation, a panel per mode.

use std::error::Error;
use std::path::Path;

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use crate::results::{Cell, Report};

/// One colour per library; ferrozmq's in reds. A library's second
/// variant (the multi-thread runtime, monocoque's smol) is drawn dashed.
fn colour(name: &str) -> RGBColor {
    let lib = name.split('-').next().unwrap_or(name);
    match (lib, name) {
        (_, "ferrozmq") => RGBColor(200, 0, 0),
        ("ferrozmq", _) => RGBColor(255, 110, 40),
        ("libzmq", _) => RGBColor(0, 0, 0),
        ("omq", _) => RGBColor(31, 119, 180),
        ("zeromq", _) => RGBColor(188, 160, 0),
        ("rzmq", _) => RGBColor(44, 160, 44),
        ("monocoque", _) => RGBColor(148, 103, 189),
        _ => RGBColor(127, 127, 127),
    }
}

fn dashed(name: &str) -> bool {
    name.ends_with("-mt") || name.ends_with("-smol")
}

fn size_label(size: f64) -> String {
    let s = size.round() as u64;
    if s >= 1024 && s.is_multiple_of(1024) {
        format!("{} KiB", s / 1024)
    } else {
        format!("{s} B")
    }
}

fn mode_title(mode: &str) -> &'static str {
    if mode == "one" {
        "one process"
    } else {
        "two processes"
    }
}

/// Writes the chart of `report` to `path`.
pub fn draw(report: &Report, path: &Path) -> Result<(), Box<dyn Error>> {
    let modes = &report.config.modes;
    let root = SVGBackend::new(path, (640 * modes.len().max(1) as u32, 1100)).into_drawing_area();
    root.fill(&WHITE)?;
    let m = &report.machine;
    let title = format!(
        "ferrozmq-bench {}: {} ({} vCPUs), Linux {}, hwm {}, median of {}",
        m.date, m.cpu_model, m.vcpus, m.kernel, report.config.hwm, report.config.repeat
    );
    let root = root.titled(&title, ("sans-serif", 18))?;
    let (top, bottom) = root.split_vertically(560);
    let tops = top.split_evenly((1, modes.len().max(1)));
    let bottoms = bottom.split_evenly((1, modes.len().max(1)));
    for (i, mode) in modes.iter().enumerate() {
        throughput(report, mode, &tops[i])?;
        latency(report, mode, &bottoms[i])?;
    }
    root.present()?;
    Ok(())
}

fn cells<'a>(report: &'a Report, mode: &str, workload: &str) -> Vec<&'a Cell> {
    report
        .cells
        .iter()
        .filter(|c| c.mode == mode && c.workload == workload && c.median.is_some())
        .collect()
}

fn throughput(
    report: &Report,
    mode: &str,
    area: &DrawingArea<SVGBackend<'_>, Shift>,
) -> Result<(), Box<dyn Error>> {
    let cells = cells(report, mode, "thr");
    let rate = |c: &Cell| c.median.and_then(|m| m.msg_per_s).unwrap_or(0.0);
    let sizes: Vec<f64> = cells.iter().map(|c| c.size as f64).collect();
    let rates: Vec<f64> = cells.iter().map(|c| rate(c)).filter(|r| *r > 0.0).collect();
    if sizes.is_empty() || rates.is_empty() {
        return Ok(());
    }
    // x is log2 of the size, labelled with the sizes measured.
    let x_min = sizes.iter().copied().fold(f64::INFINITY, f64::min).log2() - 0.5;
    let x_max = sizes.iter().copied().fold(0.0, f64::max).log2() + 0.5;
    let y_min = rates.iter().copied().fold(f64::INFINITY, f64::min) / 2.0;
    let y_max = rates.iter().copied().fold(0.0, f64::max) * 2.0;
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!("PUSH -> PULL msg/s, tcp loopback, {}", mode_title(mode)),
            ("sans-serif", 16),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(x_min..x_max, (y_min..y_max).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("message size")
        .y_desc("messages per second")
        .x_labels(((x_max - x_min) * 2.0) as usize + 1)
        .x_label_formatter(&|x| {
            let size = x.exp2();
            if sizes.iter().any(|s| (s / size - 1.0).abs() < 0.01) {
                size_label(size)
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|y| {
            if *y >= 1e6 {
                format!("{:.1}M", y / 1e6)
            } else {
                format!("{:.0}k", y / 1e3)
            }
        })
        .draw()?;
    for v in &report.variants {
        let mut points: Vec<(f64, f64)> = cells
            .iter()
            .filter(|c| c.variant == v.name && rate(c) > 0.0)
            .map(|c| ((c.size as f64).log2(), rate(c)))
            .collect();
        if points.is_empty() {
            continue;
        }
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        let col = colour(&v.name);
        let style = col.stroke_width(if v.rival { 2 } else { 3 });
        let series = if dashed(&v.name) {
            chart.draw_series(DashedLineSeries::new(points.clone(), 6, 4, style))?
        } else {
            chart.draw_series(LineSeries::new(points.clone(), style))?
        };
        let is_dashed = dashed(&v.name);
        series.label(v.name.clone()).legend(move |(x, y)| {
            if is_dashed {
                DashedPathElement::new(vec![(x, y), (x + 20, y)], 6, 4, style).into_dyn()
            } else {
                PathElement::new(vec![(x, y), (x + 20, y)], style).into_dyn()
            }
        });
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, col.filled())))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 11))
        .draw()?;
    Ok(())
}

fn latency(
    report: &Report,
    mode: &str,
    area: &DrawingArea<SVGBackend<'_>, Shift>,
) -> Result<(), Box<dyn Error>> {
    let cells = cells(report, mode, "lat");
    // Table order, top to bottom.
    let rows: Vec<(&str, f64, f64)> = report
        .variants
        .iter()
        .filter_map(|v| {
            let c = cells.iter().find(|c| c.variant == v.name)?;
            let l = c.median?.lat?;
            Some((v.name.as_str(), l.p50_us, l.p99_us))
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    let n = rows.len();
    let x_max = rows.iter().map(|r| r.2).fold(0.0, f64::max) * 1.1;
    let size = cells.first().map_or(0, |c| c.size);
    let names: Vec<String> = rows.iter().map(|r| r.0.to_owned()).collect();
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!(
                "REQ <-> REP {size} B round trip, {}: p50 bar, p99 tick (µs)",
                mode_title(mode)
            ),
            ("sans-serif", 16),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(130)
        .build_cartesian_2d(0.0..x_max, -0.5..(n as f64 - 0.5))?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .x_desc("microseconds")
        .y_labels(n)
        .y_label_formatter(&|y| {
            let i = y.round();
            if (y - i).abs() < 0.01 && i >= 0.0 && (i as usize) < n {
                names[n - 1 - i as usize].clone()
            } else {
                String::new()
            }
        })
        .draw()?;
    for (row, &(name, p50, p99)) in rows.iter().enumerate() {
        let y = (n - 1 - row) as f64;
        let col = colour(name);
        chart.draw_series(std::iter::once(Rectangle::new(
            [(0.0, y - 0.3), (p50, y + 0.3)],
            col.mix(if dashed(name) { 0.45 } else { 0.85 }).filled(),
        )))?;
        chart.draw_series(std::iter::once(PathElement::new(
            [(p99, y - 0.35), (p99, y + 0.35)],
            col.stroke_width(3),
        )))?;
        chart.draw_series(std::iter::once(PathElement::new(
            [(p50, y), (p99, y)],
            col.stroke_width(1),
        )))?;
    }
    Ok(())
}
