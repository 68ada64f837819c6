//! Throughput of `batch_moments` (and the weighted form) on 4M rows x 16 columns, to compare
//! with Python's `normkit.core.moments.batch_moments` on the same size; and what the running
//! statistics' logical batches add (`moments_and_batches`, column by column in chunks of 65,536
//! rows, as a Parquet fit feeds them, in batches of 256):
//!
//! ```text
//! cargo run --release --example moments_speed [rows] [batch|weighted|batches]
//! ```
use std::time::Instant;

use normkit_native::moments::{batch_moments, moments_and_batches, weighted_batch_moments};

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
    if only.as_deref() == Some("batches") {
        return logical_batches(&slices);
    }
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

/// One column's chunks of 65,536 rows, moments alone and with their batches of 256 rows.
fn logical_batches(columns: &[&[f64]]) {
    const CHUNK: usize = 65_536;
    for with_batches in [false, true, false, true] {
        let start = Instant::now();
        let mut check = 0.0;
        for x in columns {
            for chunk in x.chunks(CHUNK) {
                let shift = chunk.iter().copied().find(|v| !v.is_nan()).unwrap_or(0.0);
                check += if with_batches {
                    let (m, b) = moments_and_batches(chunk, shift, 0, chunk.len() / 256, 256);
                    m.m2[0] + b.m2.first().copied().unwrap_or(0.0)
                } else {
                    batch_moments(&[chunk], Some(&[shift])).map_or(f64::NAN, |m| m.m2[0])
                };
            }
        }
        let what = if with_batches {
            "with batches of 256"
        } else {
            "moments alone"
        };
        let ms = start.elapsed().as_secs_f64() * 1e3;
        println!("chunks of {CHUNK} rows, {what}: {ms:.1} ms (check {check:e})");
    }
}
