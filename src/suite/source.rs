//! Reading a YAML test file and reporting problems in it: shared by the OMV loader and the
//! native suite loader, so both point at exact positions and word their messages the same way.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::yaml::{self, Node};
use super::{LoadError, Location};
use crate::suggest::nearest;

/// A loaded source file: its absolute path and text, shared by all the errors pointing into it.
pub(crate) struct Source {
    pub path: PathBuf,
    pub text: Arc<str>,
    /// Where the paths this file names may lead (anywhere unless the loader says otherwise).
    pub boundary: crate::suite::boundary::Boundary,
}

impl Source {
    /// `path` (written as `written` at `node`, for `what`) when it stays inside the file's
    /// boundary; otherwise `None`, with the error at `node`.
    pub fn within(
        &self,
        what: &str,
        written: &str,
        path: PathBuf,
        node: &Node,
        errors: &mut Vec<LoadError>,
    ) -> Option<PathBuf> {
        match self.boundary.check(what, written, &path) {
            Ok(()) => Some(path),
            Err(message) => {
                errors.push(self.error(node, message));
                None
            }
        }
    }

    pub fn location(&self, node: &Node) -> Location {
        Location {
            file: self.path.clone(),
            line: node.line,
            column: node.column,
        }
    }

    /// An error at `node`, underlining it (only its first line, so a mapping does not swallow
    /// the whole snippet).
    pub fn error(&self, node: &Node, message: impl Into<String>) -> LoadError {
        let start = node.offset.min(self.text.len());
        let line_end = self.text[start..]
            .find('\n')
            .map_or(self.text.len(), |i| start + i);
        let len = node.len.min(line_end - start);
        LoadError::new(self.location(node), message).with_source(self.text.clone(), start, len)
    }

    /// An error about the file as a whole, at its start.
    pub fn error_at_start(&self, message: impl Into<String>) -> LoadError {
        let location = Location {
            file: self.path.clone(),
            line: 1,
            column: 1,
        };
        LoadError::new(location, message).with_source(self.text.clone(), 0, 0)
    }

    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("/"))
    }
}

/// Reads and parses a YAML file; read, encoding and syntax problems become errors at 1:1 (or at
/// the syntax error's position).
pub(crate) fn read_yaml(path: &Path, errors: &mut Vec<LoadError>) -> Option<(Source, Node)> {
    let at_start = |message: String| {
        LoadError::new(
            Location {
                file: path.to_path_buf(),
                line: 1,
                column: 1,
            },
            message,
        )
    };
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => {
            errors.push(at_start(format!("cannot read file: {e}")));
            return None;
        }
    };
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            errors.push(at_start(format!(
                "file is not valid UTF-8 (invalid byte sequence at byte {})",
                e.utf8_error().valid_up_to()
            )));
            return None;
        }
    };
    let source = Source {
        path: path.to_path_buf(),
        text: Arc::from(text),
        boundary: crate::suite::boundary::Boundary::anywhere(),
    };
    match yaml::parse(&source.text) {
        Ok(node) => Some((source, node)),
        Err(e) => {
            let location = Location {
                file: path.to_path_buf(),
                line: e.line,
                column: e.column,
            };
            let len = usize::from(e.offset < source.text.len());
            errors.push(
                LoadError::new(location, format!("invalid YAML: {}", e.message)).with_source(
                    source.text.clone(),
                    e.offset,
                    len,
                ),
            );
            None
        }
    }
}

/// Reports keys of `entries` that are not in `known`, suggesting the nearest known one.
pub(crate) fn check_keys(
    src: &Source,
    entries: &[(Node, Node)],
    known: &[&str],
    context: &str,
    errors: &mut Vec<LoadError>,
) {
    for (key, _) in entries {
        let text = key.key_text().unwrap_or_default();
        if known.contains(&text.as_str()) {
            continue;
        }
        let error = src.error(key, format!("unknown key `{text}` {context}"));
        errors.push(match nearest(&text, known) {
            Some(near) => error.with_help(format!("did you mean `{near}`?")),
            None => error.with_help(format!("known keys: {}", quoted_list(known))),
        });
    }
}

pub(crate) fn quoted_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Looks up a required key; reports its absence at `at` (the enclosing key or mapping).
pub(crate) fn required<'a>(
    src: &Source,
    map: &'a Node,
    key: &str,
    at: &Node,
    context: &str,
    errors: &mut Vec<LoadError>,
) -> Option<&'a Node> {
    let value = map.get(key);
    if value.is_none() {
        errors.push(src.error(at, format!("missing required key `{key}` {context}")));
    }
    value
}

pub(crate) fn expect_str<'a>(
    src: &Source,
    node: &'a Node,
    what: &str,
    errors: &mut Vec<LoadError>,
) -> Option<&'a str> {
    let text = node.as_str();
    if text.is_none() {
        errors.push(src.error(
            node,
            format!("`{what}` must be a string, found {}", node.type_name()),
        ));
    }
    text
}

pub(crate) fn expect_map<'a>(
    src: &Source,
    node: &'a Node,
    what: &str,
    errors: &mut Vec<LoadError>,
) -> Option<&'a [(Node, Node)]> {
    let entries = node.as_map();
    if entries.is_none() {
        errors.push(src.error(
            node,
            format!("`{what}` must be a mapping, found {}", node.type_name()),
        ));
    }
    entries
}

/// A number; `lenient` also accepts numeric strings, for values OMV passes through `float()`.
pub(crate) fn expect_number(
    src: &Source,
    node: &Node,
    what: &str,
    lenient: bool,
    errors: &mut Vec<LoadError>,
) -> Option<f64> {
    let value = if lenient {
        node.as_f64_lenient()
    } else {
        node.as_f64()
    };
    if value.is_none() {
        errors.push(src.error(
            node,
            format!("`{what}` must be a number, found {}", node.type_name()),
        ));
    }
    value
}

pub(crate) fn expect_index(
    src: &Source,
    node: &Node,
    what: &str,
    errors: &mut Vec<LoadError>,
) -> Option<usize> {
    let value = node.as_i64().and_then(|i| usize::try_from(i).ok());
    if value.is_none() {
        errors.push(src.error(
            node,
            format!(
                "`{what}` must be a non-negative integer, found {}",
                node.type_name()
            ),
        ));
    }
    value
}
