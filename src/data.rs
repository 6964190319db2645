//! Reading simulator output: numeric tables and spike-event files.
//!
//! OMV reads both with numpy's `loadtxt`; these readers accept the same files and give the
//! same numbers, without a Python or dataframe dependency. Errors name the file and, when the
//! problem is in its content, the 1-based line and column, so a user can open the file there.

use std::fs;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::suite::SpikeFileFormat;

/// Why a data file could not be read.
#[derive(Debug, Error)]
pub enum DataError {
    /// The file could not be opened or read (missing, unreadable, not UTF-8...).
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The content is malformed at a given line.
    #[error("{}:{line}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The 1-based physical line of the file (comments and blank lines counted).
        line: usize,
        /// What is wrong on that line (columns are named 0-based).
        message: String,
    },
    /// The request does not fit the file (for instance scaling factors for other columns).
    #[error("{}: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What does not fit.
        message: String,
    },
}

impl DataError {
    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            DataError::Io { path, .. }
            | DataError::Parse { path, .. }
            | DataError::Invalid { path, .. } => path,
        }
    }

    /// The 1-based line of the problem, when it is in the file's content.
    pub fn line(&self) -> Option<usize> {
        match self {
            DataError::Parse { line, .. } => Some(*line),
            _ => None,
        }
    }

    /// The same error about another path: the file is read from a job's working copy, but the
    /// user knows it by its path in their repository.
    pub fn with_path(self, new_path: &Path) -> Self {
        let path = new_path.to_path_buf();
        match self {
            DataError::Io { source, .. } => DataError::Io { path, source },
            DataError::Parse { line, message, .. } => DataError::Parse {
                path,
                line,
                message,
            },
            DataError::Invalid { message, .. } => DataError::Invalid { path, message },
        }
    }
}

fn read_text(path: &Path) -> Result<String, DataError> {
    fs::read_to_string(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Calls `row` with (1-based line number, fields) for every data line after the first `skip`
/// lines. Like numpy `loadtxt`: `skiprows` counts every physical line (comments and blank lines
/// included), `#` starts a comment anywhere on a line, and lines left empty are ignored.
/// `fields` is a reused buffer so that large files cost no allocation per line.
fn for_each_row<'a>(
    text: &'a str,
    skip: usize,
    mut row: impl FnMut(usize, &[&'a str]) -> Result<(), (usize, String)>,
) -> Result<(), (usize, String)> {
    let mut fields: Vec<&'a str> = Vec::new();
    for (index, line) in text.lines().enumerate().skip(skip) {
        let content = match line.find('#') {
            Some(pos) => &line[..pos],
            None => line,
        };
        fields.clear();
        fields.extend(content.split_ascii_whitespace());
        if fields.is_empty() {
            continue;
        }
        row(index + 1, &fields)?;
    }
    Ok(())
}

fn parse_field(field: &str, line: usize, column: usize) -> Result<f64, (usize, String)> {
    field
        .parse::<f64>()
        .map_err(|_| (line, format!("column {column}: `{field}` is not a number")))
}

/// Every column of a table in crosscheck's own recording format (numbers separated by single
/// spaces, `#` comment lines: what generated scripts, the LEMS converter and `bless` write),
/// column-major, read with polars. An empty file is an empty table.
///
/// OMV's data files come from arbitrary tools (tabs, runs of spaces, ragged rows) and keep
/// going through [`read_table`], which mirrors numpy's `loadtxt`.
pub fn read_recording_table(path: &Path) -> Result<Vec<Vec<f64>>, DataError> {
    use polars::prelude::*;
    let invalid = |message: String| DataError::Invalid {
        path: path.to_path_buf(),
        message,
    };
    let metadata = std::fs::metadata(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if metadata.len() == 0 {
        return Ok(Vec::new());
    }
    // Every column is read as text and converted to f64 afterwards: schema inference would
    // type a column by its first rows (`-70` then `-69.9`: integers, then a parse error).
    let frame = CsvReadOptions::default()
        .with_has_header(false)
        .with_infer_schema_length(Some(0))
        .with_parse_options(
            CsvParseOptions::default()
                .with_separator(b' ')
                .with_comment_prefix(Some("#")),
        )
        .try_into_reader_with_file_path(Some(path.to_path_buf()))
        .and_then(|reader| reader.finish());
    let frame = match frame {
        Ok(frame) => frame,
        // Only comments: no rows.
        Err(PolarsError::NoData(_)) => return Ok(Vec::new()),
        Err(e) => return Err(invalid(e.to_string())),
    };
    frame
        .columns()
        .iter()
        .enumerate()
        .map(|(index, column)| {
            let numbers = column
                .cast(&DataType::Float64)
                .map_err(|e| invalid(format!("column {index}: {e}")))?;
            let values = numbers
                .f64()
                .map_err(|e| invalid(format!("column {index}: {e}")))?;
            if values.null_count() > 0 {
                return Err(invalid(format!(
                    "column {index} holds {} value(s) that are not numbers",
                    values.null_count()
                )));
            }
            Ok(values.into_no_null_iter().collect())
        })
        .collect()
}

/// Reads a whitespace-separated numeric table like numpy
/// `loadtxt(path, usecols=columns, skiprows=header) * scaling`.
///
/// Returns one vector per requested column, in request order (`result[i]` holds column
/// `columns[i]`, 0-based), each multiplied by `scaling[i]`; an empty `scaling` means no scaling.
/// Rows may have more fields than requested (numpy accepts ragged rows when `usecols` is
/// given, and OMV always gives it), but a row lacking a requested column is an error, as is any
/// requested field that is not a number. Error lines are 1-based physical lines of the file.
pub fn read_table(
    path: &Path,
    columns: &[usize],
    header: usize,
    scaling: &[f64],
) -> Result<Vec<Vec<f64>>, DataError> {
    if !scaling.is_empty() && scaling.len() != columns.len() {
        return Err(DataError::Invalid {
            path: path.to_path_buf(),
            message: format!(
                "{} scaling factor(s) given for {} column(s); give one per loaded column",
                scaling.len(),
                columns.len()
            ),
        });
    }
    let text = read_text(path)?;
    let mut out: Vec<Vec<f64>> = columns.iter().map(|_| Vec::new()).collect();
    let max_column = columns.iter().copied().max();
    for_each_row(&text, header, |line, fields| {
        if let Some(max) = max_column {
            if max >= fields.len() {
                return Err((
                    line,
                    format!(
                        "column {max} missing: the row has {} column(s) (columns are 0-based)",
                        fields.len()
                    ),
                ));
            }
        }
        for (slot, &column) in out.iter_mut().zip(columns) {
            let field = fields.get(column).copied().unwrap_or_default();
            slot.push(parse_field(field, line, column)?);
        }
        Ok(())
    })
    .map_err(|(line, message)| DataError::Parse {
        path: path.to_path_buf(),
        line,
        message,
    })?;
    for (slot, factor) in out.iter_mut().zip(scaling) {
        if *factor != 1.0 {
            slot.iter_mut().for_each(|x| *x *= factor);
        }
    }
    Ok(out)
}

/// Every column of a whitespace-separated numeric table whose rows all have the same number
/// of fields (`#` comments and blank lines skipped), column-major. What `crosscheck diff`
/// reads an output file as when it knows nothing of the file but that a run wrote it; a
/// ragged row or a field that is not a number is an error naming its line.
pub fn read_whole_table(path: &Path) -> Result<Vec<Vec<f64>>, DataError> {
    let text = read_text(path)?;
    let mut out: Vec<Vec<f64>> = Vec::new();
    let mut width: Option<usize> = None;
    for_each_row(&text, 0, |line, fields| {
        let expected = *width.get_or_insert(fields.len());
        if fields.len() != expected {
            return Err((
                line,
                format!(
                    "{} field(s) where earlier rows have {expected}",
                    fields.len()
                ),
            ));
        }
        if out.is_empty() {
            out.resize_with(expected, Vec::new);
        }
        for (column, (slot, field)) in out.iter_mut().zip(fields).enumerate() {
            slot.push(parse_field(field, line, column)?);
        }
        Ok(())
    })
    .map_err(|(line, message)| DataError::Parse {
        path: path.to_path_buf(),
        line,
        message,
    })?;
    Ok(out)
}

/// Reads a file of spike events, returning `(cell id, time * scaling)` in file order.
///
/// `IdTime` lines are `id time`, `TimeId` lines `time id`; `IdTimeNestDat` is NEST's `.dat`
/// output: three header lines, then `id time`. Fields after the first two are ignored. Ids are
/// accepted as integers or integral floats (`0.0`), since some simulators write them as floats.
pub fn read_spike_file(
    path: &Path,
    format: SpikeFileFormat,
    scaling: f64,
) -> Result<Vec<(i64, f64)>, DataError> {
    let text = read_text(path)?;
    let (skip, id_column, time_column) = match format {
        SpikeFileFormat::IdTime => (0, 0, 1),
        SpikeFileFormat::TimeId => (0, 1, 0),
        SpikeFileFormat::IdTimeNestDat => (3, 0, 1),
    };
    let mut events = Vec::new();
    for_each_row(&text, skip, |line, fields| {
        if fields.len() < 2 {
            return Err((
                line,
                format!("expected two columns (id and time), found {}", fields.len()),
            ));
        }
        let id = parse_id(fields[id_column], line, id_column)?;
        let time = parse_field(fields[time_column], line, time_column)?;
        events.push((id, time * scaling));
        Ok(())
    })
    .map_err(|(line, message)| DataError::Parse {
        path: path.to_path_buf(),
        line,
        message,
    })?;
    Ok(events)
}

fn parse_id(field: &str, line: usize, column: usize) -> Result<i64, (usize, String)> {
    if let Ok(id) = field.parse::<i64>() {
        return Ok(id);
    }
    let value = parse_field(field, line, column)?;
    // i64::MAX is not representable; 2^63 is the first float past the range.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if value.is_finite() && value.fract() == 0.0 && value.abs() < LIMIT {
        Ok(value as i64)
    } else {
        Err((
            line,
            format!("column {column}: `{field}` is not a cell id (an integer)"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file(content: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(content.as_bytes()).unwrap();
        f.flush().unwrap();
        f
    }

    #[test]
    fn a_whole_table_is_read_column_major_and_ragged_rows_are_refused() {
        let f = file("# t v\n0 -65\n\n0.1 -64.5 # comment\n");
        let table = read_whole_table(f.path()).unwrap();
        assert_eq!(table, vec![vec![0.0, 0.1], vec![-65.0, -64.5]]);
        let ragged = file("0 1\n0.1 2 3\n");
        let err = read_whole_table(ragged.path()).unwrap_err();
        assert_eq!(err.line(), Some(2), "{err}");
        assert!(err
            .to_string()
            .contains("3 field(s) where earlier rows have 2"));
        let words = file("time v\n");
        assert!(read_whole_table(words.path()).is_err());
        assert!(read_whole_table(file("").path()).unwrap().is_empty());
    }

    #[test]
    fn reads_requested_columns_in_order() {
        let f = file("0 1 2\n0.5 -1e-3 3\n");
        let t = read_table(f.path(), &[2, 0], 0, &[]).unwrap();
        assert_eq!(t, vec![vec![2.0, 3.0], vec![0.0, 0.5]]);
        let t = read_table(f.path(), &[1, 1], 0, &[1.0, 2.0]).unwrap();
        assert_eq!(t, vec![vec![1.0, -1e-3], vec![2.0, -2e-3]]);
    }

    #[test]
    fn scaling_applies_per_column() {
        let f = file("0.001 -0.065\n0.002 -0.064\n");
        let t = read_table(f.path(), &[0, 1], 0, &[1000.0, 1000.0]).unwrap();
        assert_eq!(t[0], vec![1.0, 2.0]);
        assert_eq!(t[1], vec![-65.0, -64.0]);
    }

    #[test]
    fn scaling_length_mismatch_is_an_error() {
        let f = file("0 1\n");
        let err = read_table(f.path(), &[0, 1], 0, &[1000.0]).unwrap_err();
        assert!(matches!(err, DataError::Invalid { .. }));
        assert!(err.to_string().contains("1 scaling factor(s)"), "{err}");
    }

    #[test]
    fn header_comments_and_blank_lines() {
        let f = file("t v\nunits\n# comment\n\n1 2 # trailing\n   \n3\t4\n");
        let t = read_table(f.path(), &[0, 1], 2, &[]).unwrap();
        assert_eq!(t, vec![vec![1.0, 3.0], vec![2.0, 4.0]]);
    }

    #[test]
    fn header_counts_physical_lines_like_numpy_skiprows() {
        let f = file("# a\n1 2\n3 4\n");
        let t = read_table(f.path(), &[0], 2, &[]).unwrap();
        assert_eq!(t, vec![vec![3.0]]);
    }

    #[test]
    fn crlf_and_special_numbers() {
        let f = file("1 inf\r\n2 -2.5E+2\r\n");
        let t = read_table(f.path(), &[0, 1], 0, &[]).unwrap();
        assert_eq!(t[1], vec![f64::INFINITY, -250.0]);
    }

    #[test]
    fn non_numeric_field_names_line_and_column() {
        let f = file("0 1\n0.1 abc\n");
        let err = read_table(f.path(), &[0, 1], 0, &[]).unwrap_err();
        assert_eq!(err.line(), Some(2));
        let text = err.to_string();
        assert!(text.contains(":2:"), "{text}");
        assert!(text.contains("column 1"), "{text}");
        assert!(text.contains("abc"), "{text}");
        assert!(text.contains(&f.path().display().to_string()), "{text}");
    }

    #[test]
    fn missing_column_names_line() {
        let f = file("0 1 2\n0 1 2\n0 1\n");
        let err = read_table(f.path(), &[0, 2], 0, &[]).unwrap_err();
        assert_eq!(err.line(), Some(3));
        assert!(err.to_string().contains("column 2 missing"), "{err}");
    }

    #[test]
    fn extra_fields_are_accepted_like_numpy_usecols() {
        let f = file("0 1\n0 1 2\n");
        let t = read_table(f.path(), &[0, 1], 0, &[]).unwrap();
        assert_eq!(t[1], vec![1.0, 1.0]);
    }

    #[test]
    fn empty_file_gives_empty_columns() {
        let f = file("");
        let t = read_table(f.path(), &[0, 1], 0, &[]).unwrap();
        assert_eq!(t, vec![Vec::<f64>::new(), Vec::new()]);
    }

    #[test]
    fn missing_file_is_io_error_with_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nope.dat");
        let err = read_table(&path, &[0], 0, &[]).unwrap_err();
        assert!(matches!(err, DataError::Io { .. }));
        assert!(err.to_string().contains("nope.dat"));
        let moved = err.with_path(Path::new("/repo/nope.dat"));
        assert_eq!(moved.path(), Path::new("/repo/nope.dat"));
    }

    #[test]
    fn large_table_reads() {
        let mut s = String::new();
        for i in 0..100_000 {
            s.push_str(&format!("{} {} {} {} {}\n", i, -0.065, 0.1, 0.2, 0.3));
        }
        let f = file(&s);
        let t = read_table(f.path(), &[0, 1, 2, 3, 4], 0, &[]).unwrap();
        assert_eq!(t.len(), 5);
        assert_eq!(t[0].len(), 100_000);
        assert_eq!(t[0][99_999], 99_999.0);
    }

    #[test]
    fn spike_file_id_time() {
        let f = file("0 10.5\n1 11\n0.0 20\n");
        let ev = read_spike_file(f.path(), SpikeFileFormat::IdTime, 1000.0).unwrap();
        assert_eq!(ev, vec![(0, 10500.0), (1, 11000.0), (0, 20000.0)]);
    }

    #[test]
    fn spike_file_time_id() {
        let f = file("0.01 3\n0.02 4.0\n");
        let ev = read_spike_file(f.path(), SpikeFileFormat::TimeId, 1.0).unwrap();
        assert_eq!(ev, vec![(3, 0.01), (4, 0.02)]);
    }

    #[test]
    fn spike_file_nest_dat_skips_three_lines() {
        let f =
            file("# NEST version: 3.7\n# RecordingBackendASCII\nsender time_ms\n5 1.5\n6 2.5\n");
        let ev = read_spike_file(f.path(), SpikeFileFormat::IdTimeNestDat, 1.0).unwrap();
        assert_eq!(ev, vec![(5, 1.5), (6, 2.5)]);
    }

    #[test]
    fn spike_file_bad_id_and_short_row() {
        let f = file("0 1\n0.5 2\n");
        let err = read_spike_file(f.path(), SpikeFileFormat::IdTime, 1.0).unwrap_err();
        assert_eq!(err.line(), Some(2));
        assert!(err.to_string().contains("not a cell id"), "{err}");

        let f = file("0 1\n3\n");
        let err = read_spike_file(f.path(), SpikeFileFormat::IdTime, 1.0).unwrap_err();
        assert_eq!(err.line(), Some(2));
        assert!(err.to_string().contains("two columns"), "{err}");

        let f = file("0 x\n");
        let err = read_spike_file(f.path(), SpikeFileFormat::IdTime, 1.0).unwrap_err();
        assert_eq!(err.line(), Some(1));
        assert!(err.to_string().contains("`x`"), "{err}");
    }
}

#[cfg(test)]
mod recording_table_tests {
    use super::*;

    #[test]
    fn recording_tables_read_mixed_integer_and_float_columns() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.txt");
        std::fs::write(
            &path,
            "# time_ms cell0\n0 -70\n0.025 -69.99831657\n1e-05 3\n",
        )
        .unwrap();
        let columns = read_recording_table(&path).unwrap();
        assert_eq!(
            columns,
            vec![vec![0.0, 0.025, 1e-5], vec![-70.0, -69.99831657, 3.0]]
        );
        std::fs::write(&path, "0 x\n").unwrap();
        let err = read_recording_table(&path).unwrap_err().to_string();
        assert!(err.contains("not numbers"), "{err}");
        std::fs::write(&path, "").unwrap();
        assert!(read_recording_table(&path).unwrap().is_empty());
    }
}
