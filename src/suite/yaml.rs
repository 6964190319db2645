//! A small YAML node model that carries source positions.
//!
//! The loaders need two things a plain YAML value does not give: the position of every node (so
//! each error can point at the exact key or value, with a miette snippet) and a stable, tiny API
//! that does not leak the YAML library's types. Everything about saphyr stays in this file, so
//! switching parsers later touches nothing else.
//!
//! Scalars are resolved with the YAML 1.2 core schema (saphyr's), which is close enough to what
//! PyYAML (used by OMV) produces for the files that exist: in particular `1e-3` is a number here
//! while PyYAML reads it as a string, which is the lenient direction (OMV runs `float()` on it
//! anyway). Positions are 1-based lines and columns, plus a byte offset for miette spans.

use std::fmt;

use saphyr::{LoadableYamlNode, MarkedYamlOwned, ScalarOwned, YamlDataOwned};

/// One YAML node and where it starts in the source.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// Byte offset of the node's first character in the source (for miette spans).
    pub offset: usize,
    /// Byte length of the node's text when known (0 otherwise, e.g. for an empty value).
    pub len: usize,
    /// The value.
    pub kind: NodeKind,
}

/// The value of a node. Mappings keep the file's order, because messages and the order of
/// experiments and observables in reports follow the file.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// `null`, `~`, or an empty value (`key:` with nothing after it).
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer scalar (`3`, `-1`).
    Int(i64),
    /// A floating-point scalar (`0.5`, `1e-3`, `.inf`).
    Float(f64),
    /// Any other scalar, quoted or not (`spike times`, `-65 mV`, `'1e-3'`).
    Str(String),
    /// A list, in file order.
    Seq(Vec<Node>),
    /// A mapping's (key, value) pairs, in file order; keys are nodes too, for their positions.
    Map(Vec<(Node, Node)>),
}

/// A YAML syntax error, with the position the parser stopped at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// Byte offset into the source.
    pub offset: usize,
    /// The parser's description of the problem.
    pub message: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

/// Parses the first document of `source`; an empty document (or a file holding only comments)
/// is [`NodeKind::Null`], as PyYAML's `safe_load` returns `None` for it.
pub fn parse(source: &str) -> Result<Node, SyntaxError> {
    let index = LineIndex::new(source);
    let documents = MarkedYamlOwned::load_from_str(source).map_err(|e| {
        let marker = e.marker();
        let (line, column, offset) = index.position(marker.line(), marker.col());
        SyntaxError {
            line,
            column,
            offset,
            message: e.info().to_string(),
        }
    })?;
    match documents.into_iter().next() {
        Some(document) => Ok(convert(&index, document)),
        None => Ok(Node {
            line: 1,
            column: 1,
            offset: 0,
            len: 0,
            kind: NodeKind::Null,
        }),
    }
}

/// Maps saphyr's (line, character column) markers to byte offsets. saphyr counts characters,
/// miette wants bytes, and going through the line start keeps this exact for non-ASCII text.
struct LineIndex<'a> {
    source: &'a str,
    /// Byte offset of the start of each line (index 0 = line 1).
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    fn new(source: &'a str) -> Self {
        let mut starts = vec![0];
        for (i, b) in source.bytes().enumerate() {
            if b == b'\n' {
                starts.push(i + 1);
            }
        }
        LineIndex { source, starts }
    }

    /// (1-based line, 1-based column, byte offset) for saphyr's 1-based line, 0-based column.
    fn position(&self, line: usize, col: usize) -> (usize, usize, usize) {
        let line = line.max(1);
        let Some(&start) = self.starts.get(line - 1) else {
            // Past the end (e.g. an error at EOF): clamp to the end of the source.
            let last = self.starts.len();
            let start = self.starts.last().copied().unwrap_or(0);
            let col = self.source[start..].chars().count();
            return (last, col + 1, self.source.len());
        };
        let rest = &self.source[start..];
        let offset = rest
            .char_indices()
            .nth(col)
            .map_or(self.source.len(), |(i, _)| start + i);
        (line, col + 1, offset)
    }
}

fn convert(index: &LineIndex<'_>, node: MarkedYamlOwned) -> Node {
    let (line, column, offset) = index.position(node.span.start.line(), node.span.start.col());
    let (_, _, end) = index.position(node.span.end.line(), node.span.end.col());
    let len = end.saturating_sub(offset);
    let kind = match node.data {
        YamlDataOwned::Value(scalar) => scalar_kind(scalar),
        YamlDataOwned::Representation(text, style, tag) => {
            let tag = tag.map(std::borrow::Cow::Owned);
            match ScalarOwned::parse_from_cow_and_metadata(text.clone().into(), style, tag.as_ref())
            {
                Some(scalar) => scalar_kind(scalar),
                None => NodeKind::Str(text),
            }
        }
        YamlDataOwned::Sequence(items) => {
            NodeKind::Seq(items.into_iter().map(|n| convert(index, n)).collect())
        }
        YamlDataOwned::Mapping(entries) => NodeKind::Map(
            entries
                .into_iter()
                .map(|(k, v)| (convert(index, k), convert(index, v)))
                .collect(),
        ),
        // A tag OMV files never use; keep the tagged value, whose position is more precise.
        YamlDataOwned::Tagged(_, inner) => return convert(index, *inner),
        // Aliases are resolved by the loader; a leftover alias or an unparsable tagged scalar
        // has no value we could use.
        YamlDataOwned::Alias(_) | YamlDataOwned::BadValue => NodeKind::Null,
    };
    Node {
        line,
        column,
        offset,
        len,
        kind,
    }
}

fn scalar_kind(scalar: ScalarOwned) -> NodeKind {
    match scalar {
        ScalarOwned::Null => NodeKind::Null,
        ScalarOwned::Boolean(b) => NodeKind::Bool(b),
        ScalarOwned::Integer(i) => NodeKind::Int(i),
        ScalarOwned::FloatingPoint(f) => NodeKind::Float(f.into_inner()),
        ScalarOwned::String(s) => NodeKind::Str(s),
    }
}

impl Node {
    /// The type as users think of it, for messages like "expected a number, found a string".
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            NodeKind::Null => "nothing (null)",
            NodeKind::Bool(_) => "a boolean",
            NodeKind::Int(_) => "an integer",
            NodeKind::Float(_) => "a number",
            NodeKind::Str(_) => "a string",
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) => "a mapping",
        }
    }

    /// Whether the node is null (also an empty value or an empty document).
    pub fn is_null(&self) -> bool {
        matches!(self.kind, NodeKind::Null)
    }

    /// The text of a string scalar; `None` for numbers, booleans and collections.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A number; integers are accepted where floats are expected, as in Python.
    pub fn as_f64(&self) -> Option<f64> {
        match self.kind {
            NodeKind::Int(i) => Some(i as f64),
            NodeKind::Float(f) => Some(f),
            _ => None,
        }
    }

    /// Like [`Node::as_f64`], but also accepts a string Python's `float()` would parse
    /// (`'1e-3'`, `inf`), for the values OMV passes through `float()` itself.
    pub fn as_f64_lenient(&self) -> Option<f64> {
        if let Some(f) = self.as_f64() {
            return Some(f);
        }
        let text = self.as_str()?.trim();
        let lower = text.to_ascii_lowercase();
        let unsigned = lower.trim_start_matches(['+', '-']);
        match unsigned {
            "inf" | "infinity" | "nan" => text.parse::<f64>().ok(),
            _ if unsigned.bytes().any(|b| b.is_ascii_digit()) => text.parse::<f64>().ok(),
            _ => None,
        }
    }

    /// An integer; `None` for a float, even a whole one (`2.0`), and for a string.
    pub fn as_i64(&self) -> Option<i64> {
        match self.kind {
            NodeKind::Int(i) => Some(i),
            _ => None,
        }
    }

    /// The items of a list.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The (key, value) entries of a mapping, in file order.
    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.kind {
            NodeKind::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The text of a scalar used as a key or name. Python compares keys by value, so an
    /// experiment called `1` in the `.omt` matches `1` in the `.mep`; rendering scalars as text
    /// gives the same matching without a special case.
    pub fn key_text(&self) -> Option<String> {
        match &self.kind {
            NodeKind::Str(s) => Some(s.clone()),
            NodeKind::Int(i) => Some(i.to_string()),
            NodeKind::Float(f) => Some(f.to_string()),
            NodeKind::Bool(b) => Some(if *b { "True" } else { "False" }.to_string()),
            NodeKind::Null => Some("None".to_string()),
            NodeKind::Seq(_) | NodeKind::Map(_) => None,
        }
    }

    /// The entry (key node, value node) for `key` in a mapping.
    pub fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.key_text().as_deref() == Some(key))
            .map(|(k, v)| (k, v))
    }

    /// The value for `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_scalars_with_positions() {
        let node = parse("a: 1\nb:\n  - 2.5\n  - x\nc: 1e-3\nd:\n").expect("valid");
        let (k, v) = node.entry("a").expect("a");
        assert_eq!((k.line, k.column, k.offset), (1, 1, 0));
        assert_eq!((v.line, v.column, v.offset), (1, 4, 3));
        assert_eq!(v.as_f64(), Some(1.0));
        let b = node.get("b").and_then(Node::as_seq).expect("list");
        assert_eq!(b[0].as_f64(), Some(2.5));
        assert_eq!((b[1].line, b[1].column), (4, 5));
        assert_eq!(b[1].as_str(), Some("x"));
        assert_eq!(node.get("c").and_then(Node::as_f64), Some(0.001));
        assert!(node.get("d").is_some_and(Node::is_null));
        let keys: Vec<_> = node
            .as_map()
            .expect("map")
            .iter()
            .filter_map(|(k, _)| k.key_text())
            .collect();
        assert_eq!(keys, ["a", "b", "c", "d"]);
    }

    #[test]
    fn offsets_are_bytes_after_non_ascii() {
        let source = "é: ü\nnext: 5\n";
        let node = parse(source).expect("valid");
        let (k, v) = node.entry("next").expect("next");
        assert_eq!((k.line, k.column), (2, 1));
        assert_eq!(&source[k.offset..k.offset + 4], "next");
        assert_eq!(&source[v.offset..v.offset + 1], "5");
        let u = node.get("é").expect("é");
        assert_eq!(u.column, 4);
        assert_eq!(&source[u.offset..], "ü\nnext: 5\n");
    }

    #[test]
    fn empty_document_is_null() {
        assert!(parse("").expect("valid").is_null());
        assert!(parse("# only a comment\n").expect("valid").is_null());
    }

    #[test]
    fn syntax_error_has_line_and_column() {
        let err = parse("a: 1\nb: [1, 2\nc: 3\n").expect_err("unclosed list");
        assert!(err.line >= 2, "{err:?}");
        assert!(err.column >= 1);
        let err = parse("a: 1\n  b: 2\n").expect_err("bad indentation");
        assert_eq!((err.line, err.column), (2, 4), "{err:?}");
    }

    #[test]
    fn lenient_numbers() {
        let node = parse("a: '1e-3'\nb: inf\nc: abc\nd: .inf\n").expect("valid");
        assert_eq!(node.get("a").and_then(Node::as_f64), None);
        assert_eq!(node.get("a").and_then(Node::as_f64_lenient), Some(0.001));
        assert_eq!(
            node.get("b").and_then(Node::as_f64_lenient),
            Some(f64::INFINITY)
        );
        assert_eq!(node.get("c").and_then(Node::as_f64_lenient), None);
        assert_eq!(node.get("d").and_then(Node::as_f64), Some(f64::INFINITY));
    }
}
