//! The sample's row keys (`normkit.core.sketch.row_keys`): `splitmix64` of a row's place.
//!
//! A row's key depends only on the file it is in and its index there, so every engine, chunking
//! and worker gives every row the same key, and samples merge exactly.

/// The first row index a file index is shifted past: (file index << 40) + row index.
const FILE_SHIFT: u32 = 40;

/// `splitmix64`'s output for the state `z` (Steele, Lea and Flood, 2014).
#[inline]
fn splitmix64(z: u64) -> u64 {
    let mut z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The keys of rows `first_row .. first_row + out.len()` of file `file_index`, into `out`.
pub fn row_keys(file_index: u64, first_row: u64, out: &mut [u64]) {
    let base = (file_index << FILE_SHIFT).wrapping_add(first_row);
    for (i, key) in out.iter_mut().enumerate() {
        *key = splitmix64(base.wrapping_add(i as u64));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_sequence() {
        // The generator seeded with 0 (its state advancing by the constant each call) yields
        // these first outputs, as published with the reference implementation.
        let gamma = 0x9E37_79B9_7F4A_7C15u64;
        let outputs: Vec<u64> = (0..3u64)
            .map(|k| splitmix64(k.wrapping_mul(gamma)))
            .collect();
        assert_eq!(
            outputs,
            [
                0xE220_A839_7B1D_CDAF,
                0x6E78_9E6A_A1B9_65F4,
                0x06C4_5D18_8009_454F
            ]
        );
        let mut keys = [0u64; 1];
        row_keys(0, 0, &mut keys);
        assert_eq!(keys[0], outputs[0]);
    }

    #[test]
    fn keys_depend_on_place_only() {
        let mut whole = vec![0u64; 100];
        row_keys(3, 10, &mut whole);
        let mut part = vec![0u64; 40];
        row_keys(3, 60, &mut part);
        assert_eq!(&whole[50..90], &part[..]);
        let mut other = vec![0u64; 100];
        row_keys(4, 10, &mut other);
        assert!(whole.iter().zip(&other).all(|(a, b)| a != b));
    }
}
