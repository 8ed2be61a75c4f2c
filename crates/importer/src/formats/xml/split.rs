//! Finds where an element ends without parsing what it holds, so a reader can cut a record
//! out of the document and have it parsed elsewhere (on another thread) while it goes on.
//!
//! The search reads only what decides where markup starts and ends: text up to the next `<`,
//! comments, CDATA sections and processing instructions skipped to their closing marks, tags
//! skipped to their `>` (one inside a quoted attribute value does not end a tag), and the
//! start and end tags of elements named like the one being cut, counted so a nested one does
//! not end it; each is read as quick-xml reads it (names end at XML white space, an end
//! tag's trailing white space is not part of its name). Anything else a record should not
//! hold (a DOCTYPE or other declaration, a `<` that starts no markup, `<?>`, an end tag with
//! more than a name) gives up: the reader then parses
//! that record where it is, as it parses every node it does not cut. What the search accepts
//! is checked again when the record is parsed, so a record it cut wrongly fails the feed
//! instead of being read as something else.

use memchr::memmem;

/// Where an element's content ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Split {
    /// Its end tag ends this many bytes into the content (just past its `>`).
    End(usize),
    /// The bytes end before its end tag.
    Cut,
    /// The content holds something the search does not read: parse it instead.
    GiveUp,
}

/// Where the content of an element named `name` (as written, with its prefix), starting at
/// `content[0]` just after the element's start tag, ends.
pub(crate) fn element_end(content: &[u8], name: &[u8]) -> Split {
    let mut depth = 1usize;
    let mut at = 0;
    loop {
        let Some(lt) = memchr::memchr(b'<', &content[at..]) else {
            return Split::Cut;
        };
        let tag = at + lt;
        let rest = &content[tag + 1..];
        let skipped = match rest {
            [] => return Split::Cut,
            [b'!', b'-', b'-', ..] => past(rest, 3, b"-->"),
            [b'!', b'[', b'C', b'D', b'A', b'T', b'A', b'[', ..] => past(rest, 8, b"]]>"),
            [b'!', ..] if rest.len() < 8 => return Split::Cut,
            [b'!', ..] => return Split::GiveUp,
            // The parser reads `<?>` as a processing instruction that ends at once, and
            // fails on it.
            [b'?', b'>', ..] => return Split::GiveUp,
            [b'?', ..] => past(rest, 1, b"?>"),
            [b'/', tail @ ..] => {
                let Some(gt) = memchr::memchr(b'>', tail) else {
                    return Split::Cut;
                };
                let written = &tail[..gt];
                let spaces = written.iter().rev().take_while(|b| is_space(**b)).count();
                let end_name = &written[..written.len() - spaces];
                // The parser reads a quote in an end tag as opening a value, and a `>` in it
                // as not ending the tag.
                let odd = |b: &u8| is_space(*b) || *b == b'"' || *b == b'\'';
                if end_name.is_empty() || end_name.iter().any(odd) {
                    return Split::GiveUp;
                }
                let after = tag + 2 + gt + 1;
                if end_name == name {
                    depth -= 1;
                    if depth == 0 {
                        return Split::End(after);
                    }
                }
                Some(after - tag - 1)
            }
            [first, ..] if is_space(*first) || *first == b'>' || *first == b'<' => {
                return Split::GiveUp;
            }
            _ => {
                let Some((len, empty)) = start_tag(rest) else {
                    return Split::Cut;
                };
                // The name runs to white space or the tag's end (`<a/b>` is named `a/b`). Its
                // first byte is compared first: most tags are named otherwise, and a call to
                // compare the slices would cost more than that one byte.
                let named = name.first().is_none_or(|b| rest.first() == Some(b))
                    && rest.starts_with(name)
                    && rest
                        .get(name.len())
                        .is_none_or(|b| is_space(*b) || *b == b'>');
                if !empty && named {
                    depth += 1;
                }
                Some(len)
            }
        };
        let Some(len) = skipped else {
            return Split::Cut;
        };
        at = tag + 1 + len;
    }
}

/// The length of markup starting at `rest` (just after its `<`) up to and including `close`,
/// searched for from `from`; `None` if `rest` ends first.
fn past(rest: &[u8], from: usize, close: &[u8]) -> Option<usize> {
    let found = memmem::find(&rest[from..], close)?;
    Some(from + found + close.len())
}

/// The length of a start tag whose `<` came just before `rest`, to its `>` (a `>` in a
/// quoted attribute value does not end it), and whether it is an empty-element tag; `None`
/// if `rest` ends first.
fn start_tag(rest: &[u8]) -> Option<(usize, bool)> {
    let mut quote = None;
    for (i, &b) in rest.iter().enumerate() {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None if b == b'>' => return Some((i + 1, i > 0 && rest[i - 1] == b'/')),
            None => {}
        }
    }
    None
}

/// XML white space.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

#[cfg(test)]
mod tests;
