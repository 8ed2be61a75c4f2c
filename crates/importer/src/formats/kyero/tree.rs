//! One `<property>` element as a small tree, built from XML events, so its children can be
//! read in any order. Only one property is held at a time, and at most
//! [`MAX_RECORD_BYTES`](crate::formats::MAX_RECORD_BYTES) of it; once a property fails (too
//! large, a text too long, an undefined entity) only its element names and its `id` are kept.

use crate::formats::MAX_RECORD_BYTES;

/// What a node costs besides its name and text, for the size limit.
const NODE_OVERHEAD: usize = 64;

/// An element: lower-case local name, `id` attribute, text (all text and CDATA directly
/// inside it, entities resolved) and child elements in document order.
#[derive(Debug, Default)]
pub(super) struct Node {
    pub name: String,
    pub id: Option<String>,
    pub text: String,
    pub children: Vec<Node>,
}

impl Node {
    /// The first child named `name`.
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The children named `name`, in document order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The text of this node, trimmed, or `None` when empty.
    pub fn value(&self) -> Option<&str> {
        Some(self.text.trim()).filter(|t| !t.is_empty())
    }

    /// The trimmed, non-empty text of the first child named `name`.
    pub fn value_of(&self, name: &str) -> Option<&str> {
        self.child(name).and_then(Node::value)
    }
}

/// The longest `id` text kept once a property has failed (for its error).
const MAX_ID_BYTES: usize = 1024;

/// Builds the tree of one property from its events.
#[derive(Debug)]
pub(super) struct Builder {
    /// The open elements: the property first, the innermost last.
    stack: Vec<Node>,
    size: usize,
    /// Why the property fails, once it does; its content is then no longer kept.
    failure: Option<String>,
    /// The property's `id`, kept as soon as it is read (even when the rest fails).
    external_id: Option<String>,
}

impl Builder {
    /// Starts a `<property>`.
    pub fn new() -> Self {
        Self {
            stack: vec![Node {
                name: "property".into(),
                ..Node::default()
            }],
            size: 0,
            failure: None,
            external_id: None,
        }
    }

    /// An element opens inside the property.
    pub fn open(&mut self, name: String, id: Option<String>) {
        let id = if self.grow(name.len() + NODE_OVERHEAD) {
            id
        } else {
            None
        };
        // The name is kept even after a failure: it keeps the nesting right and names the
        // element in later errors.
        self.stack.push(Node {
            name,
            id,
            ..Node::default()
        });
    }

    /// Text, CDATA or a resolved entity inside the innermost open element.
    pub fn text(&mut self, text: &str) {
        let reading_id = self.stack.len() == 2;
        let kept = self.grow(text.len());
        if let Some(node) = self.stack.last_mut() {
            let id_still_wanted = reading_id
                && node.name == "id"
                && node.text.len().saturating_add(text.len()) <= MAX_ID_BYTES;
            if kept || id_still_wanted {
                node.text.push_str(text);
            }
        }
    }

    /// The innermost element inside the property closes.
    pub fn close(&mut self) {
        if self.stack.len() < 2 {
            return;
        }
        let Some(node) = self.stack.pop() else { return };
        if self.stack.len() == 1 && node.name == "id" && self.external_id.is_none() {
            self.external_id = node.value().map(str::to_owned);
        }
        if self.failure.is_none()
            && let Some(parent) = self.stack.last_mut()
        {
            parent.children.push(node);
        }
    }

    /// The open elements inside the property, as `desc/en` (`property` at its top level).
    pub fn path(&self) -> String {
        let names: Vec<&str> = self.stack[1..].iter().map(|n| n.name.as_str()).collect();
        if names.is_empty() {
            "property".into()
        } else {
            names.join("/")
        }
    }

    /// The property fails for `reason` (the first reason is kept); what was read of it is
    /// freed.
    pub fn fail(&mut self, reason: String) {
        if self.failure.is_some() {
            return;
        }
        self.failure = Some(reason);
        for node in &mut self.stack {
            node.children = Vec::new();
            if node.name != "id" {
                node.text = String::new();
            }
        }
    }

    /// The property's id, when read.
    pub fn external_id(&self) -> Option<&str> {
        self.external_id.as_deref()
    }

    /// The finished property, or why it failed.
    pub fn finish(mut self) -> Result<Node, String> {
        if let Some(reason) = self.failure.take() {
            return Err(reason);
        }
        while self.stack.len() > 1 {
            self.close();
        }
        self.stack.pop().ok_or_else(|| "no property".to_owned())
    }

    /// Counts `bytes` more; false once the property has failed (it fails here when it grows
    /// over the limit).
    fn grow(&mut self, bytes: usize) -> bool {
        self.size = self.size.saturating_add(bytes);
        if self.size > MAX_RECORD_BYTES {
            self.fail(format!("larger than {} MiB", MAX_RECORD_BYTES >> 20));
        }
        self.failure.is_none()
    }
}
