//! Where unquoted fields end, found 64 bytes at a time: a bitmask of a chunk's delimiters, line
//! feeds and carriage returns, built with 16-byte vector compares (`wide`: SSE2 or NEON where
//! there are, plain code elsewhere), then read with one `trailing_zeros` per field.
//!
//! [`crate::scan::unquoted_end`] looks byte by byte, about a nanosecond a byte; the masks cost
//! a fifth of that, and a field whose end is in the chunk already read costs a shift and a
//! count. The fields that [`crate::parse`] scans but does not convert (the columns a fit leaves
//! out, text) are found so.

use wide::u8x16;

/// The bytes of one mask.
const CHUNK: usize = 64;

/// The ends of unquoted fields of a buffer: [`FieldEnds::from`].
pub(crate) struct FieldEnds<'a> {
    buf: &'a [u8],
    delimiter: u8,
    /// The start of the chunk that `mask` is of.
    base: usize,
    /// Bit `k`: `buf[base + k]` is the delimiter, LF or CR.
    mask: u64,
}

impl<'a> FieldEnds<'a> {
    /// The ends of fields separated by `delimiter` in `buf`.
    pub(crate) fn new(buf: &'a [u8], delimiter: u8) -> Self {
        let mut ends = FieldEnds {
            buf,
            delimiter,
            base: 0,
            mask: 0,
        };
        ends.load(0);
        ends
    }

    /// The first delimiter, LF or CR at or after `pos`, or the buffer's end: where the
    /// unquoted text from `pos` on ends, as [`crate::scan::unquoted_end`] finds it.
    #[inline(always)]
    pub(crate) fn from(&mut self, pos: usize) -> usize {
        let k = pos.wrapping_sub(self.base);
        if k >= CHUNK {
            self.load(pos - pos % CHUNK);
        }
        // `pos - base` < 64 now.
        let mut mask = self.mask & (u64::MAX << (pos - self.base));
        while mask == 0 {
            let next = self.base + CHUNK;
            if next >= self.buf.len() {
                return self.buf.len();
            }
            self.load(next);
            mask = self.mask;
        }
        self.base + mask.trailing_zeros() as usize
    }

    /// The mask of the chunk at `base`.
    #[inline(never)]
    fn load(&mut self, base: usize) {
        self.base = base;
        self.mask = match self.buf.get(base..base + CHUNK) {
            Some(chunk) => mask(chunk, self.delimiter),
            None => tail_mask(self.buf.get(base..).unwrap_or_default(), self.delimiter),
        };
    }
}

/// The bitmask of the delimiters, LFs and CRs of 64 bytes, 16 at a time.
#[inline(always)]
fn mask(chunk: &[u8], delimiter: u8) -> u64 {
    let delimiter = u8x16::splat(delimiter);
    let line_feed = u8x16::splat(b'\n');
    let carriage_return = u8x16::splat(b'\r');
    let mut mask = 0u64;
    for (k, part) in chunk.chunks_exact(16).enumerate() {
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(part);
        let v = u8x16::new(bytes);
        let ends = v.simd_eq(delimiter) | v.simd_eq(line_feed) | v.simd_eq(carriage_return);
        mask |= u64::from(ends.to_bitmask()) << (16 * k);
    }
    mask
}

/// The bitmask of the buffer's last bytes, fewer than 64.
#[cold]
fn tail_mask(tail: &[u8], delimiter: u8) -> u64 {
    let mut mask = 0u64;
    for (k, &b) in tail.iter().enumerate() {
        mask |= u64::from(b == delimiter || b == b'\n' || b == b'\r') << k;
    }
    mask
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::unquoted_end;

    #[test]
    fn ends_where_the_byte_loop_ends_from_every_position_in_any_order() {
        // Lengths around the vectors' and the chunks' sizes, fields short and long, every
        // kind of end, the quote and non-ASCII bytes as text.
        let pattern = "a,1.5\n\"q\",\r\n;x\tlong field of text, é\r".as_bytes();
        for delimiter in [b',', b';', b'\t', b'|'] {
            for len in [0, 1, 15, 16, 17, 63, 64, 65, 127, 128, 129, 300] {
                let buf: Vec<u8> = pattern.iter().copied().cycle().take(len).collect();
                let mut ends = FieldEnds::new(&buf, delimiter);
                // Forwards, backwards, and jumping across chunks.
                let forwards = 0..=len;
                let backwards = (0..=len).rev();
                let jumps = (0..=len).map(|i| (i * 37) % (len + 1));
                for pos in forwards.chain(backwards).chain(jumps) {
                    let expected = unquoted_end(&buf, pos, delimiter);
                    assert_eq!(ends.from(pos), expected, "{len} {pos} {delimiter}");
                }
            }
        }
    }
}
