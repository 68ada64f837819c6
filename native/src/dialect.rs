//! How a CSV file is written: its field separator, its quote and escape characters and the
//! decimal separator of its numbers.
//!
//! The scanner ([`crate::scan`]) and the parser ([`crate::parse`]) read a byte at a time
//! against these three bytes, so they are plain ASCII bytes. Line ends are not configurable:
//! LF, CRLF and a lone CR all end a record, as in pyarrow's reader.

use std::fmt;

/// The bytes that structure a CSV file.
///
/// Build it with [`Dialect::new`], which checks the invariants below; the fields are public
/// for reading and for pattern matching. A `Dialect` built by hand that breaks them never makes
/// the scanner or the parser panic, but their results are then unspecified.
///
/// Invariants (checked by [`Dialect::new`]):
/// - every byte is ASCII (a byte of a multi-byte UTF-8 character would cut characters apart);
/// - neither the delimiter nor the quote is CR or LF (those end records);
/// - the delimiter is not the quote;
/// - the decimal point is not the quote, nor the delimiter where nothing is quoted (a number
///   like `1,5` would be two fields; quoted, `"1,5"` is one, as comma-separated files with
///   decimal commas write them), and not a byte that is part of a number's spelling anyway
///   (digits, signs, `e`/`E`, letters) or trimmed around it (space, tab).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Dialect {
    /// Separates the fields of a record (`,` or `\t` usually).
    pub delimiter: u8,
    /// Opens and closes a quoted field, doubled inside one to stand for itself (RFC 4180);
    /// `None`: no quoting, every byte but the delimiter and line ends is text.
    pub quote: Option<u8>,
    /// Separates the integer part of a number from its fraction (`.` or `,`).
    pub decimal_point: u8,
    /// A record starting with this byte is a comment line, skipped through its line end (no
    /// quoting inside it); `None`: no comments.
    pub comment: Option<u8>,
    /// Whether a comment line that splits as a record of the table is refused
    /// ([`crate::parse::ErrorKind::CommentOrRow`]) rather than skipped: where the comment
    /// character was found in the file's first lines rather than given, a line further down
    /// that starts with it and reads as a row (`#x,12`) is as likely a row as a comment.
    pub refuse_comment_rows: bool,
    /// Whether a quoted field that goes on after a closing quote with a backslash before it
    /// (`"O\"Brien"` read without an escape) is refused
    /// ([`crate::parse::ErrorKind::EscapedQuote`]) rather than read as pyarrow reads it
    /// (`O\Brien"`): where no escape was found in the file's first lines rather than none
    /// given, such a field further down is most likely an escaped quote.
    pub refuse_escaped_quotes: bool,
    /// Whether a quoted field holding a line break is refused
    /// ([`crate::parse::ErrorKind::QuotedBreak`]) where its lines read as the rest of its
    /// record, whole records and the start of another (`"5 inch,3\ntall",4`), rather than read
    /// as one value: where the quote was detected rather than given, such a field is as likely
    /// a stray quote closed by another one records later, the records between read into one
    /// field, as a value with line breaks.
    pub refuse_quoted_breaks: bool,
    /// Inside a quoted field, this byte before the quote or before itself stands for that byte
    /// (`\"` and `\\` with `\`), as PostgreSQL's and DuckDB's `ESCAPE` read; before any other
    /// byte, and outside quotes, it is an ordinary byte (`C:\temp` keeps its backslash). A
    /// doubled quote still stands for one quote. `None`: no escapes.
    pub escape: Option<u8>,
}

/// Why a [`Dialect`] cannot be used; the byte in question is in each variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DialectError {
    /// A byte that is not ASCII: it would be part of multi-byte characters.
    NotAscii(u8),
    /// The delimiter or the quote is CR or LF, which always end a record.
    LineEnd(u8),
    /// The delimiter and the quote are the same byte.
    DelimiterIsQuote(u8),
    /// The decimal point is also the delimiter or the quote.
    DecimalIsSeparator(u8),
    /// The decimal point is a byte that numbers are spelled with (digit, sign, letter) or that
    /// is trimmed around them (space, tab), or a control character.
    DecimalInNumbers(u8),
    /// The comment character is also the delimiter or the quote.
    CommentIsSeparator(u8),
    /// The escape character is also the delimiter or the quote.
    EscapeIsSeparator(u8),
}

impl fmt::Display for DialectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            DialectError::NotAscii(b) => write!(f, "byte 0x{b:02x} is not an ASCII character"),
            DialectError::LineEnd(b) => {
                write!(
                    f,
                    "{:?} ends lines; it cannot separate or quote fields",
                    b as char
                )
            }
            DialectError::DelimiterIsQuote(b) => {
                write!(f, "{:?} cannot both separate and quote fields", b as char)
            }
            DialectError::DecimalIsSeparator(b) => write!(
                f,
                "{:?} cannot both separate (or quote) fields and decimals",
                b as char
            ),
            DialectError::DecimalInNumbers(b) => {
                write!(f, "{:?} cannot be a decimal separator", b as char)
            }
            DialectError::CommentIsSeparator(b) => {
                write!(
                    f,
                    "{:?} cannot both separate (or quote) fields and start comments",
                    b as char
                )
            }
            DialectError::EscapeIsSeparator(b) => {
                write!(
                    f,
                    "{:?} cannot both separate (or quote) fields and escape quotes",
                    b as char
                )
            }
        }
    }
}

impl std::error::Error for DialectError {}

impl Dialect {
    /// A checked dialect; see the type's invariants.
    pub fn new(delimiter: u8, quote: Option<u8>, decimal_point: u8) -> Result<Self, DialectError> {
        for b in [Some(delimiter), quote, Some(decimal_point)]
            .into_iter()
            .flatten()
        {
            if !b.is_ascii() {
                return Err(DialectError::NotAscii(b));
            }
        }
        for b in [Some(delimiter), quote].into_iter().flatten() {
            if b == b'\r' || b == b'\n' {
                return Err(DialectError::LineEnd(b));
            }
        }
        if quote == Some(delimiter) {
            return Err(DialectError::DelimiterIsQuote(delimiter));
        }
        if (decimal_point == delimiter && quote.is_none()) || Some(decimal_point) == quote {
            return Err(DialectError::DecimalIsSeparator(decimal_point));
        }
        let d = decimal_point;
        if d.is_ascii_alphanumeric()
            || matches!(d, b'+' | b'-' | b' ' | b'\t')
            || d < 0x20
            || d == 0x7f
        {
            return Err(DialectError::DecimalInNumbers(d));
        }
        Ok(Dialect {
            delimiter,
            quote,
            decimal_point,
            comment: None,
            refuse_comment_rows: false,
            refuse_escaped_quotes: false,
            refuse_quoted_breaks: false,
            escape: None,
        })
    }

    /// This dialect with comment lines starting with `comment`, checked: an ASCII byte that
    /// is not a line end, the delimiter or the quote.
    pub fn with_comment(self, comment: Option<u8>) -> Result<Self, DialectError> {
        if let Some(c) = comment {
            if !c.is_ascii() {
                return Err(DialectError::NotAscii(c));
            }
            if c == b'\r' || c == b'\n' {
                return Err(DialectError::LineEnd(c));
            }
            if c == self.delimiter || Some(c) == self.quote {
                return Err(DialectError::CommentIsSeparator(c));
            }
        }
        Ok(Dialect { comment, ..self })
    }

    /// This dialect refusing comment lines that read as rows, or not (see
    /// [`Dialect::refuse_comment_rows`]).
    pub fn refusing_comment_rows(self, refuse: bool) -> Self {
        Dialect {
            refuse_comment_rows: refuse,
            ..self
        }
    }

    /// This dialect refusing quoted fields that go on after a quote a backslash stands before,
    /// or not (see [`Dialect::refuse_escaped_quotes`]).
    pub fn refusing_escaped_quotes(self, refuse: bool) -> Self {
        Dialect {
            refuse_escaped_quotes: refuse,
            ..self
        }
    }

    /// This dialect refusing quoted fields that hold a line break, or not (see
    /// [`Dialect::refuse_quoted_breaks`]).
    pub fn refusing_quoted_breaks(self, refuse: bool) -> Self {
        Dialect {
            refuse_quoted_breaks: refuse,
            ..self
        }
    }

    /// This dialect with `escape` escaping quotes inside quoted fields, checked: an ASCII
    /// byte that is not a line end, the delimiter or the quote (a doubled quote escapes a
    /// quote anyway).
    pub fn with_escape(self, escape: Option<u8>) -> Result<Self, DialectError> {
        if let Some(e) = escape {
            if !e.is_ascii() {
                return Err(DialectError::NotAscii(e));
            }
            if e == b'\r' || e == b'\n' {
                return Err(DialectError::LineEnd(e));
            }
            if e == self.delimiter || Some(e) == self.quote {
                return Err(DialectError::EscapeIsSeparator(e));
            }
        }
        Ok(Dialect { escape, ..self })
    }

    /// Comma-separated, double-quoted, `.` for decimals.
    pub const CSV: Dialect = Dialect {
        delimiter: b',',
        quote: Some(b'"'),
        decimal_point: b'.',
        comment: None,
        refuse_comment_rows: false,
        refuse_escaped_quotes: false,
        refuse_quoted_breaks: false,
        escape: None,
    };

    /// Tab-separated, double-quoted, `.` for decimals.
    pub const TSV: Dialect = Dialect {
        delimiter: b'\t',
        quote: Some(b'"'),
        decimal_point: b'.',
        comment: None,
        refuse_comment_rows: false,
        refuse_escaped_quotes: false,
        refuse_quoted_breaks: false,
        escape: None,
    };
}

impl Default for Dialect {
    /// [`Dialect::CSV`].
    fn default() -> Self {
        Dialect::CSV
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_usual_dialects() {
        assert_eq!(Dialect::new(b',', Some(b'"'), b'.'), Ok(Dialect::CSV));
        assert_eq!(Dialect::new(b'\t', Some(b'"'), b'.'), Ok(Dialect::TSV));
        assert!(Dialect::new(b';', Some(b'"'), b',').is_ok());
        assert!(Dialect::new(b'|', None, b'.').is_ok());
        assert!(Dialect::new(b' ', Some(b'\''), b'.').is_ok());
    }

    #[test]
    fn refuses_ambiguous_dialects() {
        assert_eq!(
            Dialect::new(b'\n', None, b'.'),
            Err(DialectError::LineEnd(b'\n'))
        );
        assert_eq!(
            Dialect::new(b',', Some(b'\r'), b'.'),
            Err(DialectError::LineEnd(b'\r'))
        );
        assert_eq!(
            Dialect::new(b'"', Some(b'"'), b'.'),
            Err(DialectError::DelimiterIsQuote(b'"'))
        );
        assert_eq!(
            Dialect::new(b',', None, b','),
            Err(DialectError::DecimalIsSeparator(b','))
        );
        assert!(
            Dialect::new(b',', Some(b'"'), b',').is_ok(),
            "\"1,5\" is quoted"
        );
        assert_eq!(
            Dialect::new(b';', Some(b','), b','),
            Err(DialectError::DecimalIsSeparator(b','))
        );
        for d in [b'5', b'e', b'E', b'+', b'-', b' ', b'\t', b'\n', b'x'] {
            assert_eq!(
                Dialect::new(b';', Some(b'"'), d),
                Err(DialectError::DecimalInNumbers(d))
            );
        }
        assert_eq!(
            Dialect::new(0xc3, None, b'.'),
            Err(DialectError::NotAscii(0xc3))
        );
        assert!(!DialectError::NotAscii(0xc3).to_string().is_empty());
    }

    #[test]
    fn an_escape_is_neither_a_separator_nor_a_line_end() {
        let d = Dialect::CSV.with_escape(Some(b'\\')).unwrap();
        assert_eq!(d.escape, Some(b'\\'));
        for e in [b',', b'"'] {
            assert_eq!(
                Dialect::CSV.with_escape(Some(e)),
                Err(DialectError::EscapeIsSeparator(e))
            );
        }
        assert_eq!(
            Dialect::CSV.with_escape(Some(b'\n')),
            Err(DialectError::LineEnd(b'\n'))
        );
        assert_eq!(
            Dialect::CSV.with_escape(Some(0xe9)),
            Err(DialectError::NotAscii(0xe9))
        );
        assert!(!DialectError::EscapeIsSeparator(b',').to_string().is_empty());
    }
}
