//! Turns the HTML that partners put into descriptions into plain text: tags removed (with the
//! content of `script` and `style`), HTML entities decoded, whitespace collapsed.
//!
//! Line breaks survive where a reader would see them: after `<br>` and around block elements
//! (`p`, `div`, `li`, headings…), or — in text without any markup — where the text has them.
//! Each line has its whitespace collapsed to single spaces; empty lines are dropped.

/// Elements that start a new line when rendered.
const BLOCK: &[&str] = &[
    "br",
    "p",
    "div",
    "li",
    "ul",
    "ol",
    "dd",
    "dt",
    "dl",
    "tr",
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
    let last_comment_end = input.rfind("-->");
    let markup = |i| markup_at(input, i, last_comment_end);
    let has_markup = input.match_indices('<').any(|(i, _)| markup(i).is_some());
    let mut out = String::with_capacity(input.len());
    let mut i = 0;
    while let Some(c) = input[i..].chars().next() {
        if c == '<'
            && let Some(end) = markup(i)
        {
            let tag = &input[i + 1..end];
            let name = tag_name(tag);
            i = end + 1;
            if BLOCK.contains(&name.as_str()) {
                out.push('\n');
            } else if (name == "script" || name == "style") && !tag.starts_with('/') {
                i = skip_past_closing(input, i, &name);
            } else {
                // Inline elements separate nothing; comments and declarations vanish.
            }
            continue;
        }
        out.push(if c == '\n' && has_markup { ' ' } else { c });
        i += c.len_utf8();
    }
    let decoded = html_escape::decode_html_entities(&out);
    let lines: Vec<String> = decoded
        .split('\n')
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|line| !line.is_empty())
        .collect();
    lines.join("\n")
}

/// The index of the `>` that ends markup starting with the `<` at `i`, if `i` starts markup:
/// a `<` followed by a letter, `/` or `!`, and closed by a `>` before any other `<`. Comments
/// end at `-->` (`last_comment_end` is where the last `-->` of the input is, so an unclosed
/// comment costs nothing). Other markup is scanned only up to the next `<`, so stripping
/// stays linear in the input's length.
fn markup_at(input: &str, i: usize, last_comment_end: Option<usize>) -> Option<usize> {
    let rest = input.get(i..)?;
    let mut chars = rest.chars();
    if chars.next() != Some('<') {
        return None;
    }
    let next = chars.next()?;
    if !(next.is_ascii_alphabetic() || next == '/' || next == '!') {
        return None;
    }
    if rest.starts_with("<!--") && last_comment_end.is_some_and(|end| end > i) {
        return rest.find("-->").map(|at| i + at + 2);
    }
    let end = rest[1..].find(['<', '>'])? + 1;
    (rest.as_bytes()[end] == b'>').then_some(i + end)
}

/// The lower-case element name of a tag's inside (`/P class=x` → `p`).
fn tag_name(tag: &str) -> String {
    tag.trim_start_matches('/')
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase()
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
            "Villa with sea views & pool.\nPrice: 250.000€"
        );
    }

    #[test]
    fn keeps_line_breaks_of_plain_text_and_br() {
        assert_eq!(
            plain_text("First line\n\n  second   line "),
            "First line\nsecond line"
        );
        assert_eq!(plain_text("a<br/>b<BR>c"), "a\nb\nc");
    }

    #[test]
    fn drops_scripts_styles_and_comments_but_keeps_lone_angles() {
        let html =
            "<style>p{x:1}</style>A<!-- hidden <b> -->B<script>alert('<p>')</script> 3 < 5 > 2";
        assert_eq!(plain_text(html), "AB 3 < 5 > 2");
        assert_eq!(plain_text("<unclosed"), "<unclosed");
        assert_eq!(plain_text("x <b"), "x <b");
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
