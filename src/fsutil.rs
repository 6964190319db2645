//! Small file-system helpers shared by several modules.

use std::collections::VecDeque;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Writes a file so that readers see either the old or the new content, never a partial one:
/// write to a temporary file beside it, flush to disk, then rename over the target.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_via_temp(path, bytes, true)
}

/// [`write_atomic`] without flushing to disk: a crash of crosscheck or a full disk still
/// leaves the old content or the new, never part of it, but a power cut may not. For the many
/// files of a report, which fsync one by one would slow down for no gain.
pub fn write_whole(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_via_temp(path, bytes, false)
}

fn write_via_temp(path: &Path, bytes: &[u8], durable: bool) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    fs::create_dir_all(dir)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    // Unique per call, so two threads writing the same file never share a temporary file.
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let tmp = dir.join(format!(
        ".{file_name}.tmp.{}.{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let result = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        if durable {
            file.sync_all()?;
        }
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// `path` with `.` and `..` removed without touching the file system (paths may not exist
/// yet). `/..` is `/`; a relative path keeps its leading `..`s.
pub fn normalize_lexically(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                if !out.pop() && !out.has_root() {
                    out.push(component);
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// Directory names never copied into a job's working directory: version control, build
/// output and crosscheck's own home can be large and are never model inputs.
pub const SKIPPED_DIRS: &[&str] = &[".git", "target", "node_modules", ".crosscheck"];

/// Copies a directory tree, keeping modification times.
///
/// Keeping mtimes matters: a data file that exists in the repository (a committed result) keeps
/// its old time in the copy, so "the engine wrote it during this run" can be told from "it was
/// already there". Symbolic links are copied as links. Directories in `exclude` (absolute
/// paths) are not copied: the crosscheck home may live inside the repository, and copying the
/// working directories into themselves would never end. Returns the number of files copied.
pub fn copy_tree(from: &Path, to: &Path, exclude: &[PathBuf]) -> io::Result<u64> {
    let mut count = 0;
    fs::create_dir_all(to)?;
    let walker = walkdir::WalkDir::new(from)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| {
            !(e.file_type().is_dir()
                && e.depth() > 0
                && (e
                    .file_name()
                    .to_str()
                    .is_some_and(|n| SKIPPED_DIRS.contains(&n))
                    || exclude.iter().any(|x| x == e.path())))
        });
    for entry in walker {
        let entry = entry.map_err(io::Error::other)?;
        let relative = entry.path().strip_prefix(from).map_err(io::Error::other)?;
        let dest = to.join(relative);
        let file_type = entry.file_type();
        if file_type.is_dir() {
            fs::create_dir_all(&dest)?;
            // Source trees may be read-only (CI mounts shared data without write bits); the
            // copy must be writable for the engine.
            let mut perms = fs::metadata(&dest)?.permissions();
            if perms.readonly() {
                #[allow(clippy::permissions_set_readonly_false)]
                perms.set_readonly(false);
                fs::set_permissions(&dest, perms)?;
            }
        } else if file_type.is_symlink() {
            let target = fs::read_link(entry.path())?;
            std::os::unix::fs::symlink(target, &dest)?;
        } else if file_type.is_file() {
            fs::copy(entry.path(), &dest)?;
            let meta = entry.metadata().map_err(io::Error::other)?;
            let mut perms = meta.permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perms.set_readonly(false);
            fs::set_permissions(&dest, perms)?;
            if let Ok(modified) = meta.modified() {
                let file = fs::OpenOptions::new().write(true).open(&dest)?;
                file.set_modified(modified)?;
            }
            count += 1;
        }
    }
    Ok(count)
}

/// Keeps the last `capacity` lines of a stream.
#[derive(Debug, Clone)]
pub struct TailLines {
    lines: VecDeque<String>,
    capacity: usize,
}

impl TailLines {
    /// Keeps at most `capacity` lines.
    pub fn new(capacity: usize) -> Self {
        TailLines {
            lines: VecDeque::with_capacity(capacity),
            capacity,
        }
    }

    /// Adds a line, dropping the oldest one when full.
    pub fn push(&mut self, line: &str) {
        if self.lines.len() == self.capacity {
            self.lines.pop_front();
        }
        self.lines.push_back(line.to_string());
    }

    /// The kept lines, oldest first, joined by newlines (for an error message).
    pub fn joined(&self) -> String {
        self.lines.iter().cloned().collect::<Vec<_>>().join("\n")
    }
}

/// Keeps the beginning and the end of a byte stream, and counts everything seen.
///
/// Simulator output is unbounded (a runaway model can print gigabytes), so memory must stay
/// bounded whatever the simulator does. Both ends matter: the end says where a run stopped,
/// the beginning often says why (a Java exception's message comes first, followed by hundreds
/// of lines of detail and stack trace).
#[derive(Debug, Clone)]
pub struct CappedOutput {
    head: Vec<u8>,
    head_capacity: usize,
    tail: VecDeque<u8>,
    tail_capacity: usize,
    total: u64,
}

impl CappedOutput {
    /// Keeps up to `capacity` bytes: an eighth from the start, the rest from the end.
    pub fn new(capacity: usize) -> Self {
        let head_capacity = capacity / 8;
        CappedOutput {
            head: Vec::new(),
            head_capacity,
            tail: VecDeque::new(),
            tail_capacity: capacity - head_capacity,
            total: 0,
        }
    }

    /// Adds the next bytes of the stream: they fill the head until it is full, and the tail
    /// keeps the latest of the rest.
    pub fn extend(&mut self, mut bytes: &[u8]) {
        self.total += bytes.len() as u64;
        let room = self.head_capacity.saturating_sub(self.head.len());
        if room > 0 {
            let take = room.min(bytes.len());
            self.head.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
        }
        if bytes.len() > self.tail_capacity {
            bytes = &bytes[bytes.len() - self.tail_capacity..];
        }
        let overflow = (self.tail.len() + bytes.len()).saturating_sub(self.tail_capacity);
        self.tail.drain(..overflow);
        self.tail.extend(bytes);
    }

    /// Every byte seen, kept or not.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The first `head_lines` and the last `tail_lines` lines, as text (invalid UTF-8
    /// replaced, terminal colour codes removed), with a marker where output was left out.
    pub fn excerpt(&self, head_lines: usize, tail_lines: usize) -> String {
        strip_ansi(&self.raw_excerpt(head_lines, tail_lines))
    }

    fn raw_excerpt(&self, head_lines: usize, tail_lines: usize) -> String {
        let mut bytes = self.head.clone();
        let dropped = self.total - (self.head.len() + self.tail.len()) as u64;
        let (a, b) = self.tail.as_slices();
        let tail_start = bytes.len();
        bytes.extend_from_slice(a);
        bytes.extend_from_slice(b);
        if dropped == 0 {
            let text = String::from_utf8_lossy(&bytes);
            let lines: Vec<&str> = text.trim_end_matches('\n').lines().collect();
            if lines.len() <= head_lines + tail_lines {
                return lines.join("\n");
            }
            let omitted = lines.len() - head_lines - tail_lines;
            return format!(
                "{}\n[... {omitted} lines omitted ...]\n{}",
                lines[..head_lines].join("\n"),
                lines[lines.len() - tail_lines..].join("\n")
            );
        }
        let head_text = String::from_utf8_lossy(&bytes[..tail_start]);
        let tail_text = String::from_utf8_lossy(&bytes[tail_start..]);
        let head: Vec<&str> = head_text.lines().take(head_lines).collect();
        let tail: Vec<&str> = tail_text.trim_end_matches('\n').lines().collect();
        // The first tail line is most likely cut in the middle: drop it.
        let tail = &tail[tail.len().saturating_sub(tail_lines).max(1.min(tail.len()))..];
        format!(
            "{}\n[... {} bytes omitted ...]\n{}",
            head.join("\n"),
            dropped,
            tail.join("\n")
        )
    }
}

/// Removes ANSI escape sequences (colours, cursor moves) that tools such as `nrnivmodl` print:
/// they are noise in reports and JSON.
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        // CSI: ESC [ parameters… final byte in @..~ ; other escapes: ESC + one character.
        if chars.peek() == Some(&'[') {
            chars.next();
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        } else {
            chars.next();
        }
    }
    out
}

/// SHA-256 of a file, hex.
pub fn file_sha256(path: &Path) -> std::io::Result<String> {
    let bytes = fs::read(path)?;
    use sha2::Digest as _;
    Ok(format!("{:x}", sha2::Sha256::digest(&bytes)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn normalizes_without_the_file_system() {
        use std::path::{Path, PathBuf};
        let n = |p: &str| super::normalize_lexically(Path::new(p));
        assert_eq!(n("/a/b/../c/./d"), PathBuf::from("/a/c/d"));
        assert_eq!(n("/.."), PathBuf::from("/"));
        assert_eq!(n("../a/../b"), PathBuf::from("../b"));
    }

    #[test]
    fn strips_colour_codes() {
        assert_eq!(
            super::strip_ansi(" -> \u{1b}[32mNMODL\u{1b}[0m ../a.mod"),
            " -> NMODL ../a.mod"
        );
        assert_eq!(super::strip_ansi("plain"), "plain");
    }

    use super::*;

    #[test]
    fn capped_output_keeps_both_ends_within_its_capacity() {
        let mut out = CappedOutput::new(256);
        out.extend(b"Error: the reason\n");
        for i in 0..1000 {
            out.extend(format!("detail line {i}\n").as_bytes());
        }
        out.extend(b"last words\n");
        assert_eq!(out.head.len() + out.tail.len(), 256);
        let text = out.excerpt(5, 5);
        assert!(text.starts_with("Error: the reason"), "{text}");
        assert!(text.ends_with("last words"), "{text}");
        assert!(text.contains("bytes omitted"), "{text}");
    }

    #[test]
    fn capped_output_shows_short_output_whole_and_long_output_by_lines() {
        let mut out = CappedOutput::new(1 << 20);
        out.extend(b"a\nb\nc\n");
        assert_eq!(out.excerpt(1, 1), "a\n[... 1 lines omitted ...]\nc");
        assert_eq!(out.excerpt(2, 2), "a\nb\nc");
    }

    #[test]
    fn tail_lines_caps() {
        let mut t = TailLines::new(2);
        for l in ["a", "b", "c"] {
            t.push(l);
        }
        assert_eq!(t.joined(), "b\nc");
    }

    #[test]
    fn copy_tree_keeps_mtime_and_skips_git() {
        let src = tempfile::tempdir().unwrap();
        let dst = tempfile::tempdir().unwrap();
        fs::create_dir_all(src.path().join("a/.git")).unwrap();
        fs::write(src.path().join("a/.git/HEAD"), "x").unwrap();
        fs::write(src.path().join("a/model.xml"), "<x/>").unwrap();
        let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        fs::File::options()
            .write(true)
            .open(src.path().join("a/model.xml"))
            .unwrap()
            .set_modified(old)
            .unwrap();
        fs::create_dir_all(src.path().join("a/home/work")).unwrap();
        fs::write(src.path().join("a/home/work/x"), "x").unwrap();
        let n = copy_tree(src.path(), dst.path(), &[src.path().join("a/home")]).unwrap();
        assert_eq!(n, 1);
        assert!(!dst.path().join("a/home").exists());
        assert!(!dst.path().join("a/.git").exists());
        let copied = fs::metadata(dst.path().join("a/model.xml")).unwrap();
        assert_eq!(copied.modified().unwrap(), old);
    }

    #[test]
    fn write_atomic_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "two");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
