//! Throughput of the CSV scanner and parser on ~100 MB of generated CSV (16 float columns),
//! in memory: `cargo run --release --example throughput [megabytes]`. With `CSV=path`, the
//! first megabytes of that file's records instead (the benchmark's data set: every column whose
//! first field is a number is parsed, the others skipped).

use std::time::Instant;

use normkit_native::dialect::Dialect;
use normkit_native::parse::{parse_block, parse_blocks_parallel, ColumnKind, MissingValues};
use normkit_native::scan::block_ends;

/// A small deterministic generator (xorshift), so that runs compare.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn generate(bytes: usize) -> Vec<u8> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut out = Vec::with_capacity(bytes + 1024);
    while out.len() < bytes {
        for c in 0..16 {
            if c > 0 {
                out.push(b',');
            }
            let r = rng.next();
            let kind = match std::env::var("MIX").as_deref() {
                Ok("short") => 50,
                Ok("long") => 90,
                _ => r % 100,
            };
            let text = match kind {
                0 => String::new(), // missing
                1..=20 => format!("{}", (r >> 8) % 100_000),
                21..=80 => format!(
                    "{:.6}",
                    ((r >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 2000.0
                ),
                _ => format!("{:e}", ((r >> 11) as f64 / (1u64 << 53) as f64) * 1e-3),
            };
            out.extend_from_slice(text.as_bytes());
        }
        out.push(b'\n');
    }
    out
}

/// About `bytes` of the records of the CSV at `path`, after its header line, cut at a line end.
fn from_file(path: &std::ffi::OsStr, bytes: usize) -> Vec<u8> {
    let data = std::fs::read(path).expect("reads the CSV");
    let start = data.iter().position(|&b| b == b'\n').map_or(0, |i| i + 1);
    let end = (start + bytes).min(data.len());
    let end = data[..end]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(end, |i| i + 1);
    data[start..end].to_vec()
}

/// CPU time of the calling thread, in seconds (Linux: `/proc/thread-self/schedstat`), or
/// `None` elsewhere: on a busy machine wall-clock time measures the neighbours too.
fn thread_cpu() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = text.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

/// MB/s of `f` over `bytes`, best of three: by the thread's CPU time where it is known (single
/// thread), else by the wall clock.
fn rate(bytes: usize, f: impl Fn() -> usize) -> (f64, usize) {
    let mut best = f64::INFINITY;
    let mut out = 0;
    for _ in 0..3 {
        let (t, cpu) = (Instant::now(), thread_cpu());
        out = f();
        let secs = match (cpu, thread_cpu()) {
            (Some(a), Some(b)) => b - a,
            _ => t.elapsed().as_secs_f64(),
        };
        best = best.min(secs);
    }
    (bytes as f64 / best / 1e6, out)
}

/// MB/s of `f` over `bytes` by the wall clock, best of three (for parallel runs).
fn wall_rate(bytes: usize, f: impl Fn() -> usize) -> f64 {
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    bytes as f64 / best / 1e6
}

fn main() {
    let mb: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100);
    // CSV=path: the first `megabytes` of that file's records (its header line skipped), e.g.
    // the benchmark's data set; otherwise generated numbers.
    let buf = match std::env::var_os("CSV") {
        Some(path) => from_file(&path, mb << 20),
        None => generate(mb << 20),
    };
    if let Some(path) = std::env::var_os("WRITE_CSV") {
        std::fs::write(path, &buf).expect("writes the CSV");
    }
    let d = Dialect::CSV;
    let missing = MissingValues::new(["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None"]);
    let block = 1 << 20;
    println!(
        "{:.1} MB of CSV (MB/s per CPU second unless said)",
        buf.len() as f64 / 1e6
    );

    let (r, n) = rate(buf.len(), || block_ends(&buf, &d, block, true).len());
    println!("scan (block_ends, 1 MiB blocks): {r:8.0} MB/s ({n} blocks)");
    let ends = block_ends(&buf, &d, block, true);

    // Every column whose first field is a number is read as floats; the others are skipped.
    let first = buf.split(|&b| b == b'\n').next().unwrap_or_default();
    let all: Vec<ColumnKind> = first
        .split(|&b| b == b',')
        .map(|f| match normkit_native::parse::parse_float(f, b'.') {
            Some(_) => ColumnKind::Float,
            None => ColumnKind::Skip,
        })
        .collect();
    let mut some = vec![ColumnKind::Skip; all.len()];
    for (k, a) in some.iter_mut().zip(&all).step_by(4) {
        *k = *a;
    }
    let sequential = |kinds: &[ColumnKind]| {
        let mut rows = 0;
        let mut start = 0;
        for &end in &ends {
            let b = parse_block(&buf[start..end], &d, &missing, kinds, 1, 1).expect("parses");
            rows += b.rows;
            start = end;
        }
        rows
    };
    if std::env::var_os("COMPONENTS").is_some() {
        components(&buf, &ends);
    }
    if std::env::var_os("CACHED").is_some() {
        let one = &buf[..ends[0]];
        let (r, _) = rate(one.len() * 100, || {
            (0..100)
                .map(|_| {
                    parse_block(one, &d, &missing, &all, 1, 1)
                        .expect("parses")
                        .rows
                })
                .sum()
        });
        println!("parse 16/16 one block 100 times: {r:8.0} MB/s");
    }
    let (r, n) = rate(buf.len(), || sequential(&all));
    println!("parse every float column, 1 thread: {r:8.0} MB/s ({n} rows)");
    let (r, _) = rate(buf.len(), || sequential(&some));
    println!("parse a fourth of them, 1 thread: {r:8.0} MB/s");
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(2);
    let r = wall_rate(buf.len(), || {
        let blocks = parse_blocks_parallel(&buf, &d, &missing, &all, &ends, 1, 1, threads);
        blocks.expect("parses").len()
    });
    let (r1, _) = (wall_rate(buf.len(), || sequential(&all)), 0);
    println!("parse every float column, parallel x{threads}: {r:8.0} MB/s wall ({r1:.0} MB/s wall on 1 thread)");
}

#[allow(dead_code)]
fn components(buf: &[u8], ends: &[usize]) {
    let d = Dialect::CSV;
    let missing = MissingValues::new(["", "NA"]);
    let columns = buf.split(|&b| b == b'\n').next().unwrap_or_default();
    let skip = vec![ColumnKind::Skip; columns.iter().filter(|&&b| b == b',').count() + 1];
    let (r, _) = rate(buf.len(), || {
        let mut start = 0;
        let mut rows = 0;
        for &end in ends {
            rows += parse_block(&buf[start..end], &d, &missing, &skip, 1, 1)
                .unwrap()
                .rows;
            start = end;
        }
        rows
    });
    println!("  all skipped: {r:8.0} MB/s");
    let fields: Vec<&[u8]> = buf.split(|&b| b == b',' || b == b'\n').collect();
    let (r, _) = rate(buf.len(), || {
        let mut s = 0.0;
        for f in &fields {
            s += fast_float2::parse::<f64, _>(f).unwrap_or(0.0);
        }
        s as usize
    });
    println!(
        "  fast-float2 alone: {r:8.0} MB/s ({} fields)",
        fields.len()
    );
    let (r, _) = rate(buf.len(), || {
        let mut s = 0.0;
        for f in &fields {
            s += normkit_native::parse::parse_float(f, b'.').unwrap_or(0.0);
        }
        s as usize
    });
    println!("  parse_float alone: {r:8.0} MB/s");
}
