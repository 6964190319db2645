//! Reading located scalar values: typed, range-checked, with units, each problem reported at
//! the value itself (a bad unit at the unit, inside a quoted scalar).
//!
//! Every section reads its fields through these, so one message wording and one way of
//! locating errors hold for the whole format.

use super::Loader;
use crate::suite::native::Ident;
use crate::suite::source::check_keys;
use crate::suite::units::{parse_expecting, Dimension, Quantity, UnitError};
use crate::suite::yaml::{Node, NodeKind};
use crate::suite::{LoadError, Location};

/// A per-synapse or per-cell normal distribution: `{normal: {mean: …, sd: …}}`.
pub(crate) const NORMAL_KEYS: &[&str] = &["mean", "sd"];

/// A unit to show in "e.g. `10 ms`" hints for a dimension.
pub(crate) fn example_unit(dim: Dimension) -> Option<&'static str> {
    let table = [
        (Dimension::TIME, "ms"),
        (Dimension::VOLTAGE, "mV"),
        (Dimension::CURRENT, "pA"),
        (Dimension::CAPACITANCE, "pF"),
        (Dimension::CONDUCTANCE, "nS"),
        (Dimension::FREQUENCY, "Hz"),
        (Dimension::CONDUCTANCE_PER_VOLTAGE, "nS/mV"),
        (Dimension::VOLTAGE.div(Dimension::TIME), "mV/ms"),
    ];
    table.iter().find(|(d, _)| *d == dim).map(|(_, u)| *u)
}

impl<'a> Loader<'a> {
    /// A mapping whose keys are all in `known` (unknown keys reported with a suggestion).
    pub(super) fn mapping(
        &mut self,
        node: &'a Node,
        what: &str,
        known: &[&str],
    ) -> Option<&'a [(Node, Node)]> {
        let Some(entries) = node.as_map() else {
            self.error(
                node,
                format!("`{what}` must be a mapping, found {}", node.type_name()),
            );
            return None;
        };
        check_keys(
            self.src,
            entries,
            known,
            &format!("in `{what}`"),
            &mut self.errors,
        );
        Some(entries)
    }

    /// A sequence; anything else is reported.
    pub(super) fn list(&mut self, node: &'a Node, what: &str) -> Option<&'a [Node]> {
        let items = node.as_seq();
        if items.is_none() {
            self.error(
                node,
                format!("`{what}` must be a list, found {}", node.type_name()),
            );
        }
        items
    }

    /// The value of a required key, reported at `at` when missing.
    pub(super) fn required(
        &mut self,
        map: &'a Node,
        key: &str,
        at: &Node,
        what: &str,
    ) -> Option<&'a Node> {
        let value = map.get(key);
        if value.is_none() {
            self.error(at, format!("missing required key `{key}` in {what}"));
        }
        value
    }

    /// A string; anything else is reported.
    pub(super) fn string(&mut self, node: &'a Node, what: &str) -> Option<&'a str> {
        let text = node.as_str();
        if text.is_none() {
            self.error(
                node,
                format!("`{what}` must be a string, found {}", node.type_name()),
            );
        }
        text
    }

    /// One of `values`, with a suggestion otherwise.
    pub(super) fn choice(
        &mut self,
        node: &'a Node,
        what: &str,
        values: &[&'static str],
    ) -> Option<&'static str> {
        let text = self.string(node, what)?;
        let found = values.iter().find(|v| **v == text).copied();
        if found.is_none() {
            self.unknown(
                node,
                format!("unknown {what} `{}`", text.escape_debug()),
                text,
                values,
            );
        }
        found
    }

    /// An integer from `min` to `max`.
    pub(super) fn integer(&mut self, node: &Node, what: &str, min: i64, max: i64) -> Option<i64> {
        let Some(value) = node.as_i64() else {
            self.error(
                node,
                format!("`{what}` must be an integer, found {}", node.type_name()),
            );
            return None;
        };
        if value < min || value > max {
            self.error(
                node,
                format!("`{what}` must be between {min} and {max}, found {value}"),
            );
            return None;
        }
        Some(value)
    }

    /// `true` or `false`.
    pub(super) fn boolean(&mut self, node: &Node, what: &str) -> Option<bool> {
        let value = match node.kind {
            NodeKind::Bool(b) => Some(b),
            _ => None,
        };
        if value.is_none() {
            self.error(
                node,
                format!("`{what}` must be true or false, found {}", node.type_name()),
            );
        }
        value
    }

    /// A name that may appear in generated code (see [`Ident`]).
    pub(super) fn ident(&mut self, node: &Node, what: &str) -> Option<Ident> {
        // Numbers are rendered as text so that `1: {...}` gets the identifier rule's message;
        // an empty value or a boolean is not a name at all (and would read as `None`/`True`).
        let text = match &node.kind {
            NodeKind::Str(_) | NodeKind::Int(_) | NodeKind::Float(_) => node.key_text(),
            _ => None,
        };
        let Some(text) = text else {
            self.error(
                node,
                format!("expected a {what}, found {}", node.type_name()),
            );
            return None;
        };
        match Ident::new(&text) {
            Ok(ident) => Some(ident),
            Err(message) => {
                self.error(node, format!("invalid {what}: {message}"));
                None
            }
        }
    }

    /// A quantity of dimension `dim`. Plain YAML numbers are accepted only for dimensionless
    /// values; elsewhere a number without unit is reported where the unit belongs.
    pub(super) fn quantity(&mut self, node: &Node, what: &str, dim: Dimension) -> Option<Quantity> {
        let quantity = match &node.kind {
            NodeKind::Int(_) | NodeKind::Float(_) if dim == Dimension::DIMENSIONLESS => {
                node.as_f64().map(|si| Quantity { si, dim })
            }
            // A YAML number where a unit is needed: parse its source text as a quantity, so
            // the units module words the "missing unit" error, which then points just after
            // the number, where the unit belongs.
            NodeKind::Int(_) | NodeKind::Float(_) => {
                let raw = self.raw_line(node);
                let len = raw
                    .find(|c: char| c.is_whitespace() || ",]}#".contains(c))
                    .unwrap_or(raw.len());
                match parse_expecting(&raw[..len], dim) {
                    Ok(q) => Some(q),
                    Err(e) => {
                        self.unit_error(node, &raw[..len], what, e);
                        return None;
                    }
                }
            }
            NodeKind::Str(text) => match parse_expecting(text, dim) {
                Ok(q) => Some(q),
                Err(e) => {
                    self.unit_error(node, text, what, e);
                    return None;
                }
            },
            _ => {
                let expected = match example_unit(dim) {
                    Some(unit) => format!("a {} such as `1 {unit}`", dim.name()),
                    None => format!("a {}", dim.name()),
                };
                self.error(
                    node,
                    format!("`{what}` must be {expected}, found {}", node.type_name()),
                );
                return None;
            }
        }?;
        if !quantity.si.is_finite() {
            self.error(node, format!("`{what}` must be finite"));
            return None;
        }
        Some(quantity)
    }

    /// The source text from `node` to the end of its line.
    fn raw_line(&self, node: &Node) -> &'a str {
        let text: &'a str = &self.src.text;
        let start = node.offset.min(text.len());
        let rest = text.get(start..).unwrap_or("");
        &rest[..rest.find('\n').unwrap_or(rest.len())]
    }

    /// An error at byte `skip` of `node`'s line (its column computed in characters), spanning
    /// `len` bytes.
    fn at(&self, node: &Node, skip: usize, len: usize, message: String) -> LoadError {
        let raw = self.raw_line(node);
        let skip = (0..=skip.min(raw.len()))
            .rev()
            .find(|&i| raw.is_char_boundary(i))
            .unwrap_or(0);
        let location = Location {
            file: self.src.path.clone(),
            line: node.line,
            column: node.column + raw[..skip].chars().count(),
        };
        let len = len.min(raw.len() - skip);
        LoadError::new(location, message).with_source(
            self.src.text.clone(),
            node.offset + skip,
            len,
        )
    }

    /// Reports a unit problem at the unit's position inside the scalar. `text` is the scalar's
    /// value; in the source it may be quoted, so the value's prefix is located in the raw text
    /// (after an opening quote if any). With escapes or line folding the prefix does not
    /// appear verbatim and the error points at the scalar's start instead.
    fn unit_error(&mut self, node: &Node, text: &str, what: &str, e: UnitError) {
        let raw = self.raw_line(node);
        let prefix = text.get(..e.offset).unwrap_or(text);
        let skip = if raw.starts_with(prefix) {
            Some(prefix.len())
        } else if raw.starts_with(['"', '\'']) && raw[1..].starts_with(prefix) {
            Some(1 + prefix.len())
        } else {
            None
        };
        let error = match skip {
            Some(skip) => {
                let unit = text.get(e.offset..).unwrap_or("").trim_end();
                self.at(node, skip, unit.len(), format!("`{what}`: {}", e.message))
            }
            None => self.src.error(node, format!("`{what}`: {}", e.message)),
        };
        self.errors.push(match e.help {
            Some(help) => error.with_help(help),
            None => error,
        });
    }

    /// The boolean at `key` of `node`, `default` when absent; the key names it in errors.
    pub(super) fn flag(&mut self, node: &Node, key: &str, default: bool) -> Option<bool> {
        match node.get(key) {
            None => Some(default),
            Some(value) => self.boolean(value, key),
        }
    }

    /// A quantity that must be positive (`strict`) or non-negative.
    pub(super) fn positive(
        &mut self,
        node: &Node,
        what: &str,
        dim: Dimension,
        strict: bool,
    ) -> Option<Quantity> {
        let q = self.quantity(node, what, dim)?;
        if q.si < 0.0 || (strict && q.si == 0.0) {
            let bound = if strict {
                "positive"
            } else {
                "zero or positive"
            };
            self.error(node, format!("`{what}` must be {bound}"));
            return None;
        }
        Some(q)
    }

    /// A quantity, or a normal distribution of it (`{normal: {mean: …, sd: …}}`) where
    /// `distribution_allowed`: the mean, and the standard deviation if one was given.
    pub(super) fn quantity_or_normal(
        &mut self,
        node: &'a Node,
        what: &str,
        dim: Dimension,
        distribution_allowed: bool,
    ) -> Option<(Quantity, Option<Quantity>)> {
        let Some(entries) = node.as_map() else {
            return self.quantity(node, what, dim).map(|q| (q, None));
        };
        let is_normal =
            matches!(entries, [(key, _)] if key.key_text().as_deref() == Some("normal"));
        if !is_normal {
            self.error_help(
                node,
                format!("`{what}` must be a quantity or `{{normal: {{mean: …, sd: …}}}}`"),
                "the only distribution is `normal`",
            );
            return None;
        }
        if !distribution_allowed {
            self.error(node, format!("`{what}` cannot be a distribution"));
            return None;
        }
        let params = &entries[0].1;
        self.mapping(params, "normal", NORMAL_KEYS)?;
        let mean = self
            .required(params, "mean", params, "`normal`")
            .and_then(|m| self.quantity(m, "mean", dim));
        let sd = self
            .required(params, "sd", params, "`normal`")
            .and_then(|d| self.positive(d, "sd", dim, false));
        Some((mean?, Some(sd?)))
    }
}
