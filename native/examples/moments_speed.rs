//! Throughput of `batch_moments` (and the weighted form) on 4M rows x 16 columns, to compare
//! with Python's `normkit.core.moments.batch_moments` on the same size:
//!
//! ```text
//! cargo run --release --example moments_speed [rows] [batch|weighted]
//! ```
use std::time::Instant;

use normkit_native::moments::{batch_moments, weighted_batch_moments};

/// SplitMix64 uniforms in [0, 1).
fn uniforms(seed: u64, n: usize) -> Vec<f64> {
    (1..=n as u64)
        .map(|i| {
            let mut z = seed.wrapping_add(i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            (z >> 11) as f64 * 2f64.powi(-53)
        })
        .collect()
}

fn main() {
    let rows: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(4_000_000);
    let columns: Vec<Vec<f64>> = (0..16u64)
        .map(|j| {
            let u = uniforms(j, rows);
            u.iter()
                .enumerate()
                .map(|(i, &v)| match j % 4 {
                    0 => 1e9 + v,
                    1 => v * 100.0 - 50.0,
                    // a few missing values
                    2 if i % 97 == 0 => f64::NAN,
                    _ => (v * 10.0).floor(),
                })
                .collect()
        })
        .collect();
    let slices: Vec<&[f64]> = columns.iter().map(|c| c.as_slice()).collect();
    let weights: Vec<f64> = uniforms(99, rows)
        .iter()
        .map(|&u| (u * 3.0).floor())
        .collect();
    let mb = (rows * 16 * 8) as f64 / 1e6;
    let only = std::env::args().nth(2);
    for (name, weighted) in [("batch_moments", false), ("weighted_batch_moments", true)] {
        if only
            .as_deref()
            .is_some_and(|o| (o == "weighted") != weighted)
        {
            continue;
        }
        let mut best = f64::INFINITY;
        let mut check = 0.0;
        for _ in 0..5 {
            let start = Instant::now();
            let m = if weighted {
                weighted_batch_moments(&slices, &weights, None)
            } else {
                batch_moments(&slices, None)
            };
            let seconds = start.elapsed().as_secs_f64();
            best = best.min(seconds);
            check = m.map_or(f64::NAN, |m| m.m2[0]);
        }
        println!(
            "{name}: {rows} rows x 16 columns in {:.1} ms: {:.0} MB/s, {:.0} M values/s (m2[0] {check:e})",
            best * 1e3,
            mb / best,
            rows as f64 * 16.0 / best / 1e6
        );
    }
}
