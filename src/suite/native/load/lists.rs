//! Reading YAML lists item by item: the loops that every list-valued field shares.
//!
//! Fields differ only in how they read one item and in what a bad or repeated item does to
//! the rest of the list; those choices are arguments here, so each field states its policy
//! instead of writing the loop out again.

use super::Loader;
use crate::suite::yaml::Node;

/// What a list reader does with an item it refused (the problem is already reported).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refusal {
    /// Leave the item out and keep the rest: the list is still usable.
    Skip,
    /// Read on, so that every bad item is reported, but the list is invalid.
    Fail,
    /// Stop at this item: the list is invalid and later items go unread.
    Stop,
}

/// How [`Loader::distinct`] treats a value the list already holds.
pub(super) enum Repeat<T> {
    /// Left out silently: naming it twice changes nothing.
    Drop,
    /// Reported at the item with this message, then refused as given.
    Refuse(Refusal, fn(&Node, &T) -> String),
}

impl<'a> Loader<'a> {
    /// The list at `node`, reported with `empty` when it has no items.
    pub(super) fn nonempty_list(
        &mut self,
        node: &'a Node,
        what: &str,
        empty: &str,
    ) -> Option<&'a [Node]> {
        let items = self.list(node, what)?;
        if items.is_empty() {
            self.error(node, empty);
            return None;
        }
        Some(items)
    }

    /// Every item read with `read`, or `None` if any was bad; all are read, so every
    /// problem is reported.
    pub(super) fn read_all<T>(
        &mut self,
        items: impl IntoIterator<Item = &'a Node>,
        mut read: impl FnMut(&mut Self, &'a Node) -> Option<T>,
    ) -> Option<Vec<T>> {
        let mut out = Vec::new();
        let mut ok = true;
        for item in items {
            match read(self, item) {
                Some(value) => out.push(value),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// The items that `read` accepts; the others are reported and left out.
    pub(super) fn read_valid<T>(
        &mut self,
        items: &'a [Node],
        mut read: impl FnMut(&mut Self, &'a Node) -> Option<T>,
    ) -> Vec<T> {
        items.iter().filter_map(|item| read(self, item)).collect()
    }

    /// Distinct values read from `items` by `read`, in order. An item `read` refuses, or a
    /// repeat under [`Repeat::Refuse`], is handled as its [`Refusal`] says: the result is
    /// `None` after a [`Refusal::Stop`] or any [`Refusal::Fail`].
    pub(super) fn distinct<T: PartialEq>(
        &mut self,
        items: &'a [Node],
        repeat: Repeat<T>,
        mut read: impl FnMut(&mut Self, &'a Node) -> Result<T, Refusal>,
    ) -> Option<Vec<T>> {
        let mut out = Vec::new();
        let mut ok = true;
        for item in items {
            let refusal = match read(self, item) {
                Ok(value) if !out.contains(&value) => {
                    out.push(value);
                    continue;
                }
                Ok(value) => match &repeat {
                    Repeat::Drop => continue,
                    Repeat::Refuse(refusal, message) => {
                        self.error(item, message(item, &value));
                        *refusal
                    }
                },
                Err(refusal) => refusal,
            };
            match refusal {
                Refusal::Skip => {}
                Refusal::Fail => ok = false,
                Refusal::Stop => return None,
            }
        }
        ok.then_some(out)
    }
}
