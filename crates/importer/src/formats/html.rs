//! Turns the HTML that partners put into descriptions into plain text: tags removed (with the
//! content of `script` and `style`), HTML entities decoded, whitespace collapsed.
//!
//! Line breaks survive where a reader would see them: a line break at `<br>` and list items or
//! table rows, a paragraph break (an empty line) around paragraphs, headings, lists and other
//! blocks, or — in text without any markup — where the text has them (one line feed, or an
//! empty line between paragraphs). Each line has its whitespace collapsed to single spaces;
//! several empty lines make one.

use std::borrow::Cow;
use std::cell::OnceCell;

/// Elements that start a new line when rendered (at their start tag).
const LINE: &[&str] = &["br", "li", "dd", "dt", "tr"];

/// Elements rendered as paragraphs: an empty line before and after them.
const BLOCK: &[&str] = &[
    "p",
    "div",
    "ul",
    "ol",
    "dl",
    "table",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "pre",
    "blockquote",
    "section",
    "article",
];

/// The plain text of an HTML fragment (or of plain text, which passes through collapsed).
pub(crate) fn plain_text(input: &str) -> String {
    let stripped = strip_tags(input);
    let decoded = html_escape::decode_html_entities(&stripped);
    let mut out = String::with_capacity(decoded.len());
    collapse_into(&mut out, &decoded, Lines::Kept);
    out
}

/// What [`collapse_into`] does with line feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lines {
    /// A run of whitespace holding a line feed becomes one line feed.
    Kept,
    /// Line feeds are whitespace like any other.
    Joined,
}

/// Appends the words of `text` to `out`, one space between words (or, with [`Lines::Kept`],
/// one line feed where the whitespace between them holds one, an empty line where it holds
/// more), none before the first or after the last. Whitespace is what [`char::is_whitespace`]
/// says, as for `split_whitespace`.
pub(crate) fn collapse_into(out: &mut String, text: &str, lines: Lines) {
    let bytes = text.as_bytes();
    // The text from `copy_from` to the end of the last word is written as it stands once a
    // run of whitespace differs from what replaces it (or the text ends): most runs are one
    // space already, so a text is copied in a few long pieces rather than word by word.
    let mut copy_from: Option<usize> = None;
    let mut word_end = 0;
    // Line feeds in the whitespace since the last word (two or more: a paragraph break).
    let mut line_breaks = 0u8;
    let mut i = 0;
    while i < bytes.len() {
        let space = whitespace_len(text, i);
        if space == 0 {
            match copy_from {
                // A word goes on past a byte that could have started whitespace.
                Some(_) if i == word_end => {}
                Some(from) => {
                    let separator = separator(line_breaks);
                    if !is_run(&bytes[word_end..i], separator) {
                        out.push_str(&text[from..word_end]);
                        out.push_str(separator);
                        copy_from = Some(i);
                    }
                }
                None => copy_from = Some(i),
            }
            line_breaks = 0;
            i += 1;
            // The rest of the word: printable ASCII and bytes that cannot start whitespace.
            i += bytes[i..]
                .iter()
                .position(|&b| may_start_whitespace(b))
                .unwrap_or(bytes.len() - i);
            word_end = i;
            continue;
        }
        if bytes[i] == b'\n' && lines == Lines::Kept {
            line_breaks = line_breaks.saturating_add(1);
        }
        i += space;
    }
    if let Some(from) = copy_from {
        out.push_str(&text[from..word_end]);
    }
}

/// Whether a run of whitespace is `separator` already (compared byte by byte: the run is
/// usually one byte, which a call to compare slices would cost more than).
fn is_run(run: &[u8], separator: &str) -> bool {
    run.len() == separator.len() && run.iter().zip(separator.bytes()).all(|(a, b)| *a == b)
}

/// What goes between two words with `line_breaks` line feeds between them.
fn separator(line_breaks: u8) -> &'static str {
    match line_breaks {
        0 => " ",
        1 => "\n",
        _ => "\n\n",
    }
}

/// Whether `b` is the first byte of a whitespace character or may be one.
fn may_start_whitespace(b: u8) -> bool {
    MAY_START_WHITESPACE[usize::from(b)]
}

/// [`may_start_whitespace`] of each byte: one load per byte in the words' loop.
const MAY_START_WHITESPACE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = b <= 0x20 || matches!(b, 0xC2 | 0xE1 | 0xE2 | 0xE3);
        b += 1;
    }
    table
};

/// The length of the whitespace character starting at byte `i` of `text`, or 0. Only a
/// character's first byte can start whitespace, so any byte index may be asked.
fn whitespace_len(text: &str, i: usize) -> usize {
    match text.as_bytes()[i] {
        b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ' => 1,
        // The first bytes of U+0085, U+00A0, U+1680, U+2000–U+205F and U+3000.
        0xC2 | 0xE1 | 0xE2 | 0xE3 => text
            .get(i..)
            .and_then(|rest| rest.chars().next())
            .filter(|c| c.is_whitespace())
            .map_or(0, char::len_utf8),
        _ => 0,
    }
}

/// The input with tags removed (the content of `script` and `style` too), a line feed where a
/// line starts, two around each block element, and — when there is markup — the input's own
/// line feeds as spaces.
fn strip_tags(input: &str) -> Cow<'_, str> {
    // Where the last `-->` is, looked for at the first comment (most texts have none).
    let last_comment_end = OnceCell::new();
    let markup = |i| markup_at(input, i, &last_comment_end);
    // The next markup at or after `from`, as the indexes of its `<` and `>`.
    let next_markup = |mut from: usize| {
        while let Some(at) = memchr::memchr(b'<', input.as_bytes().get(from..)?) {
            let i = from + at;
            if let Some(end) = markup(i) {
                return Some((i, end));
            }
            from = i + 1;
        }
        None
    };
    let Some(mut found) = next_markup(0) else {
        return Cow::Borrowed(input);
    };
    let mut out = String::with_capacity(input.len());
    let mut text_from = 0;
    loop {
        let (i, end) = found;
        push_spaced(&mut out, &input[text_from..i]);
        let tag = &input[i + 1..end];
        let name = tag_name(tag);
        text_from = end + 1;
        if BLOCK.iter().any(|b| b.eq_ignore_ascii_case(name)) {
            out.push_str("\n\n");
        } else if LINE.iter().any(|b| b.eq_ignore_ascii_case(name)) {
            if !tag.starts_with('/') {
                out.push('\n');
            }
        } else if (name.eq_ignore_ascii_case("script") || name.eq_ignore_ascii_case("style"))
            && !tag.starts_with('/')
        {
            text_from = skip_past_closing(input, text_from, name);
        } else {
            // Inline elements separate nothing; comments and declarations vanish.
        }
        match next_markup(text_from) {
            Some(n) => found = n,
            None => break,
        }
    }
    push_spaced(&mut out, &input[text_from..]);
    Cow::Owned(out)
}

/// Appends `text` with its line feeds as spaces.
fn push_spaced(out: &mut String, text: &str) {
    let mut from = 0;
    for at in memchr::memchr_iter(b'\n', text.as_bytes()) {
        out.push_str(&text[from..at]);
        out.push(' ');
        from = at + 1;
    }
    out.push_str(&text[from..]);
}

/// The index of the `>` that ends markup starting with the `<` at `i`, if `i` starts markup:
/// a `<` followed by a letter, `/` or `!`, and closed by a `>` before any other `<`. Comments
/// end at `-->` (`last_comment_end` is where the last `-->` of the input is, looked for once,
/// so an unclosed comment costs nothing). Other markup is scanned only up to the next `<`, so
/// stripping stays linear in the input's length.
fn markup_at(input: &str, i: usize, last_comment_end: &OnceCell<Option<usize>>) -> Option<usize> {
    let rest = input.get(i..)?;
    let mut chars = rest.chars();
    if chars.next() != Some('<') {
        return None;
    }
    let next = chars.next()?;
    if !(next.is_ascii_alphabetic() || next == '/' || next == '!') {
        return None;
    }
    let last_comment_end =
        || *last_comment_end.get_or_init(|| memchr::memmem::rfind(input.as_bytes(), b"-->"));
    if rest.starts_with("<!--") && last_comment_end().is_some_and(|end| end > i) {
        return rest.find("-->").map(|at| i + at + 2);
    }
    let end = memchr::memchr2(b'<', b'>', &rest.as_bytes()[1..])? + 1;
    (rest.as_bytes()[end] == b'>').then_some(i + end)
}

/// The element name of a tag's inside (`/P class=x` → `P`), in its own case.
fn tag_name(tag: &str) -> &str {
    let name = tag.trim_start_matches('/');
    let end = name
        .bytes()
        .position(|b| !b.is_ascii_alphanumeric())
        .unwrap_or(name.len());
    &name[..end]
}

/// The index just past `</name …>` at or after `from`, or the end of `input`.
fn skip_past_closing(input: &str, from: usize, name: &str) -> usize {
    let closing = format!("</{name}");
    let found = input[from..].match_indices('<').find(|(at, _)| {
        input[from + at..]
            .get(..closing.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(&closing))
    });
    match found {
        Some((at, _)) => {
            let tag_start = from + at;
            input[tag_start..]
                .find('>')
                .map_or(input.len(), |end| tag_start + end + 1)
        }
        None => input.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::plain_text;

    #[test]
    fn strips_tags_and_decodes_entities() {
        let html =
            "<p>Villa&nbsp;with  <b>sea</b>\n views &amp; pool.</p><p>Price: 250.000&euro;</p>";
        assert_eq!(
            plain_text(html),
            "Villa with sea views & pool.\n\nPrice: 250.000€"
        );
    }

    #[test]
    fn keeps_line_breaks_of_plain_text_and_br() {
        assert_eq!(
            plain_text("First line\n  second   line "),
            "First line\nsecond line"
        );
        assert_eq!(
            plain_text("First paragraph\r\n \r\n\n\nsecond"),
            "First paragraph\n\nsecond"
        );
        assert_eq!(plain_text("a<br/>b<BR>c"), "a\nb\nc");
        assert_eq!(
            plain_text("<h2>Villa</h2><ul><li>Pool</li><li>Garden</li></ul><p>Quiet.</p>"),
            "Villa\n\nPool\nGarden\n\nQuiet."
        );
    }

    #[test]
    fn drops_scripts_styles_and_comments_but_keeps_lone_angles() {
        let html =
            "<style>p{x:1}</style>A<!-- hidden <b> -->B<script>alert('<p>')</script> 3 < 5 > 2";
        assert_eq!(plain_text(html), "AB 3 < 5 > 2");
        assert_eq!(plain_text("<unclosed"), "<unclosed");
        assert_eq!(plain_text("x <b"), "x <b");
    }

    /// The clean-up as first written (several passes, a string per line and word), kept to
    /// pin the single-pass one to it.
    fn reference(input: &str) -> String {
        let stripped = super::strip_tags(input);
        let decoded = html_escape::decode_html_entities(&stripped);
        let mut out = String::new();
        let mut blank_before = false;
        for line in decoded.split('\n') {
            let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
            if line.is_empty() {
                blank_before = !out.is_empty();
                continue;
            }
            if !out.is_empty() {
                out.push_str(if blank_before { "\n\n" } else { "\n" });
            }
            out.push_str(&line);
            blank_before = false;
        }
        out
    }

    #[test]
    fn collapses_whitespace_as_split_whitespace_does() {
        let pieces = [
            "a", "é", " ", "  ", "\n", "\r\n", "\t", "\u{b}", "\u{c}", "\u{85}", "\u{a0}",
            "\u{1680}", "\u{2003}", "\u{2028}", "\u{202f}", "\u{3000}", "\u{2010}", "\u{e3}x",
            "&nbsp;", "&#10;", "<br>", "<b>", "<p>", "x\u{1c}", "Ω", "€",
        ];
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        for round in 0..3000 {
            let mut text = String::new();
            for _ in 0..(seed % 24) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                text.push_str(pieces[(seed % pieces.len() as u64) as usize]);
            }
            assert_eq!(
                plain_text(&text),
                reference(&text),
                "round {round}: {text:?}"
            );
            let mut joined = String::new();
            super::collapse_into(&mut joined, &text, super::Lines::Joined);
            let words: Vec<&str> = text.split_whitespace().collect();
            assert_eq!(joined, words.join(" "), "round {round}: {text:?}");
        }
    }

    #[test]
    fn never_panics_on_odd_text() {
        for text in [
            "<",
            "<!--",
            "</",
            "<script>",
            "&",
            "&#xFFFFFFFF;",
            "é<é>é",
            "<p>\u{0}",
        ] {
            let _ = plain_text(text);
        }
    }
}
