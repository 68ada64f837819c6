//! The native moments against normkit's Python ones, bit for bit.
//!
//! `tests/data/moments_fixture.txt` is written by `tests/data/make_moments_fixture.py` (see its
//! docstring for the format) from normkit's own `batch_moments`, `weighted_batch_moments`,
//! `merge_moments` and `Accumulator`: every field of every result is compared here as float64
//! bits. The data are regenerated here from the same seeded recipe; a hash of them checks that
//! both sides see the same values.

use normkit_native::moments::{
    batch_moments, merge_moments, weighted_batch_moments, Moments, MomentsError, MomentsStream,
    SLICE_ROWS,
};
use proptest::prelude::*;

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;
const SQRT3: f64 = 1.732_050_807_568_877_2;

fn uniform(stream: u64, n: usize) -> Vec<f64> {
    (1..=n as u64)
        .map(|i| {
            let mut z = stream.wrapping_add(i.wrapping_mul(GOLDEN));
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            (z >> 11) as f64 * 2f64.powi(-53)
        })
        .collect()
}

fn normal01(seed: u64, n: usize) -> Vec<f64> {
    let u: Vec<Vec<f64>> = (0..4).map(|k| uniform(seed * 16 + k, n)).collect();
    (0..n)
        .map(|i| (((u[0][i] + u[1][i]) + (u[2][i] + u[3][i])) - 2.0) * SQRT3)
        .collect()
}

fn num(token: &str) -> f64 {
    token.parse().expect("a number")
}

fn int(token: &str) -> u64 {
    token.parse().expect("an integer")
}

fn hex(token: &str) -> u64 {
    u64::from_str_radix(token, 16).expect("hex bits")
}

fn column(spec: &[&str], n: usize) -> Vec<f64> {
    let (mut x, mut rest): (Vec<f64>, &[&str]) = match spec[0] {
        "normal" => {
            let (mean, std) = (num(spec[2]), num(spec[3]));
            let z = normal01(int(spec[1]), n);
            (z.iter().map(|&z| mean + std * z).collect(), &spec[4..])
        }
        "heavy" => {
            let seed = int(spec[1]);
            let scale = num(spec[2]);
            let z = normal01(seed, n);
            let u = uniform(seed * 16 + 4, n);
            let x = z
                .iter()
                .zip(&u)
                .map(|(&z, &u)| z / (u + 0.001) * scale)
                .collect();
            (x, &spec[3..])
        }
        "ints" => {
            let k = num(spec[2]);
            let u = uniform(int(spec[1]) * 16, n);
            (u.iter().map(|&u| (u * k).floor()).collect(), &spec[3..])
        }
        "const" => (vec![num(spec[1]); n], &spec[2..]),
        "missing" => (vec![f64::NAN; n], &spec[1..]),
        other => panic!("unknown column kind {other}"),
    };
    while !rest.is_empty() {
        match rest[0] {
            "nan" => {
                let (p, u) = (num(rest[2]), uniform(int(rest[1]) * 16 + 5, n));
                for (v, &u) in x.iter_mut().zip(&u) {
                    if u < p {
                        *v = f64::NAN;
                    }
                }
            }
            "set" => x[int(rest[1]) as usize] = f64::from_bits(hex(rest[2])),
            other => panic!("unknown modifier {other}"),
        }
        rest = &rest[3..];
    }
    x
}

fn weights_of(spec: &[&str], n: usize) -> Vec<f64> {
    match spec[0] {
        "wints" => {
            let k = num(spec[2]);
            uniform(int(spec[1]) * 16 + 6, n)
                .iter()
                .map(|&u| (u * k).floor())
                .collect()
        }
        "wfrac" => {
            let seed = int(spec[1]);
            let (pzero, scale) = (num(spec[2]), num(spec[3]));
            let w = uniform(seed * 16 + 6, n);
            let z = uniform(seed * 16 + 7, n);
            w.iter()
                .zip(&z)
                .map(|(&w, &z)| if z < pzero { 0.0 } else { (w + 0.01) * scale })
                .collect()
        }
        other => panic!("unknown weights {other}"),
    }
}

fn fnv(arrays: &[&[f64]]) -> u64 {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for a in arrays {
        for v in a.iter() {
            h = (h ^ v.to_bits()).wrapping_mul(0x100_0000_01B3);
        }
    }
    h
}

struct Case {
    name: String,
    rows: usize,
    columns: Vec<Vec<f64>>,
    weights: Option<Vec<f64>>,
    stack: Vec<Moments>,
    last_error: Option<MomentsError>,
    checked: usize,
}

impl Case {
    fn slices(&self, lo: usize, hi: usize) -> Vec<&[f64]> {
        self.columns.iter().map(|x| &x[lo..hi]).collect()
    }

    fn op(&mut self, tokens: &[&str]) {
        let k = self.columns.len();
        let zeros = vec![0.0; k];
        match tokens[0] {
            kind @ ("batch" | "batch0" | "wbatch" | "wbatch0") => {
                let (lo, hi) = (int(tokens[1]) as usize, int(tokens[2]) as usize);
                let shift = kind.ends_with('0').then_some(&zeros[..]);
                let cols = self.slices(lo, hi);
                let m = if kind.starts_with('w') {
                    let w = &self.weights.as_ref().expect("weights")[lo..hi];
                    weighted_batch_moments(&cols, w, shift)
                } else {
                    batch_moments(&cols, shift)
                };
                self.stack.push(m.expect("moments"));
            }
            "empty" => self.stack.push(Moments::empty(k, tokens[1] == "1")),
            "merge" => {
                let b = self.stack.pop().expect("b");
                let a = self.stack.pop().expect("a");
                self.stack.push(merge_moments(&a, &b).expect("merged"));
            }
            "swap" => {
                let n = self.stack.len();
                self.stack.swap(n - 1, n - 2);
            }
            "stream" => {
                let mut stream = MomentsStream::new(k, false);
                self.last_error = None;
                for push in &tokens[1..] {
                    let parts: Vec<&str> = push.split(':').collect();
                    let (lo, hi) = (int(parts[0]) as usize, int(parts[1]) as usize);
                    let cols = self.slices(lo, hi);
                    let result = if parts[2] == "w" {
                        stream.push_weighted(&cols, &self.weights.as_ref().expect("w")[lo..hi])
                    } else {
                        stream.push(&cols)
                    };
                    if let Err(e) = result {
                        self.last_error = Some(e);
                        break;
                    }
                }
                self.stack.push(stream.finish());
            }
            other => panic!("unknown op {other}"),
        }
    }

    fn expect(&mut self, field: &str, values: &[&str], context: &str) {
        let top = self.stack.last().expect("a result");
        let ints = |v: &[i64]| v.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        let hexes = |v: &[f64]| {
            v.iter()
                .map(|x| format!("{:016x}", x.to_bits()))
                .collect::<Vec<_>>()
        };
        let got = match field {
            "count" => ints(&top.count),
            "n_missing" => ints(&top.n_missing),
            "shift" => hexes(&top.shift),
            "mean_offset" => hexes(&top.mean_offset),
            "m2" => hexes(&top.m2),
            "min" => hexes(&top.min),
            "max" => hexes(&top.max),
            "m3" => hexes(&top.m3),
            "m4" => hexes(&top.m4),
            "weight" => match &top.weight {
                None => vec!["none".to_string()],
                Some(w) => hexes(w),
            },
            other => panic!("unknown field {other}"),
        };
        let want: Vec<String> = values.iter().map(|s| s.to_string()).collect();
        if got != want {
            let show = |v: &[String]| {
                v.iter()
                    .map(|s| match u64::from_str_radix(s, 16) {
                        Ok(b) if s.len() == 16 => format!("{s} ({:e})", f64::from_bits(b)),
                        _ => s.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            panic!(
                "case {} rows {}, after `{context}`: {field} differs\n  rust:   {}\n  python: {}",
                self.name,
                self.rows,
                show(&got),
                show(&want)
            );
        }
        self.checked += 1;
    }
}

#[test]
fn moments_match_python_bit_for_bit() {
    let text = include_str!("data/moments_fixture.txt");
    let mut case: Option<Case> = None;
    let mut context = String::new();
    let (mut cases, mut fields, mut squares) = (0, 0, 0);
    for line in text.lines() {
        let tokens: Vec<&str> = line.split_whitespace().collect();
        if tokens.is_empty() || tokens[0].starts_with('#') {
            continue;
        }
        match tokens[0] {
            "square" => {
                // Python's `x ** 2` is the C library's pow, which moments.rs calls likewise.
                let x = f64::from_bits(hex(tokens[1]));
                let square = x.powf(std::hint::black_box(2.0));
                assert_eq!(square.to_bits(), hex(tokens[2]), "pow({x:e}, 2)");
                assert_ne!(square.to_bits(), (x * x).to_bits());
                squares += 1;
            }
            "case" => {
                case = Some(Case {
                    name: tokens[1].to_string(),
                    rows: 0,
                    columns: Vec::new(),
                    weights: None,
                    stack: Vec::new(),
                    last_error: None,
                    checked: 0,
                })
            }
            "end" => {
                let c = case.take().expect("a case");
                assert!(c.checked > 0, "case {} checked nothing", c.name);
                fields += c.checked;
                cases += 1;
            }
            _ => {
                let c = case.as_mut().expect("inside a case");
                match tokens[0] {
                    "rows" => c.rows = int(tokens[1]) as usize,
                    "col" => c.columns.push(column(&tokens[1..], c.rows)),
                    "weights" => c.weights = Some(weights_of(&tokens[1..], c.rows)),
                    "hash" => {
                        let mut all: Vec<&[f64]> = c.columns.iter().map(|x| &x[..]).collect();
                        if let Some(w) = &c.weights {
                            all.push(w);
                        }
                        assert_eq!(
                            format!("{:016x}", fnv(&all)),
                            tokens[1],
                            "case {}: generated data differ from Python's",
                            c.name
                        );
                    }
                    "op" => {
                        context = tokens[1..].join(" ");
                        c.op(&tokens[1..]);
                    }
                    "expect" => c.expect(tokens[1], &tokens[2..], &context),
                    "error" => {
                        let want = MomentsError::Infinite {
                            column: int(tokens[2]) as usize,
                            row: int(tokens[3]),
                        };
                        assert_eq!(c.last_error.as_ref(), Some(&want), "case {}", c.name);
                        c.checked += 1;
                    }
                    other => panic!("unknown line {other}"),
                }
            }
        }
    }
    assert!(cases >= 8, "only {cases} cases");
    assert!(fields > 1000, "only {fields} fields");
    assert!(squares > 0, "no pow(x, 2) checked");
}

/// Data for the property tests: a column near `offset` with missing values, from a seed.
fn data(seed: u64, n: usize, offset: f64, spread: f64, missing: f64) -> Vec<f64> {
    let z = normal01(seed, n);
    let u = uniform(seed * 16 + 5, n);
    z.iter()
        .zip(&u)
        .enumerate()
        .map(|(i, (&z, &u))| {
            if i > 0 && u < missing {
                f64::NAN
            } else {
                offset + spread * z
            }
        })
        .collect()
}

fn close(a: f64, b: f64, tol: f64, scale: f64) -> bool {
    (a - b).abs() <= tol * scale.max(f64::MIN_POSITIVE)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Merging the moments of two parts gives the moments of the whole, to rounding.
    #[test]
    fn merge_of_split_is_whole(
        seed in 0u64..1_000_000,
        n in 2usize..2_000,
        cut in 0.0f64..1.0,
        offset in prop::sample::select(vec![0.0, 1.0, -250.0, 1e9]),
        spread in prop::sample::select(vec![1e-3, 1.0, 1e4]),
        missing in 0.0f64..0.5,
        weighted in any::<bool>(),
    ) {
        let x = data(seed, n, offset, spread, missing);
        let k = ((n as f64 * cut) as usize).min(n);
        let w: Vec<f64> = uniform(seed * 16 + 9, n).iter().map(|&u| (u * 3.0).floor()).collect();
        let (whole, merged) = if weighted {
            let whole = weighted_batch_moments(&[&x], &w, None).unwrap();
            let a = weighted_batch_moments(&[&x[..k]], &w[..k], None).unwrap();
            let b = weighted_batch_moments(&[&x[k..]], &w[k..], None).unwrap();
            (whole, merge_moments(&a, &b).unwrap())
        } else {
            let whole = batch_moments(&[&x], None).unwrap();
            let a = batch_moments(&[&x[..k]], None).unwrap();
            let b = batch_moments(&[&x[k..]], None).unwrap();
            (whole, merge_moments(&a, &b).unwrap())
        };
        prop_assert_eq!(&whole.count, &merged.count);
        prop_assert_eq!(&whole.n_missing, &merged.n_missing);
        prop_assert_eq!(whole.min[0].to_bits(), merged.min[0].to_bits());
        prop_assert_eq!(whole.max[0].to_bits(), merged.max[0].to_bits());
        if whole.count[0] > 0 {
            let m2 = whole.m2[0];
            let sd = (m2 / whole.total_weight()[0]).sqrt();
            prop_assert!(close(whole.mean()[0], merged.mean()[0], 1e-12, sd + 1e-15 * offset.abs()));
            prop_assert!(close(m2, merged.m2[0], 1e-11, m2));
            let m4 = whole.m4[0];
            prop_assert!(close(whole.m3[0], merged.m3[0], 1e-9, (m2 * m4).sqrt()));
            prop_assert!(close(m4, merged.m4[0], 1e-9, m4));
        }
    }

}

proptest! {
    // Batches of up to 3 slices of SLICE_ROWS rows: few cases keep the debug build fast.
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    /// A stream fed batches gives what Python's accumulator does: the batches' moments merged in
    /// order, relative to the shift of the first value; fed one batch, the batch's moments; fed
    /// slices of SLICE_ROWS rows, the moments of the whole batch (which merges the same slices).
    #[test]
    fn stream_is_batch_bit_for_bit(
        seed in 0u64..1_000_000,
        slices in 1usize..3,
        extra in 0usize..300,
        missing in 0.0f64..0.3,
        offset in prop::sample::select(vec![0.0, 3.0, 1e9]),
    ) {
        let n = slices * SLICE_ROWS + extra;
        let x = data(seed, n, offset, 1.0, missing);
        let y = data(seed + 1, n, -offset, 1e-3, missing);
        let whole = batch_moments(&[&x, &y], None).unwrap();
        let mut one = MomentsStream::new(2, false);
        one.push(&[&x, &y]).unwrap();
        prop_assert_eq!(&whole, one.moments());
        let mut sliced = MomentsStream::new(2, false);
        for start in (0..n).step_by(SLICE_ROWS) {
            let end = (start + SLICE_ROWS).min(n);
            sliced.push(&[&x[start..end], &y[start..end]]).unwrap();
        }
        let a = sliced.moments();
        for (p, q) in [
            (&whole.mean_offset, &a.mean_offset), (&whole.m2, &a.m2), (&whole.m3, &a.m3),
            (&whole.m4, &a.m4), (&whole.min, &a.min), (&whole.max, &a.max),
        ] {
            let p: Vec<u64> = p.iter().map(|v| v.to_bits()).collect();
            let q: Vec<u64> = q.iter().map(|v| v.to_bits()).collect();
            prop_assert_eq!(p, q);
        }
        prop_assert_eq!(&whole.count, &a.count);
        prop_assert_eq!(sliced.n_rows(), n as u64);
    }
}
