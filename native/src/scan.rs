//! Where records end: quote-aware record boundaries, blocks of records, the header.
//!
//! The grammar is pyarrow's CSV parser's (`newlines_in_values=True`, default quoting), which
//! this module reproduces byte for byte, but for spaces around quoted fields:
//!
//! - a record ends at LF, CRLF or a lone CR outside quotes; a line that is empty (a line end
//!   at the start of a record) is no record at all and is skipped;
//! - a quote opens a quoted field only at the start of a field (the start of a record or just
//!   after a delimiter), or after spaces there (`1, "Hi, Mom!"`, as DuckDB reads it; not
//!   where the delimiter is a space). Anywhere else it is an ordinary byte: `a"b` is the text
//!   `a"b`;
//! - inside quotes, a doubled quote stands for one quote, and the delimiter, CR and LF are
//!   text; the first single quote closes the quoted part;
//! - after the closing quote the field goes on unquoted up to the next delimiter or line end,
//!   and a quote there is again an ordinary byte: `"a"b"c` is the text `ab"c`; spaces alone
//!   there are no text (`"a" ,` is `a`);
//! - with an escape character (pyarrow's `escape_char`, as PostgreSQL's `ESCAPE` reads it),
//!   inside quotes the escape before a quote or before itself stands for that byte (`\"`, `\\`)
//!   and neither closes the field; before any other byte, and outside quotes, it is text.
//!   (pyarrow also takes the escape outside quotes and drops it before any byte; the two read
//!   alike where escapes stand only before quotes and escapes inside quoted fields.)
//!
//! So a quote changes the state only at a field start, and the state outside quotes is known
//! from the bytes before it back to the last one that is no space: a quote opens a field if
//! only spaces stand between it and the buffer's start, a delimiter, CR or LF. The scanner therefore only looks for quote bytes (with
//! `memchr`) while outside quotes, for the closing quote inside, and for line ends only where
//! it needs a record end: a file without quotes is crossed by one `memchr` at memory speed.
//!
//! Every function takes a buffer that starts at the start of a record (after the header, or at
//! a record end found before).

use memchr::{memchr, memchr2, memchr3, memrchr2};

use crate::dialect::Dialect;
use crate::parse::{shown, ErrorKind, ParseError};

/// The UTF-8 byte-order mark, which pyarrow skips at the start of a file.
pub const BOM: &[u8; 3] = b"\xEF\xBB\xBF";

/// The length of the UTF-8 byte-order mark at the start of `buf`: 3, or 0 if there is none.
pub fn bom_len(buf: &[u8]) -> usize {
    if buf.starts_with(BOM) {
        BOM.len()
    } else {
        0
    }
}

/// The number of line ends in `buf`: LF, CRLF (one line end) and lone CR, inside quoted fields
/// too. One plus the count before a record's first byte is the physical line it starts on.
///
/// A CR that is the last byte of `buf` counts as a line end: give a prefix that ends at a
/// record end (then it cannot be the first half of a CRLF).
pub fn count_lines(buf: &[u8]) -> u64 {
    let lf = memchr::memchr_iter(b'\n', buf).count();
    let lone_cr = memchr::memchr_iter(b'\r', buf)
        .filter(|&i| buf.get(i + 1) != Some(&b'\n'))
        .count();
    (lf + lone_cr) as u64
}

/// Whether a quote at `pos` (outside quotes) opens a quoted field: it is at a field start, or
/// only spaces stand between them.
#[inline]
fn at_field_start(buf: &[u8], pos: usize, d: &Dialect) -> bool {
    let mut at = pos;
    loop {
        match at.checked_sub(1).and_then(|p| buf.get(p)) {
            None => return true,
            Some(&b' ') if d.delimiter != b' ' => at -= 1,
            Some(&b) => return b == d.delimiter || b == b'\n' || b == b'\r',
        }
    }
}

/// The spaces at `pos`: how many there are before another byte (none where the delimiter is a
/// space: they end fields).
#[inline]
fn spaces(buf: &[u8], pos: usize, d: &Dialect) -> usize {
    if d.delimiter == b' ' {
        return 0;
    }
    let rest = buf.get(pos..).unwrap_or_default();
    rest.iter().position(|&b| b != b' ').unwrap_or(rest.len())
}

/// The opening quote of the field that starts at `pos` (a field start), at `pos` or after
/// spaces (` "a, b"`); `None` for an unquoted field.
#[inline]
pub(crate) fn opening_quote(buf: &[u8], pos: usize, d: &Dialect) -> Option<usize> {
    let q = d.quote?;
    match *buf.get(pos)? {
        b if b == q => Some(pos),
        b' ' => {
            let at = pos + spaces(buf, pos, d);
            (buf.get(at) == Some(&q)).then_some(at)
        }
        _ => None,
    }
}

/// The next quote at or after `from` that opens a quoted field, when `from` is outside quotes;
/// quotes elsewhere in a field, and on comment lines, are skipped as text.
#[inline]
fn next_open_quote(buf: &[u8], from: usize, d: &Dialect) -> Option<usize> {
    let q = d.quote?;
    let mut pos = from;
    while let Some(i) = buf.get(pos..).and_then(|rest| memchr(q, rest)) {
        let at = pos + i;
        if at_field_start(buf, at, d) && !on_comment_line(buf, from, at, d) {
            return Some(at);
        }
        pos = at + 1;
    }
    None
}

/// Whether `at` is on a comment line (one whose first byte is the comment character), when
/// `from..at` is outside quotes: every line end there is a record end.
#[inline]
fn on_comment_line(buf: &[u8], from: usize, at: usize, d: &Dialect) -> bool {
    let Some(c) = d.comment else {
        return false;
    };
    let start = match buf.get(from..at).and_then(|s| memrchr2(b'\n', b'\r', s)) {
        Some(k) => from + k + 1,
        // No line end since `from`: the line began there if `from` is a record start (the
        // buffer's start or just after a line end; not just after a closing quote).
        None if from == 0 || matches!(buf.get(from - 1), Some(b'\n' | b'\r')) => from,
        None => return false,
    };
    buf.get(start) == Some(&c)
}

/// The quote that closes the quoted field opened at `open`, skipping doubled quotes; `None`
/// if the buffer ends first. A quote that is the last byte of `buf` counts as closing: no
/// record end can follow it within `buf` anyway, so callers looking for record ends lose
/// nothing if the next chunk doubles it.
#[inline]
fn closing_quote(buf: &[u8], open: usize, d: &Dialect) -> Option<usize> {
    find_close(buf, open + 1, d).map(|(close, _)| close)
}

/// The quote that closes a quoted field whose text starts at `from` (just past its opening
/// quote), skipping doubled quotes and the dialect's escaped quotes and escapes, and whether
/// the text between is as written (nothing was skipped); `None` if the buffer ends first,
/// also just after an escape (the next byte decides what it escapes).
#[inline]
fn find_close(buf: &[u8], from: usize, d: &Dialect) -> Option<(usize, bool)> {
    let q = d.quote?;
    let mut pos = from;
    let mut plain = true;
    loop {
        let rest = buf.get(pos..)?;
        let at = pos
            + match d.escape {
                Some(e) => memchr2(q, e, rest)?,
                None => memchr(q, rest)?,
            };
        let next = buf.get(at + 1).copied();
        if buf.get(at) != Some(&q) {
            // The escape: of a quote or of itself, else an ordinary byte.
            match next {
                None => return None,
                Some(n) if n == q || Some(n) == d.escape => {
                    plain = false;
                    pos = at + 2;
                }
                Some(_) => pos = at + 1,
            }
        } else if next == Some(q) {
            plain = false; // a doubled quote
            pos = at + 2;
        } else {
            return Some((at, plain));
        }
    }
}

/// The record end that a line end found at `k` makes: just past the LF, the CRLF or the lone
/// CR; `None` for a CR that is the last byte of `buf` unless `at_eof` (an LF may follow it in
/// the next chunk, and the record would then end one byte later).
#[inline]
fn end_after(buf: &[u8], k: usize, at_eof: bool) -> Option<usize> {
    if buf.get(k) == Some(&b'\r') {
        match buf.get(k + 1) {
            Some(&b'\n') => Some(k + 2),
            Some(_) => Some(k + 1),
            None if at_eof => Some(k + 1),
            None => None,
        }
    } else {
        Some(k + 1)
    }
}

/// The offset just past the last complete record's terminator in `buf`, which starts at a
/// record start; `None` if `buf` holds no complete record.
///
/// A record whose terminator is a CR that is the last byte of `buf` is not complete: the next
/// chunk may start with the LF of a CRLF. At the end of the input, the whole buffer is
/// complete (what follows the last terminator is a last record without one, or an unterminated
/// quote that the parser reports); this function is for the chunks before it.
pub fn last_record_end(buf: &[u8], d: &Dialect) -> Option<usize> {
    let mut best = None;
    let mut pos = 0;
    loop {
        let open = next_open_quote(buf, pos, d);
        let stretch_end = open.unwrap_or(buf.len());
        // The last line end outside quotes in this unquoted stretch; the stretches are
        // disjoint, so the reverse searches cross each byte at most once.
        let mut hi = stretch_end;
        while let Some(k) = buf.get(pos..hi).and_then(|s| memrchr2(b'\n', b'\r', s)) {
            let k = pos + k;
            if let Some(end) = end_after(buf, k, false) {
                best = Some(end);
                break;
            }
            hi = k; // a trailing CR: the line end before it
        }
        let Some(open) = open else {
            return best;
        };
        match closing_quote(buf, open, d) {
            Some(close) => pos = close + 1,
            None => return best,
        }
    }
}

/// Where the whole records at the start of `buf` (which starts at a record start) end: at the
/// end of the input (`at_eof`), all of it; otherwise after the last complete record
/// ([`last_record_end`]), or 0 if none is complete.
pub fn whole_records_end(buf: &[u8], d: &Dialect, at_eof: bool) -> usize {
    if at_eof {
        buf.len()
    } else {
        last_record_end(buf, d).unwrap_or(0)
    }
}

/// Cuts `buf` (which starts at a record start) into blocks of whole records by one sequential
/// scan, and returns each block's end offset, in order: block `i` is
/// `buf[ends[i-1]..ends[i]]` (the first starts at 0).
///
/// Each block ends at the first record end at least `target` bytes after its start (a record
/// longer than that makes a longer block; a `target` of 0 counts as 1, one record a block).
/// The last end is that of the last complete record, as in [`last_record_end`], so what
/// follows it is to be read again with the next chunk. With `at_eof`, the buffer is the rest
/// of the input: its last bytes after the last terminator (a record without a line end, a
/// trailing CR, or a quote never closed, which the parser then reports) end the last block at
/// `buf.len()`. An empty `buf` has no blocks.
pub fn block_ends(buf: &[u8], d: &Dialect, target: usize, at_eof: bool) -> Vec<usize> {
    let target = target.max(1);
    let len = buf.len();
    let mut ends = Vec::with_capacity(len / target + 1);
    let mut block_start = 0;
    let mut pos = 0; // outside quotes
    loop {
        let open = next_open_quote(buf, pos, d);
        let stretch_end = open.unwrap_or(len);
        // Record ends in this unquoted stretch, each the first at or past its block's goal.
        loop {
            let from = pos.max(block_start + target - 1);
            let Some(k) = buf
                .get(from..stretch_end)
                .and_then(|s| memchr2(b'\n', b'\r', s))
            else {
                break;
            };
            match end_after(buf, from + k, at_eof) {
                Some(end) => {
                    ends.push(end);
                    block_start = end;
                    pos = end;
                }
                None => break, // a trailing CR, not at the end of the input: no end here
            }
        }
        let closed = open.and_then(|open| closing_quote(buf, open, d));
        match closed {
            Some(close) => pos = close + 1,
            None => {
                // The rest holds no end at or past the goal: the last block ends at the end of
                // the input, or at the last complete record (found by scanning the rest
                // again, at most one block and one record long).
                let rest = buf.get(block_start..).unwrap_or_default();
                if at_eof && !rest.is_empty() {
                    ends.push(len);
                } else if let Some(end) = last_record_end(rest, d).filter(|_| !at_eof) {
                    ends.push(block_start + end);
                }
                return ends;
            }
        }
    }
}

/// How a field ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Term {
    /// At a delimiter: another field of the same record follows.
    Delimiter,
    /// At a line end: the record is complete.
    LineEnd,
    /// At the end of the buffer, without a line end.
    Eof,
    /// Inside a quoted field that the buffer ends before closing.
    Unterminated,
}

/// One field found by [`next_field`]: its raw bytes are `buf[start..raw_end]`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Field {
    /// Where the field starts (its opening quote, if quoted).
    pub start: usize,
    /// Where its raw bytes end: at its terminator (delimiter or line end) or the buffer's end.
    pub raw_end: usize,
    /// The field's text is `buf[content.0..content.1]` when `simple`; otherwise (a doubled
    /// quote, or bytes after the closing quote) [`unquote_into`] rebuilds it from the raw
    /// bytes.
    pub content: (usize, usize),
    /// See `content`.
    pub simple: bool,
    /// How it ends.
    pub term: Term,
    /// Quoted, holding a line break, and going on after its closing quote: most likely a
    /// stray quote inside a field that was never closed, which swallowed the records after
    /// its opening quote (pyarrow reads it as one field).
    pub stray_quote: bool,
    /// Quoted, without an escape character, and going on after a closing quote that a
    /// backslash stands before (`"O\"Brien"`): most likely a quote escaped by a backslash.
    pub escaped_quote: bool,
    /// Where the next field (after a delimiter) or the next record (after a line end) starts.
    pub next: usize,
}

/// The field that starts at `pos` (a field start), following pyarrow's state machine.
#[inline]
pub(crate) fn next_field(buf: &[u8], pos: usize, d: &Dialect) -> Field {
    let len = buf.len();
    let mut field = Field {
        start: pos,
        raw_end: len,
        content: (pos, len),
        simple: true,
        term: Term::Eof,
        next: len,
        stray_quote: false,
        escaped_quote: false,
    };
    let mut unquoted_from = pos;
    if let Some(open) = opening_quote(buf, pos, d) {
        let Some((close, plain)) = find_close(buf, open + 1, d) else {
            field.content = (open + 1, len);
            field.simple = false;
            field.term = Term::Unterminated;
            return field;
        };
        field.simple = plain; // else a doubled or escaped quote
        field.content = (open + 1, close);
        // Spaces alone after the closing quote are no text.
        let after = close + 1 + spaces(buf, close + 1, d);
        match buf.get(after) {
            None => {
                field.raw_end = len;
                return field;
            }
            Some(&b) if b == d.delimiter || b == b'\n' || b == b'\r' => {
                return finish(buf, field, after);
            }
            Some(_) => {
                field.simple = false; // text after the closing quote
                let quoted = buf.get(open + 1..close).unwrap_or_default();
                field.stray_quote = memchr2(b'\n', b'\r', quoted).is_some();
                field.escaped_quote = d.escape.is_none() && quoted.last() == Some(&b'\\');
                unquoted_from = close + 1;
            }
        }
    }
    let at = unquoted_end(buf, unquoted_from, d.delimiter);
    if field.simple {
        field.content = (pos, at);
    }
    finish(buf, field, at)
}

/// `field` ended by the delimiter or line end at `at`.
#[inline]
fn finish(buf: &[u8], mut field: Field, at: usize) -> Field {
    field.raw_end = at;
    (field.term, field.next) = terminator(buf, at);
    field
}

/// How a field that ends at `at` (at its delimiter or line end, or the buffer's end) ends, and
/// where what follows starts.
#[inline]
pub(crate) fn terminator(buf: &[u8], at: usize) -> (Term, usize) {
    match buf.get(at) {
        None => (Term::Eof, buf.len()),
        Some(&b'\n') => (Term::LineEnd, at + 1),
        Some(&b'\r') => {
            let next = if buf.get(at + 1) == Some(&b'\n') {
                at + 2
            } else {
                at + 1
            };
            (Term::LineEnd, next)
        }
        Some(_) => (Term::Delimiter, at + 1),
    }
}

/// The end of the unquoted text from `pos` on: the next delimiter, CR or LF, or the buffer's
/// end. Most fields are short, and `memchr3` costs more to start than a byte loop over a
/// dozen bytes: the loop looks first, `memchr3` takes over in long fields.
#[inline]
pub(crate) fn unquoted_end(buf: &[u8], pos: usize, delimiter: u8) -> usize {
    const BYTE_LOOP: usize = 24;
    let rest = buf.get(pos..).unwrap_or_default();
    for (i, &b) in rest.iter().take(BYTE_LOOP).enumerate() {
        if b == delimiter || b == b'\n' || b == b'\r' {
            return pos + i;
        }
    }
    match rest.get(BYTE_LOOP..) {
        Some(tail) => {
            memchr3(delimiter, b'\n', b'\r', tail).map_or(buf.len(), |i| pos + BYTE_LOOP + i)
        }
        None => buf.len(),
    }
}

/// Appends the text of a field whose raw bytes are `raw` to `out`: its quotes taken away and
/// doubled quotes undoubled, in pyarrow's way (bytes after the closing quote are text, quotes
/// among them too). For fields that [`next_field`] did not find `simple`.
pub(crate) fn unquote_into(raw: &[u8], d: &Dialect, out: &mut Vec<u8>) {
    let (Some(q), Some(open)) = (d.quote, opening_quote(raw, 0, d)) else {
        out.extend_from_slice(raw);
        return;
    };
    let mut pos = open + 1;
    loop {
        let Some(rest) = raw.get(pos..) else { return };
        let found = match d.escape {
            Some(e) => memchr2(q, e, rest),
            None => memchr(q, rest),
        };
        let Some(i) = found else {
            out.extend_from_slice(rest); // never closed
            return;
        };
        let at = pos + i;
        out.extend_from_slice(&raw[pos..at]);
        let next = raw.get(at + 1).copied();
        if raw.get(at) != Some(&q) {
            // The escape: of a quote or of itself, else an ordinary byte.
            match next {
                Some(n) if n == q || Some(n) == d.escape => {
                    out.push(n);
                    pos = at + 2;
                }
                _ => {
                    out.push(raw[at]);
                    pos = at + 1;
                }
            }
        } else if next == Some(q) {
            out.push(q);
            pos = at + 2;
        } else {
            // Closed: the rest is unquoted text (spaces alone are none).
            let rest = raw.get(at + 1..).unwrap_or_default();
            if spaces(rest, 0, d) < rest.len() {
                out.extend_from_slice(rest);
            }
            return;
        }
    }
}

/// The field's text: borrowed from `buf` when it can be, else rebuilt in `scratch`.
#[inline]
pub(crate) fn field_text<'a>(
    buf: &'a [u8],
    f: &Field,
    d: &Dialect,
    scratch: &'a mut Vec<u8>,
) -> &'a [u8] {
    if f.simple {
        buf.get(f.content.0..f.content.1).unwrap_or_default()
    } else {
        scratch.clear();
        unquote_into(buf.get(f.start..f.raw_end).unwrap_or_default(), d, scratch);
        scratch
    }
}

/// The column names in the header record at the start of `buf` (the start of the input), and
/// the offset just past the header's line end, where the data records start.
///
/// A UTF-8 byte-order mark and empty lines before the header are skipped, as pyarrow does.
/// Names are unquoted (doubled quotes undoubled) and must be UTF-8. Unless `at_eof` (`buf` is
/// the whole input), a header that `buf` ends in, or whose line end is a CR that is its last
/// byte, is [`ErrorKind::Incomplete`]: read more and call again. At the end of the input a
/// header without a line end is complete (the offset is then `buf.len()`).
///
/// Errors have `row` 0 (the header is no data row) and `line` the header's line.
pub fn parse_header(
    buf: &[u8],
    d: &Dialect,
    at_eof: bool,
) -> Result<(Vec<String>, usize), ParseError> {
    let mut pos = bom_len(buf);
    let mut line = 1;
    let error = |kind, line, column, value: &[u8]| ParseError {
        row: 0,
        line,
        column,
        value: shown(value),
        kind,
    };
    // Empty lines before the header.
    while let Some(&b) = buf.get(pos) {
        if b != b'\n' && b != b'\r' {
            break;
        }
        match end_after(buf, pos, at_eof) {
            Some(end) => pos = end,
            None => return Err(error(ErrorKind::Incomplete, line, None, b"")),
        }
        line += 1;
    }
    if pos >= buf.len() {
        let kind = if at_eof {
            ErrorKind::NoHeader
        } else {
            ErrorKind::Incomplete
        };
        return Err(error(kind, line, None, b""));
    }
    let mut names = Vec::new();
    let mut scratch = Vec::new();
    loop {
        let f = next_field(buf, pos, d);
        let column = Some(names.len());
        match f.term {
            Term::Unterminated if at_eof => {
                let raw = buf.get(f.start..).unwrap_or_default();
                return Err(error(ErrorKind::UnterminatedQuote, line, column, raw));
            }
            Term::Unterminated | Term::Eof if !at_eof => {
                return Err(error(ErrorKind::Incomplete, line, None, b""));
            }
            Term::LineEnd
                if f.next == buf.len() && !at_eof && buf.get(f.raw_end) == Some(&b'\r') =>
            {
                return Err(error(ErrorKind::Incomplete, line, None, b""));
            }
            _ => {}
        }
        let text = field_text(buf, &f, d, &mut scratch);
        match std::str::from_utf8(text) {
            Ok(name) => names.push(name.to_owned()),
            Err(_) => return Err(error(ErrorKind::InvalidUtf8, line, column, text)),
        }
        pos = f.next;
        if f.term != Term::Delimiter {
            return Ok((names, pos));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: Dialect = Dialect::CSV;

    fn fields(buf: &[u8]) -> Vec<(String, Term)> {
        let mut out = Vec::new();
        let mut pos = 0;
        let mut scratch = Vec::new();
        loop {
            let f = next_field(buf, pos, &D);
            let text = field_text(buf, &f, &D, &mut scratch);
            out.push((String::from_utf8_lossy(text).into_owned(), f.term));
            pos = f.next;
            if f.term != Term::Delimiter {
                return out;
            }
        }
    }

    #[test]
    fn a_quote_on_a_comment_line_opens_no_field() {
        let d = D.with_comment(Some(b'#')).unwrap();
        // The comment's lone quote would otherwise take the records after it for one field.
        let buf = b"# units: 5\" and 3\"\" apart, \"odd\n1,2\n3,4\n#,\"x\n5,\"6\n7\"\n8,9\n";
        let record_ends = [
            buf.iter().position(|&b| b == b'\n').unwrap() + 1,
            buf.windows(4).position(|w| w == b"1,2\n").unwrap() + 4,
            buf.windows(4).position(|w| w == b"3,4\n").unwrap() + 4,
            buf.windows(5).position(|w| w == b"#,\"x\n").unwrap() + 5,
            buf.windows(4).position(|w| w == b"7\"\n8").unwrap() + 3,
            buf.len(),
        ];
        // One record per block: every record end, and no other.
        assert_eq!(block_ends(buf, &d, 1, true), record_ends);
        assert_eq!(last_record_end(buf, &d), Some(buf.len()));
        // Without the comment character, the first line's quotes are quotes.
        assert_ne!(block_ends(buf, &D, 1, true), record_ends);
    }

    #[test]
    fn bom() {
        assert_eq!(bom_len(b"\xEF\xBB\xBFa,b"), 3);
        assert_eq!(bom_len(b"\xEF\xBBa"), 0);
        assert_eq!(bom_len(b""), 0);
    }

    #[test]
    fn lines_are_counted_as_pyarrow_ends_them() {
        assert_eq!(count_lines(b"a\nb\r\nc\rd"), 3);
        assert_eq!(count_lines(b"\r\r\n\n"), 3);
        assert_eq!(count_lines(b""), 0);
        assert_eq!(count_lines(b"a\r"), 1);
    }

    #[test]
    fn fields_follow_pyarrow() {
        use Term::*;
        let s = |v: &str, t| (v.to_owned(), t);
        assert_eq!(fields(b"a,b\n"), [s("a", Delimiter), s("b", LineEnd)]);
        assert_eq!(
            fields(b"\"a,\"\"b\"\"\",c"),
            [s("a,\"b\"", Delimiter), s("c", Eof)]
        );
        // A quote opens a field only at its start; after the closing quote the field goes on.
        assert_eq!(fields(b"x\"y,1"), [s("x\"y", Delimiter), s("1", Eof)]);
        assert_eq!(fields(b"\"x\"y\"z\"\r\n"), [s("xy\"z\"", LineEnd)]);
        assert_eq!(fields(b"\"a\nb\r\nc\"\r"), [s("a\nb\r\nc", LineEnd)]);
        assert_eq!(
            fields(b"1,2,"),
            [s("1", Delimiter), s("2", Delimiter), s("", Eof)]
        );
        assert_eq!(fields(b"\"\""), [s("", Eof)]);
        assert_eq!(fields(b"\"ab"), [s("ab", Unterminated)]);
        assert_eq!(fields(b"\"a\"\""), [s("a\"", Unterminated)]);
    }

    #[test]
    fn spaces_around_a_quoted_field_are_no_text() {
        use Term::*;
        let s = |v: &str, t| (v.to_owned(), t);
        // `"Year", "Score"` and `1970,  73, "Hi, Mom!"`: the quote after spaces opens a field.
        assert_eq!(
            fields(b"1970,  73, \"Hi, Mom!\"\n"),
            [
                s("1970", Delimiter),
                s("  73", Delimiter),
                s("Hi, Mom!", LineEnd)
            ]
        );
        assert_eq!(
            fields(b"  \"a\"\"b\"  ,\"c\" \r\n"),
            [s("a\"b", Delimiter), s("c", LineEnd)]
        );
        assert_eq!(fields(b" \"a\nb\" "), [s("a\nb", Eof)]);
        assert_eq!(fields(b" \"ab"), [s("ab", Unterminated)]);
        // Text after the closing quote keeps the spaces before it; a quote after text is text.
        assert_eq!(
            fields(b" \"a\" b,x \"y\""),
            [s("a b", Delimiter), s("x \"y\"", Eof)]
        );
        // The record ends and blocks follow: the line break inside ` "a\nb"` ends no record.
        let buf = b"1, \"a\nb\"\n2, \"c,\"  \n";
        assert_eq!(block_ends(buf, &D, 1, true), [9, buf.len()]);
        assert_eq!(last_record_end(&buf[..8], &D), None);
        // Where spaces separate fields, they are no part of one.
        let spaced = Dialect::new(b' ', Some(b'"'), b'.').unwrap();
        let mut scratch = Vec::new();
        let f = next_field(b"\"a\"  b", 0, &spaced);
        assert_eq!(field_text(b"\"a\"  b", &f, &spaced, &mut scratch), b"a");
        assert_eq!((f.term, f.next), (Delimiter, 4));
    }

    fn escaped_fields(buf: &[u8]) -> Vec<(String, Term)> {
        let d = D.with_escape(Some(b'\\')).unwrap();
        let mut out = Vec::new();
        let mut pos = 0;
        let mut scratch = Vec::new();
        loop {
            let f = next_field(buf, pos, &d);
            let text = field_text(buf, &f, &d, &mut scratch);
            out.push((String::from_utf8_lossy(text).into_owned(), f.term));
            pos = f.next;
            if f.term != Term::Delimiter {
                return out;
            }
        }
    }

    #[test]
    fn an_escape_inside_quotes_stands_for_a_quote_or_itself() {
        use Term::*;
        let s = |v: &str, t| (v.to_owned(), t);
        assert_eq!(
            escaped_fields(br#""a\"b,c\"",1"#),
            [s(r#"a"b,c""#, Delimiter), s("1", Eof)]
        );
        assert_eq!(
            escaped_fields(br#""C:\\",2"#),
            [s("C:\\", Delimiter), s("2", Eof)]
        );
        // Before another byte, and outside quotes, it is text; a doubled quote still counts.
        assert_eq!(
            escaped_fields(br#""C:\temp""x",C:\"#),
            [s(r#"C:\temp"x"#, Delimiter), s("C:\\", Eof)]
        );
        assert_eq!(escaped_fields(b"\"a\\\"\n"), [s("a\"\n", Unterminated)]);
        assert_eq!(escaped_fields(b"\"a\\"), [s("a\\", Unterminated)]);
        // Without the escape character, the same bytes read as pyarrow's default reads them.
        assert_eq!(
            fields(br#""a\"b,c""#),
            [s("a\\b", Delimiter), s("c\"", Eof)]
        );
    }

    #[test]
    fn escaped_quotes_neither_close_a_field_nor_let_a_record_end() {
        let d = D.with_escape(Some(b'\\')).unwrap();
        let buf = b"1,\"a\\\"\nb\"\n2,\"\\\\\"\n3,x\\\"\n";
        // 1,"a\"<LF>b"<LF> | 2,"\\"<LF> | 3,x\"<LF>: the escaped quote keeps the line end
        // quoted; an escaped escape does not escape the quote after it; outside quotes it is text.
        assert_eq!(block_ends(buf, &d, 1, true), [10, 17, 23]);
        assert_eq!(last_record_end(buf, &d), Some(23));
        assert_eq!(last_record_end(&buf[..8], &d), None);
        // An escape that ends the buffer: the next byte decides, so no record ends after it.
        assert_eq!(last_record_end(b"1,2\n3,\"a\\", &d), Some(4));
        assert_eq!(block_ends(buf, &D, 1, true), [7, 10, 17, 23]);
    }

    #[test]
    fn record_ends() {
        assert_eq!(last_record_end(b"a\nb\nc", &D), Some(4));
        assert_eq!(last_record_end(b"a\r\nb\r\n", &D), Some(6));
        assert_eq!(last_record_end(b"a\rb\r", &D), Some(2)); // the trailing CR may be a CRLF
        assert_eq!(last_record_end(b"a\rb\r\n", &D), Some(5));
        assert_eq!(last_record_end(b"abc", &D), None);
        assert_eq!(last_record_end(b"\"a\nb\"\n\"c\nd", &D), Some(6));
        assert_eq!(last_record_end(b"1,\"a\n\"\"b\n\"\"\",2\n3", &D), Some(15));
        assert_eq!(last_record_end(b"x\"y\nz", &D), Some(4)); // a quote mid-field is text
        assert_eq!(last_record_end(b"\"x\"y\"\nz", &D), Some(6));
        let no_quote = Dialect::new(b',', None, b'.').unwrap();
        assert_eq!(last_record_end(b"\"a\nb", &no_quote), Some(3));
    }

    #[test]
    fn blocks() {
        let buf = b"1,2\n3,4\r\n\"5\n\",6\r7,8";
        assert_eq!(block_ends(buf, &D, 1, false), [4, 9, 16]);
        assert_eq!(block_ends(buf, &D, 1, true), [4, 9, 16, 19]);
        assert_eq!(block_ends(buf, &D, 5, true), [9, 16, 19]);
        assert_eq!(block_ends(buf, &D, 0, false), [4, 9, 16]);
        assert_eq!(block_ends(buf, &D, 100, false), [16]);
        assert_eq!(block_ends(buf, &D, 100, true), [19]);
        assert_eq!(block_ends(b"a\r", &D, 1, false), Vec::<usize>::new());
        assert_eq!(block_ends(b"a\r", &D, 1, true), [2]);
        assert_eq!(block_ends(b"a\n\"b\n", &D, 1, false), [2]);
        assert_eq!(block_ends(b"a\n\"b\n", &D, 1, true), [2, 5]);
        assert_eq!(block_ends(b"", &D, 1, true), Vec::<usize>::new());
    }

    #[test]
    fn header() {
        let (names, end) = parse_header(b"\xEF\xBB\xBF\"a\"\"x\",b\r\n1,2\n", &D, false).unwrap();
        assert_eq!((names, end), (vec!["a\"x".to_owned(), "b".to_owned()], 13));
        let (names, end) = parse_header(b"\n\r\na,,b\n", &D, true).unwrap();
        assert_eq!((names, end), (vec!["a".into(), "".into(), "b".into()], 8));
        assert_eq!(parse_header(b"a,b", &D, true).unwrap().1, 3);
        assert_eq!(
            parse_header(b"a,b", &D, false).unwrap_err().kind,
            ErrorKind::Incomplete
        );
        assert_eq!(
            parse_header(b"a,b\r", &D, false).unwrap_err().kind,
            ErrorKind::Incomplete
        );
        assert_eq!(parse_header(b"a,b\r", &D, true).unwrap().1, 4);
        assert_eq!(
            parse_header(b"\n\n", &D, true).unwrap_err().kind,
            ErrorKind::NoHeader
        );
        let e = parse_header(b"\na,\"b\n", &D, true).unwrap_err();
        assert_eq!(
            (e.kind, e.line, e.column),
            (ErrorKind::UnterminatedQuote, 2, Some(1))
        );
        let e = parse_header(b"a,\xff\n", &D, true).unwrap_err();
        assert_eq!((e.kind, e.column), (ErrorKind::InvalidUtf8, Some(1)));
    }
}
