//! The `#HEADER#` section (`Version`, `EOF`, `EOR`, `Property Count`, `Generated Date`) and
//! the `#DEFINITION#` section (the field names, in record order).
//!
//! Header lines are `Name : value`, names matched without regard to case; a value may be
//! wrapped in single or double quotes, and inside them `\n`, `\r`, `\t` and `\\` stand for
//! a line feed, a carriage return, a tab and a backslash (so a line feed can be declared as
//! the end of record). Unknown header lines are ignored.

use std::collections::HashMap;

/// The longest end-of-field or end-of-record mark.
const MAX_MARK_BYTES: usize = 16;
/// The most fields a definition may name.
const MAX_FIELDS: usize = 4096;

/// What the header declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Header {
    /// `Version`, as written (`3`, `3i`).
    pub version: String,
    /// The end-of-field mark.
    pub eof: String,
    /// The end-of-record mark.
    pub eor: String,
    /// `Property Count`, when it is a number.
    pub property_count: Option<u64>,
}

/// Reads the header's lines (the text between `#HEADER#` and `#DEFINITION#`).
pub(super) fn header(text: &str) -> Result<Header, String> {
    let (mut version, mut eof, mut eor, mut count) = (None, None, None, None);
    for line in text.lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = unescape(unquote(value.trim()));
        match name.trim().to_ascii_lowercase().as_str() {
            "version" => version = Some(value),
            "eof" => eof = Some(value),
            "eor" => eor = Some(value),
            "property count" => count = Some(value),
            _ => {}
        }
    }
    let version = version.unwrap_or_default();
    if !version.is_empty() && !version.starts_with('3') {
        return Err(format!(
            "the header declares Version {version:?}; only BLM version 3 (3, 3i) is read"
        ));
    }
    let eof = mark("EOF", eof)?;
    let eor = mark("EOR", eor)?;
    if eof == eor || eof.contains(&eor) {
        return Err(format!(
            "the end-of-record mark {eor:?} cannot be found inside the end-of-field mark {eof:?}"
        ));
    }
    let property_count = count.and_then(|c| {
        let parsed = c.trim().parse().ok();
        if parsed.is_none() {
            tracing::warn!(value = %c, "the BLM header's Property Count is not a number");
        }
        parsed
    });
    Ok(Header {
        version,
        eof,
        eor,
        property_count,
    })
}

/// The declared mark `name`, checked.
fn mark(name: &str, value: Option<String>) -> Result<String, String> {
    match value {
        None => Err(format!("the header does not declare {name}")),
        Some(v) if v.is_empty() => Err(format!("the header declares an empty {name}")),
        Some(v) if v.len() > MAX_MARK_BYTES => Err(format!(
            "the header's {name} is longer than {MAX_MARK_BYTES} bytes"
        )),
        Some(v) => Ok(v),
    }
}

/// A value without one pair of surrounding single or double quotes.
fn unquote(value: &str) -> &str {
    for quote in ['\'', '"'] {
        if let Some(inner) = value
            .strip_prefix(quote)
            .and_then(|v| v.strip_suffix(quote))
        {
            return inner;
        }
    }
    value
}

/// `\n`, `\r`, `\t` and `\\` made the characters they stand for; other text as it is.
fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.clone().next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('\\') => out.push('\\'),
            _ => {
                out.push('\\');
                continue;
            }
        }
        chars.next();
    }
    out
}

/// The mark as the header writes it, quoted, with the escapes [`header`] reads.
pub(super) fn escape(mark: &str) -> String {
    let mut out = String::with_capacity(mark.len() + 2);
    out.push('\'');
    for c in mark.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// The field names of a definition (the text after `#DEFINITION#`, up to its end of record),
/// upper-case, in order.
pub(super) fn definition(text: &str, eof: &str) -> Result<Vec<String>, String> {
    let mut names: Vec<String> = text
        .split(eof)
        .map(|n| unquote(n.trim()).trim().to_ascii_uppercase())
        .collect();
    if names.last().is_some_and(String::is_empty) {
        names.pop();
    }
    if names.is_empty() {
        return Err("the definition names no field".into());
    }
    if names.len() > MAX_FIELDS {
        return Err(format!(
            "the definition names more than {MAX_FIELDS} fields"
        ));
    }
    let mut seen = HashMap::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        if name.is_empty() {
            return Err(format!("field {} of the definition has no name", i + 1));
        }
        if seen.insert(name.as_str(), i).is_some() {
            return Err(format!("the definition names {name} twice"));
        }
    }
    if !seen.contains_key("AGENT_REF") {
        return Err("the definition has no AGENT_REF field".into());
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_header_with_quotes_escapes_and_any_case() {
        let h = header(
            "Version : 3\r\nEOF : '^'\nEOR : \"~\"\nProperty Count : 12\nGenerated Date : 01-May-2024 12:30\n",
        )
        .unwrap();
        assert_eq!((h.eof.as_str(), h.eor.as_str()), ("^", "~"));
        assert_eq!(h.property_count, Some(12));
        let h = header("version: 3i\neof : '|'\neor : '\\n'\nproperty count: many").unwrap();
        assert_eq!((h.eof.as_str(), h.eor.as_str()), ("|", "\n"));
        assert_eq!(h.property_count, None);
        assert_eq!(
            header(&format!(
                "EOF : {}\nEOR : {}",
                escape("<\\t>"),
                escape("\r\n")
            ))
            .unwrap()
            .eof,
            "<\\t>"
        );
    }

    #[test]
    fn refuses_headers_it_cannot_read_records_with() {
        assert!(header("EOF : '^'").unwrap_err().contains("EOR"));
        assert!(
            header("EOF : ''\nEOR : '~'")
                .unwrap_err()
                .contains("empty EOF")
        );
        assert!(
            header("EOF : '^~'\nEOR : '~'")
                .unwrap_err()
                .contains("inside")
        );
        assert!(
            header("Version : 2\nEOF : '^'\nEOR : '~'")
                .unwrap_err()
                .contains("version 3")
        );
    }

    #[test]
    fn reads_the_definition() {
        let names = definition("agent_ref^ BRANCH_ID ^STATUS_ID^", "^").unwrap();
        assert_eq!(names, ["AGENT_REF", "BRANCH_ID", "STATUS_ID"]);
        assert!(
            definition("AGENT_REF^^X^", "^")
                .unwrap_err()
                .contains("field 2")
        );
        assert!(
            definition("AGENT_REF^X^X^", "^")
                .unwrap_err()
                .contains("twice")
        );
        assert!(definition("X^Y^", "^").unwrap_err().contains("AGENT_REF"));
    }
}
