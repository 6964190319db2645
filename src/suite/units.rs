//! Physical quantities in suite files: parsing, dimension checks, and conversion to each
//! simulator's conventions.
//!
//! A suite writes every parameter the way a paper does (`-65 mV`, `0.7 nS/mV`, `1 uF/cm2`), so
//! a value can be read without knowing which simulator will run it, and a wrong or missing
//! unit is caught when the file is loaded rather than as a silently wrong simulation. The
//! loader checks each [`Quantity`]'s [`Dimension`]; the code generators then express it in the
//! target's convention ([`Convention::unit_for`], [`brian2_expr`], [`neuroml_string`]).
//!
//! # Exactness
//!
//! Every unit accepted here is a power of ten times an SI unit (the only exception, `degC`, is
//! an offset). Scaling therefore happens on the *decimal* representation of a number (shift
//! the exponent of its shortest round-trip form, then parse back), not by multiplying by
//! `1e-3`: `-65 mV` becomes exactly `-0.065` V and comes back as exactly `-65.0` mV, so the
//! generated code shows the numbers the author wrote, not `-65.00000000000001`.
//!
//! # Unit syntax
//!
//! * Symbols: `V`, `A`, `s`, `S`, `F`, `C`, `Ohm`/`ohm`/`Ω`, `Hz`, `m` (metre), `mol`,
//!   `M` (molar, mol/L), `K`, `degC`; NeuroML's `Kohm` is accepted as an alias of `kOhm`.
//! * Prefixes are limited to the ones neuroscience uses with each symbol (`f p n u µ μ m`
//!   for most; `k M G` for ohm; `m k M` for Hz; `n u µ μ m c` for metre). This is deliberate:
//!   matching is case-sensitive (`ms` is a millisecond, `mS` a millisiemens, `m` alone a
//!   metre, `M` alone molar, `mM` millimolar, `MOhm` megaohm), so restricting prefixes turns
//!   the likely typos `MV`, `Ms` or `MS` into errors with a suggestion instead of silently
//!   reading a megavolt or a megasecond.
//! * Powers: trailing digits (`cm2`, `um3`), `^n` (`cm^2`, `s^-1`) or `²`/`³`.
//! * Combination: `/` and `*` (or `·`), left to right like Python (`nS/mV`, `uF/cm2`,
//!   `ohm*cm`); a leading `/` or `1/` means "per" (`/ms`, `1/ms`); NeuroML spellings
//!   `per_ms`, `nS_per_mV`, `uF_per_cm2`, `kohm_cm` (`_` is a product, `_per_` a division).
//!   Juxtaposition with a space (`mV ms`) is rejected: it is more often a typo than a product.
//! * `degC` is an offset scale (0 degC = 273.15 K). It is accepted only on its own, for whole
//!   values (`6.3 degC`) and in [`Quantity::value_in`]; [`parse_unit`] rejects it because an
//!   offset cannot be expressed as the single factor it returns, and `degC` inside a compound
//!   unit (`degC/ms`) is rejected as ambiguous between a temperature and a difference.

use std::fmt;

/// Exponents of the SI base units: kg, m, s, A, K, mol.
///
/// Small signed integers are enough for every physical dimension that occurs in models; the
/// parser uses checked arithmetic and reports a unit too complex for `i8` as an error, while
/// the public [`mul`](Self::mul)/[`div`](Self::div)/[`pow`](Self::pow) saturate so no input can
/// panic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Dimension {
    /// Exponent of kg.
    pub mass: i8,
    /// Exponent of m.
    pub length: i8,
    /// Exponent of s.
    pub time: i8,
    /// Exponent of A (electric current).
    pub current: i8,
    /// Exponent of K.
    pub temperature: i8,
    /// Exponent of mol.
    pub amount: i8,
}

impl Dimension {
    const fn new(mass: i8, length: i8, time: i8, current: i8, temperature: i8, amount: i8) -> Self {
        Dimension {
            mass,
            length,
            time,
            current,
            temperature,
            amount,
        }
    }

    /// A plain number: spike counts, CV of ISIs, Fano factors, correlations.
    pub const DIMENSIONLESS: Self = Self::new(0, 0, 0, 0, 0, 0);
    /// s: durations, time constants, delays, `dt`.
    pub const TIME: Self = Self::new(0, 0, 1, 0, 0, 0);
    /// 1/s: firing rates and rate constants alike (NeuroML's `per_time`).
    pub const FREQUENCY: Self = Self::new(0, 0, -1, 0, 0, 0);
    /// V: membrane potentials, reversal potentials, thresholds.
    pub const VOLTAGE: Self = Self::new(1, 2, -3, -1, 0, 0);
    /// A: whole-cell currents (injected steps, synaptic and membrane currents).
    pub const CURRENT: Self = Self::new(0, 0, 0, 1, 0, 0);
    /// F: whole-cell membrane capacitance.
    pub const CAPACITANCE: Self = Self::new(-1, -2, 4, 2, 0, 0);
    /// S: whole-cell and synaptic conductances.
    pub const CONDUCTANCE: Self = Self::new(-1, -2, 3, 2, 0, 0);
    /// Ω: whole-cell (input) resistance.
    pub const RESISTANCE: Self = Self::new(1, 2, -3, -2, 0, 0);
    /// C (coulomb).
    pub const CHARGE: Self = Self::new(0, 0, 1, 1, 0, 0);
    /// m: lengths and diameters (in um in every simulator's convention).
    pub const LENGTH: Self = Self::new(0, 1, 0, 0, 0, 0);
    /// m²: membrane area (um2).
    pub const AREA: Self = Self::new(0, 2, 0, 0, 0, 0);
    /// m³ (um3).
    pub const VOLUME: Self = Self::new(0, 3, 0, 0, 0, 0);
    /// F/m²: membrane capacitance per area (`cm` in NEURON).
    pub const SPECIFIC_CAPACITANCE: Self = Self::new(-1, -4, 4, 2, 0, 0);
    /// S/m²: channel density (`gbar` in NEURON).
    pub const CONDUCTANCE_DENSITY: Self = Self::new(-1, -4, 3, 2, 0, 0);
    /// A/m².
    pub const CURRENT_DENSITY: Self = Self::new(0, -2, 0, 1, 0, 0);
    /// S/V: the `k` of Izhikevich (2007)'s quadratic model.
    pub const CONDUCTANCE_PER_VOLTAGE: Self = Self::new(-2, -4, 6, 3, 0, 0);
    /// Ω·m: axial resistivity (`Ra` in NEURON).
    pub const RESISTIVITY: Self = Self::new(1, 3, -3, -2, 0, 0);
    /// mol/m³ (= mM).
    pub const CONCENTRATION: Self = Self::new(0, -3, 0, 0, 0, 1);
    /// mol: amount of substance (only Brian2 has a unit for it).
    pub const AMOUNT: Self = Self::new(0, 0, 0, 0, 0, 1);
    /// K; a whole value may also be written in `degC` (NEURON's `celsius`).
    pub const TEMPERATURE: Self = Self::new(0, 0, 0, 0, 1, 0);

    fn exponents(self) -> [i8; 6] {
        [
            self.mass,
            self.length,
            self.time,
            self.current,
            self.temperature,
            self.amount,
        ]
    }

    fn from_exponents(e: [i8; 6]) -> Self {
        Self::new(e[0], e[1], e[2], e[3], e[4], e[5])
    }

    fn zip(self, other: Self, f: impl Fn(i8, i8) -> Option<i8>) -> Option<Self> {
        let (a, b) = (self.exponents(), other.exponents());
        let mut out = [0i8; 6];
        for ((o, x), y) in out.iter_mut().zip(a).zip(b) {
            *o = f(x, y)?;
        }
        Some(Self::from_exponents(out))
    }

    /// The dimension of a product; exponents saturate at the `i8` range instead of panicking.
    /// (Also `a * b`.)
    #[allow(clippy::should_implement_trait)] // it is implemented too, see `impl Mul`
    pub fn mul(self, other: Self) -> Self {
        self.zip(other, |a, b| Some(a.saturating_add(b)))
            .unwrap_or(self)
    }

    /// The dimension of a quotient; exponents saturate at the `i8` range. (Also `a / b`.)
    #[allow(clippy::should_implement_trait)] // it is implemented too, see `impl Div`
    pub fn div(self, other: Self) -> Self {
        self.zip(other, |a, b| Some(a.saturating_sub(b)))
            .unwrap_or(self)
    }

    /// The dimension raised to an integer power; exponents saturate at the `i8` range.
    pub fn pow(self, n: i8) -> Self {
        Self::from_exponents(self.exponents().map(|e| e.saturating_mul(n)))
    }

    /// `None` on overflow, so the parser can report it rather than saturating silently.
    pub fn checked_mul(self, other: Self) -> Option<Self> {
        self.zip(other, i8::checked_add)
    }

    /// Like [`div`](Self::div), but `None` on overflow.
    pub fn checked_div(self, other: Self) -> Option<Self> {
        self.zip(other, i8::checked_sub)
    }

    /// Like [`pow`](Self::pow), but `None` on overflow.
    pub fn checked_pow(self, n: i8) -> Option<Self> {
        let mut out = [0i8; 6];
        for (o, e) in out.iter_mut().zip(self.exponents()) {
            *o = e.checked_mul(n)?;
        }
        Some(Self::from_exponents(out))
    }

    /// A human name for messages: "voltage", "current", "time", ... or the SI form like
    /// "kg·m²·s⁻³·A⁻¹" for dimensions without a name.
    pub fn name(&self) -> String {
        match info(*self) {
            Some(i) => i.name.to_string(),
            None => self.si_form(),
        }
    }

    /// The dimension written with SI base symbols, e.g. `kg·m²·s⁻³·A⁻¹` (`1` if dimensionless).
    pub fn si_form(&self) -> String {
        let parts: Vec<String> = BASE_SYMBOLS
            .iter()
            .zip(self.exponents())
            .filter(|(_, e)| *e != 0)
            .map(|((sym, _), e)| {
                if e == 1 {
                    sym.to_string()
                } else {
                    format!("{sym}{}", superscript(e))
                }
            })
            .collect();
        if parts.is_empty() {
            "1".to_string()
        } else {
            parts.join("·")
        }
    }

    /// "a voltage", "an area", "a plain number", "a quantity in kg·m²": for sentences.
    fn described(&self) -> String {
        if *self == Self::DIMENSIONLESS {
            return "a plain number".to_string();
        }
        match info(*self) {
            Some(i) => {
                let article = if i.name.starts_with(['a', 'e', 'i', 'o', 'u']) {
                    "an"
                } else {
                    "a"
                };
                format!("{article} {}", i.name)
            }
            None => format!("a quantity in {}", self.si_form()),
        }
    }
}

impl std::ops::Mul for Dimension {
    type Output = Dimension;
    fn mul(self, other: Self) -> Self {
        Dimension::mul(self, other)
    }
}

impl std::ops::Div for Dimension {
    type Output = Dimension;
    fn div(self, other: Self) -> Self {
        Dimension::div(self, other)
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// SI base symbols in [`Dimension`] field order, with the Brian2 name of each.
const BASE_SYMBOLS: [(&str, &str); 6] = [
    ("kg", "kilogram"),
    ("m", "metre"),
    ("s", "second"),
    ("A", "amp"),
    ("K", "kelvin"),
    ("mol", "mole"),
];

fn superscript(n: i8) -> String {
    const DIGITS: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let mut out = String::new();
    if n < 0 {
        out.push('⁻');
    }
    for d in n.unsigned_abs().to_string().bytes() {
        out.push(DIGITS[usize::from(d - b'0')]);
    }
    out
}

/// A value in SI units with its dimension. Always finite when it comes from the parser.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quantity {
    /// The value in SI base units (`-65 mV` is `-0.065`, `25 ms` is `0.025`).
    pub si: f64,
    /// What the value measures; the loader checks it against the parameter's expected one.
    pub dim: Dimension,
}

impl Quantity {
    /// The value expressed in `unit` (e.g. `"mV"`, `"pA"`, `"uF/cm2"`, `"degC"`); an error if
    /// the unit doesn't measure this quantity's dimension or the result isn't finite.
    pub fn value_in(&self, unit: &str) -> Result<f64, UnitError> {
        let u = parse_unit_expr(unit, 0, true)?;
        if u.dim != self.dim {
            return Err(UnitError::new(
                format!(
                    "cannot express {} in `{}`, which measures {}",
                    self.dim.described(),
                    unit.trim(),
                    u.dim.described()
                ),
                leading_ws(unit),
            ));
        }
        let v = shift10(self.si - u.offset, -u.exp10);
        if v.is_finite() {
            Ok(v)
        } else {
            Err(UnitError::new(
                format!("{} is too large to express in `{}`", self.si, unit.trim()),
                leading_ws(unit),
            ))
        }
    }
}

impl fmt::Display for Quantity {
    /// Human form for messages, in the unit a paper would use (`-65.0 mV`, `0.7 nS/mV`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.dim == Dimension::DIMENSIONLESS {
            return f.write_str(&code_number(self.si));
        }
        if let Some(i) = info(self.dim) {
            if let Ok(v) = self.value_in(i.example_unit) {
                return write!(f, "{} {}", code_number(v), i.example_unit);
            }
        }
        write!(f, "{} {}", code_number(self.si), self.dim.si_form())
    }
}

/// A problem in a quantity or unit string, located by byte offset so the loader can turn it
/// into `file:line:column` and underline the exact spot.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct UnitError {
    /// What is wrong, e.g. "missing unit: expected a voltage, found the plain number `-65`".
    pub message: String,
    /// Byte offset in the parsed text where the problem is (for file:line:column).
    pub offset: usize,
    /// E.g. "did you mean `mV`?" or "write it with a unit, e.g. `-65 mV`".
    pub help: Option<String>,
}

impl UnitError {
    fn new(message: impl Into<String>, offset: usize) -> Self {
        UnitError {
            message: message.into(),
            offset,
            help: None,
        }
    }

    fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The same error with its offset moved by `base`: for callers that parsed a substring
    /// (a YAML scalar) and need the offset within the whole file or line.
    pub fn offset_by(mut self, base: usize) -> Self {
        self.offset = self.offset.saturating_add(base);
        self
    }
}

/// Parses `<number> [unit]`, e.g. `-65 mV`, `1.5ms`, `0.03 /ms`, `1 uF/cm2`, `0.5`.
///
/// Whitespace around the number and between number and unit is optional. Only finite numbers
/// are accepted (`nan`, `inf` and overflowing literals like `1e999` are errors): a non-finite
/// parameter can only be a mistake and would poison every simulator's output.
pub fn parse_quantity(text: &str) -> Result<Quantity, UnitError> {
    parse_parts(text).map(|p| p.quantity)
}

/// Parses a quantity and requires the `expected` dimension.
///
/// A bare number where a dimensioned value is expected is an error ("missing unit") rather
/// than a guess at the unit: which unit a bare `-65` means differs between simulators, which
/// is exactly the ambiguity suite files exist to remove.
pub fn parse_expecting(text: &str, expected: Dimension) -> Result<Quantity, UnitError> {
    let parts = parse_parts(text)?;
    let found = parts.quantity.dim;
    if found == expected {
        return Ok(parts.quantity);
    }
    let number = &text[parts.number.0..parts.number.1];
    let written = text.trim();
    let Some(unit_start) = parts.unit_start else {
        let mut err = UnitError::new(
            format!(
                "missing unit: expected {}, found the plain number `{number}`",
                expected.described()
            ),
            parts.number.1,
        );
        err.help = Some(match info(expected) {
            Some(i) => format!("write it with a unit, e.g. `{number} {}`", i.example_unit),
            None => format!("write it with a unit of {}", expected.si_form()),
        });
        return Err(err);
    };
    if expected == Dimension::DIMENSIONLESS {
        return Err(UnitError::new(
            format!(
                "expected a plain number, found {} (`{written}`)",
                found.described()
            ),
            unit_start,
        )
        .with_help(format!("remove the unit: `{number}`")));
    }
    let example = info(expected)
        .map(|i| format!(" (e.g. `{}`)", i.example))
        .unwrap_or_default();
    let mut err = UnitError::new(
        format!(
            "expected {}{example}, found {} (`{written}`)",
            expected.described(),
            found.described()
        ),
        unit_start,
    );
    err.help = if expected.checked_mul(Dimension::AREA) == Some(found) {
        Some("this is a whole-cell value, but a density (per membrane area) is expected".into())
    } else if found.checked_mul(Dimension::AREA) == Some(expected) {
        Some("this is a density (per membrane area), but a whole-cell value is expected".into())
    } else {
        info(expected).map(|i| format!("use a unit of {}, e.g. `{}`", i.name, i.example_unit))
    };
    Err(err)
}

/// Parses a unit expression alone (`mV`, `nS/mV`, `uF_per_cm2`, `1/ms`, `1` for none) and
/// returns (factor to SI, dimension). `degC` is rejected: see the module documentation.
pub fn parse_unit(text: &str) -> Result<(f64, Dimension), UnitError> {
    let u = parse_unit_expr(text, 0, true)?;
    if u.offset != 0.0 {
        return Err(UnitError::new(
            "`degC` is offset from kelvin, so it has no single conversion factor",
            leading_ws(text),
        )
        .with_help("use `K` in unit expressions; `degC` works for whole values like `6.3 degC`"));
    }
    let factor = pow10(u.exp10);
    if factor.is_finite() && factor != 0.0 {
        Ok((factor, u.dim))
    } else {
        Err(UnitError::new(
            format!("the unit `{}` is out of range", text.trim()),
            leading_ws(text),
        ))
    }
}

/// Each simulator's unit convention.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Convention {
    /// NEST: whole-cell values in mV, pA, ms, pF, nS.
    Nest,
    /// NEURON: mV, nA, ms, nF, uS for point processes; per-area units for sections.
    Neuron,
    /// Brian2: values carry their unit in the generated Python (`(-65.0*mV)`); Brian2 converts.
    Brian2,
    /// NeuroML2/LEMS: NeuroML core unit names such as `per_ms` and `uF_per_cm2`.
    NeuroML,
}

impl Convention {
    /// The unit this simulator uses for a dimension, as a string [`parse_unit`] accepts (so
    /// `q.value_in(conv.unit_for(q.dim)?)` is the number to write into generated code).
    ///
    /// * NEST: mV, pA, ms, pF, nS, Hz, MOhm, nS/mV — NEST's point models take whole-cell
    ///   values, so densities, concentrations and temperature have no entry (`None`).
    /// * NEURON: mV, nA, ms, nF, uS, MOhm, uS/mV for point processes (a consistent set:
    ///   uS·mV = nA, nA·ms = pC) and uF/cm2, S/cm2, mA/cm2, um, um2, ohm*cm, mM for sections.
    ///   Temperature is `K`; NEURON's `celsius` is `q.value_in("degC")`.
    /// * Brian2: Brian2 converts units itself, so this is just the unit [`brian2_expr`] writes.
    /// * NeuroML/LEMS: NeuroML2 core unit names (`per_ms`, `nS_per_mV`, `uF_per_cm2`, ...).
    ///
    /// Every convention gives `1` for dimensionless values.
    pub fn unit_for(self, dim: Dimension) -> Option<&'static str> {
        let i = info(dim)?;
        match self {
            Convention::Nest => i.nest,
            Convention::Neuron => i.neuron,
            Convention::Brian2 => i.brian2.map(|(unit, _)| unit),
            Convention::NeuroML => i.neuroml,
        }
    }
}

/// A number for generated code that round-trips exactly and is always valid Python and LEMS:
/// Rust's shortest round-trip `{:?}` form (`-65.0`, `1e-5`, `0.1`, `1.5e20`), which never has
/// a `+` in the exponent (NeuroML's schema pattern forbids one).
///
/// Non-finite inputs cannot come from the parser; should one arrive anyway (the fields of
/// [`Quantity`] are public) it is written as `1e999`/`-1e999`/`(1e999-1e999)`, which Python
/// evaluates to ±inf/nan, so the output is never the bare words `inf`/`nan` that would be a
/// `NameError` in generated code.
pub fn code_number(x: f64) -> String {
    if x.is_nan() {
        "(1e999-1e999)".to_string()
    } else if x == f64::INFINITY {
        "1e999".to_string()
    } else if x == f64::NEG_INFINITY {
        "-1e999".to_string()
    } else {
        format!("{x:?}")
    }
}

/// A Brian2 expression for the quantity, e.g. `(-65.0*mV)`, `(0.7*nS/mV)`, `(100.0*pA)`,
/// `(0.5)`; valid Python given `from brian2 import *`.
///
/// Each dimension has one fixed unit (mV, pA, ms, pF, nS, Hz, Mohm, nS/mV, uF/cm2,
/// msiemens/cm2, ...) so generated scripts read like Brian2's own examples. Only names that
/// Brian2 has exported for a long time are used (`msiemens` rather than `mS`, which older
/// releases lack; `mole/metre**3`, which is exactly mM, as `mM`/`mmolar` are not in all
/// releases). A dimension without a name is written in SI base units
/// (`(2.0*kilogram*metre**2*second**-3)`), which Brian2 also understands.
pub fn brian2_expr(q: &Quantity) -> String {
    if q.dim == Dimension::DIMENSIONLESS {
        return format!("({})", code_number(q.si));
    }
    if let Some((unit, python)) = info(q.dim).and_then(|i| i.brian2) {
        if let Ok(v) = q.value_in(unit) {
            return format!("({}*{python})", code_number(v));
        }
    }
    let mut expr = format!("({}", code_number(q.si));
    for ((_, name), e) in BASE_SYMBOLS.iter().zip(q.dim.exponents()) {
        match e {
            0 => {}
            1 => expr.push_str(&format!("*{name}")),
            _ => expr.push_str(&format!("*{name}**{e}")),
        }
    }
    expr.push(')');
    expr
}

/// A NeuroML/LEMS value, e.g. `-65.0mV`, `0.1nA`, `2.0nS`, `0.03per_ms`, `0.7nS_per_mV`,
/// `1.0uF_per_cm2`, `120.0mS_per_cm2`, written with NeuroML2's own unit names.
///
/// Each dimension has one fixed unit, the one [`Convention::unit_for`] gives for NeuroML
/// (rates always in `per_ms`, currents in `nA`, ...), so a generated file is consistent
/// whichever way the suite wrote each value. An error when NeuroML has no unit for the
/// dimension or the value is not finite.
pub fn neuroml_string(q: &Quantity) -> Result<String, UnitError> {
    if q.dim == Dimension::DIMENSIONLESS {
        return if q.si.is_finite() {
            Ok(code_number(q.si))
        } else {
            Err(UnitError::new(
                format!("{} is not a finite number", q.si),
                0,
            ))
        };
    }
    let Some(unit) = Convention::NeuroML.unit_for(q.dim) else {
        return Err(UnitError::new(
            format!("NeuroML has no unit for {}", q.dim.described()),
            0,
        ));
    };
    if !q.si.is_finite() {
        return Err(UnitError::new(
            format!("{} is not a finite number", q.si),
            0,
        ));
    }
    let v = q.value_in(unit)?;
    Ok(format!("{}{unit}", code_number(v)))
}

// ---------------------------------------------------------------------------------------------
// Per-dimension table

/// What every part of the module needs to know about a named dimension.
struct DimInfo {
    dim: Dimension,
    name: &'static str,
    /// A typical value, for "expected a voltage (e.g. `-65 mV`)".
    example: &'static str,
    /// The unit of `example`, for "write it with a unit, e.g. `-70 mV`" and `Display`.
    example_unit: &'static str,
    nest: Option<&'static str>,
    neuron: Option<&'static str>,
    /// (unit for [`parse_unit`], the same unit as a Python expression over Brian2's names).
    brian2: Option<(&'static str, &'static str)>,
    neuroml: Option<&'static str>,
}

#[allow(clippy::too_many_arguments)] // one row of a table, kept on one line
const fn di(
    dim: Dimension,
    name: &'static str,
    example: &'static str,
    example_unit: &'static str,
    nest: Option<&'static str>,
    neuron: Option<&'static str>,
    brian2: Option<(&'static str, &'static str)>,
    neuroml: Option<&'static str>,
) -> DimInfo {
    DimInfo {
        dim,
        name,
        example,
        example_unit,
        nest,
        neuron,
        brian2,
        neuroml,
    }
}

use Dimension as D;

#[rustfmt::skip]
const DIMS: &[DimInfo] = &[
    di(D::DIMENSIONLESS, "dimensionless", "0.5", "1", Some("1"), Some("1"), Some(("1", "1")), Some("1")),
    di(D::TIME, "time", "25 ms", "ms", Some("ms"), Some("ms"), Some(("ms", "ms")), Some("ms")),
    di(D::FREQUENCY, "frequency", "20 Hz", "Hz", Some("Hz"), Some("Hz"), Some(("Hz", "Hz")), Some("per_ms")),
    di(D::VOLTAGE, "voltage", "-65 mV", "mV", Some("mV"), Some("mV"), Some(("mV", "mV")), Some("mV")),
    di(D::CURRENT, "current", "0.1 nA", "nA", Some("pA"), Some("nA"), Some(("pA", "pA")), Some("nA")),
    di(D::CAPACITANCE, "capacitance", "100 pF", "pF", Some("pF"), Some("nF"), Some(("pF", "pF")), Some("pF")),
    di(D::CONDUCTANCE, "conductance", "2 nS", "nS", Some("nS"), Some("uS"), Some(("nS", "nS")), Some("nS")),
    di(D::RESISTANCE, "resistance", "100 MOhm", "MOhm", Some("MOhm"), Some("MOhm"), Some(("Mohm", "Mohm")), Some("Mohm")),
    di(D::CHARGE, "charge", "1 pC", "pC", Some("fC"), Some("pC"), Some(("pC", "pcoulomb")), Some("C")),
    di(D::LENGTH, "length", "10 um", "um", Some("um"), Some("um"), Some(("um", "um")), Some("um")),
    di(D::AREA, "area", "100 um2", "um2", Some("um2"), Some("um2"), Some(("um2", "um2")), Some("um2")),
    di(D::VOLUME, "volume", "1 um3", "um3", Some("um3"), Some("um3"), Some(("um3", "um3")), Some("um3")),
    di(D::SPECIFIC_CAPACITANCE, "specific capacitance", "1 uF/cm2", "uF/cm2", None, Some("uF/cm2"), Some(("uF/cm2", "uF/cm2")), Some("uF_per_cm2")),
    di(D::CONDUCTANCE_DENSITY, "conductance density", "120 mS/cm2", "mS/cm2", None, Some("S/cm2"), Some(("mS/cm2", "msiemens/cm2")), Some("mS_per_cm2")),
    di(D::CURRENT_DENSITY, "current density", "10 uA/cm2", "uA/cm2", None, Some("mA/cm2"), Some(("uA/cm2", "uA/cm2")), Some("uA_per_cm2")),
    di(D::CONDUCTANCE_PER_VOLTAGE, "conductance per voltage", "0.7 nS/mV", "nS/mV", Some("nS/mV"), Some("uS/mV"), Some(("nS/mV", "nS/mV")), Some("nS_per_mV")),
    di(D::RESISTIVITY, "resistivity", "100 ohm*cm", "ohm*cm", None, Some("ohm*cm"), Some(("ohm*cm", "ohm*cm")), Some("kohm_cm")),
    di(D::CONCENTRATION, "concentration", "5 mM", "mM", None, Some("mM"), Some(("mM", "mole/metre**3")), Some("mM")),
    di(D::AMOUNT, "amount of substance", "1 mol", "mol", None, None, Some(("mol", "mole")), None),
    di(D::TEMPERATURE, "temperature", "6.3 degC", "K", None, Some("K"), Some(("K", "kelvin")), Some("K")),
];

fn info(dim: Dimension) -> Option<&'static DimInfo> {
    DIMS.iter().find(|i| i.dim == dim)
}

// ---------------------------------------------------------------------------------------------
// Symbols

/// Prefixes and their powers of ten.
const PREFIXES: &[(&str, i32)] = &[
    ("f", -15),
    ("p", -12),
    ("n", -9),
    ("u", -6),
    ("µ", -6),
    ("μ", -6),
    ("m", -3),
    ("c", -2),
    ("k", 3),
    ("M", 6),
    ("G", 9),
];

const SMALL: &[&str] = &["f", "p", "n", "u", "µ", "μ", "m"];
const OHM_PREFIXES: &[&str] = &["k", "M", "G"];
const HZ_PREFIXES: &[&str] = &["m", "k", "M"];
const METRE_PREFIXES: &[&str] = &["n", "u", "µ", "μ", "m", "c"];

/// A base symbol: dimension, power of ten relative to SI, allowed prefixes, and the additive
/// offset to SI (only `degC`).
struct Symbol {
    symbol: &'static str,
    dim: Dimension,
    exp10: i32,
    prefixes: &'static [&'static str],
    offset: f64,
}

const fn sym(
    symbol: &'static str,
    dim: Dimension,
    exp10: i32,
    prefixes: &'static [&'static str],
) -> Symbol {
    Symbol {
        symbol,
        dim,
        exp10,
        prefixes,
        offset: 0.0,
    }
}

const SYMBOLS: &[Symbol] = &[
    sym("V", D::VOLTAGE, 0, SMALL),
    sym("A", D::CURRENT, 0, SMALL),
    sym("s", D::TIME, 0, SMALL),
    sym("S", D::CONDUCTANCE, 0, SMALL),
    sym("F", D::CAPACITANCE, 0, SMALL),
    sym("C", D::CHARGE, 0, SMALL),
    sym("Ohm", D::RESISTANCE, 0, OHM_PREFIXES),
    sym("ohm", D::RESISTANCE, 0, OHM_PREFIXES),
    // Greek capital omega and the ohm sign, which look the same.
    sym("\u{3A9}", D::RESISTANCE, 0, OHM_PREFIXES),
    sym("\u{2126}", D::RESISTANCE, 0, OHM_PREFIXES),
    // NeuroML's spelling of kilo-ohm (capital K, which is otherwise kelvin).
    sym("Kohm", D::RESISTANCE, 3, &[]),
    sym("Hz", D::FREQUENCY, 0, HZ_PREFIXES),
    sym("m", D::LENGTH, 0, METRE_PREFIXES),
    sym("mol", D::AMOUNT, 0, SMALL),
    // Molar = mol/L = 1000 mol/m³.
    sym("M", D::CONCENTRATION, 3, SMALL),
    sym("K", D::TEMPERATURE, 0, &[]),
    Symbol {
        symbol: "degC",
        dim: D::TEMPERATURE,
        exp10: 0,
        prefixes: &[],
        offset: 273.15,
    },
];

/// Spellings offered as "did you mean" suggestions, most common first (ties go to the first).
const SUGGESTIONS: &[&str] = &[
    "mV", "V", "uV", "nA", "pA", "uA", "mA", "A", "ms", "s", "us", "nS", "uS", "mS", "pS", "S",
    "pF", "nF", "uF", "F", "pC", "nC", "C", "Hz", "kHz", "MOhm", "kOhm", "GOhm", "Ohm", "ohm",
    "Mohm", "kohm", "um", "cm", "mm", "nm", "m", "mM", "uM", "nM", "M", "mol", "mmol", "K", "degC",
    "per_ms", "per_s",
];

fn resolve(atom: &str) -> Option<&'static Symbol> {
    if let Some(s) = SYMBOLS.iter().find(|s| s.symbol == atom) {
        return Some(s);
    }
    None
}

/// A resolved atom: power of ten, dimension, offset.
fn resolve_prefixed(atom: &str) -> Option<(i32, Dimension, f64)> {
    if let Some(s) = resolve(atom) {
        return Some((s.exp10, s.dim, s.offset));
    }
    for (p, exp) in PREFIXES {
        if let Some(rest) = atom.strip_prefix(p) {
            if let Some(s) = resolve(rest) {
                if s.prefixes.contains(p) {
                    return Some((s.exp10 + exp, s.dim, s.offset));
                }
            }
        }
    }
    None
}

/// The suggestion closest to `word`. Case is mostly ignored (`mv` → `mV`), with case-exact
/// similarity breaking ties (`msec` → `ms`, not `mS`).
fn nearest(word: &str) -> Option<&'static str> {
    let lower = word.to_lowercase();
    let mut best: Option<(&'static str, f64)> = None;
    for cand in SUGGESTIONS {
        let ci = strsim::normalized_damerau_levenshtein(&lower, &cand.to_lowercase());
        let cs = strsim::normalized_damerau_levenshtein(word, cand);
        let score = 0.9 * ci + 0.1 * cs;
        if ci >= 0.5 && best.is_none_or(|(_, b)| score > b) {
            best = Some((cand, score));
        }
    }
    best.map(|(c, _)| c)
}

// ---------------------------------------------------------------------------------------------
// Parsing

/// A parsed unit: SI value = number × 10^exp10 + offset.
#[derive(Debug, Clone, Copy)]
struct Unit {
    exp10: i32,
    dim: Dimension,
    offset: f64,
}

struct Parts {
    quantity: Quantity,
    /// Byte range of the number.
    number: (usize, usize),
    /// Where the unit starts, if there is one.
    unit_start: Option<usize>,
}

fn leading_ws(text: &str) -> usize {
    text.len() - text.trim_start().len()
}

fn skip_ws(text: &str, mut pos: usize) -> usize {
    while let Some(c) = text[pos..].chars().next() {
        if !c.is_whitespace() {
            break;
        }
        pos += c.len_utf8();
    }
    pos
}

fn parse_parts(text: &str) -> Result<Parts, UnitError> {
    let start = leading_ws(text);
    if start == text.len() {
        return Err(UnitError::new("empty value", 0)
            .with_help("write a number, with a unit if it has one, e.g. `-65 mV`"));
    }
    let (value, end) = scan_number(text, start)?;
    let unit_pos = skip_ws(text, end);
    if unit_pos == text.len() {
        return Ok(Parts {
            quantity: Quantity {
                si: value,
                dim: Dimension::DIMENSIONLESS,
            },
            number: (start, end),
            unit_start: None,
        });
    }
    let unit = parse_unit_expr(text, unit_pos, false)?;
    let si = shift10(value, unit.exp10) + unit.offset;
    if !si.is_finite() {
        return Err(UnitError::new(
            format!("`{}` is out of range", text.trim()),
            start,
        ));
    }
    Ok(Parts {
        quantity: Quantity { si, dim: unit.dim },
        number: (start, end),
        unit_start: Some(unit_pos),
    })
}

/// Scans a decimal number at `start` (`-65`, `1.5`, `.5`, `1e-3`, `+2E6`) and returns its
/// value and end; the exponent is only taken when digits follow, so `2 eV`-like text is left
/// to the unit parser.
fn scan_number(text: &str, start: usize) -> Result<(f64, usize), UnitError> {
    let b = text.as_bytes();
    let digits = |mut i: usize| {
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    let mut i = start;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let int_end = digits(i);
    let mut n_digits = int_end - i;
    i = int_end;
    if i < b.len() && b[i] == b'.' {
        let frac_end = digits(i + 1);
        n_digits += frac_end - (i + 1);
        i = frac_end;
    }
    if n_digits == 0 {
        let rest = text[start..].trim_start_matches(['+', '-']).to_lowercase();
        let word: String = rest.chars().take_while(|c| c.is_alphabetic()).collect();
        if matches!(word.as_str(), "nan" | "inf" | "infinity") {
            return Err(UnitError::new(
                format!("`{}` is not a finite number", text.trim()),
                start,
            ));
        }
        return Err(
            UnitError::new(format!("expected a number, found `{}`", text.trim()), start)
                .with_help("write the number first, e.g. `-65 mV`"),
        );
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        let exp_end = digits(j);
        if exp_end > j {
            i = exp_end;
        }
    }
    let literal = &text[start..i];
    match literal.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok((v, i)),
        _ => Err(UnitError::new(
            format!("`{literal}` is out of range for a number"),
            start,
        )),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Mul,
    Div,
}

/// Parses the unit expression occupying `text[start..]` (up to trailing whitespace). Offsets in
/// errors are into `text`. `allow_bare_one` accepts `1` for "no unit" (wanted by
/// [`parse_unit`], not after a number where `2 1` would be nonsense).
fn parse_unit_expr(text: &str, start: usize, allow_bare_one: bool) -> Result<Unit, UnitError> {
    let mut pos = skip_ws(text, start);
    let unit_start = pos;
    if pos == text.len() {
        return Err(
            UnitError::new("expected a unit", pos).with_help("write `1` for a plain number")
        );
    }
    let rest = &text[pos..];
    let mut op = Op::Mul;
    if let Some(after) = rest.strip_prefix('1') {
        let after_ws = skip_ws(text, pos + 1);
        if text[after_ws..].starts_with('/') {
            pos = after_ws;
        } else if allow_bare_one && after.trim().is_empty() {
            return Ok(Unit {
                exp10: 0,
                dim: Dimension::DIMENSIONLESS,
                offset: 0.0,
            });
        }
    }
    if text[pos..].starts_with('/') {
        op = Op::Div;
        pos = skip_ws(text, pos + 1);
    } else if text[pos..].starts_with("per_") {
        op = Op::Div;
        pos += "per_".len();
    }

    let mut acc = Unit {
        exp10: 0,
        dim: Dimension::DIMENSIONLESS,
        offset: 0.0,
    };
    let mut terms = 0;
    let mut affine: Option<(usize, bool)> = None; // (offset, used alone with power 1)
    loop {
        let atom_start = pos;
        while let Some(c) = text[pos..].chars().next() {
            if !c.is_alphabetic() {
                break;
            }
            pos += c.len_utf8();
        }
        let atom = &text[atom_start..pos];
        if atom.is_empty() {
            let found = match text[pos..].chars().next() {
                Some(c) => format!("`{c}`"),
                None => "the end".to_string(),
            };
            return Err(UnitError::new(
                format!("expected a unit symbol, found {found}"),
                pos,
            ));
        }
        let (power, after_power) = scan_power(text, pos)?;
        let Some((exp10, dim, offset)) = resolve_prefixed(atom) else {
            let mut err = UnitError::new(format!("unknown unit `{atom}`"), atom_start);
            if let Some(s) = nearest(atom) {
                let unit_text = text[unit_start..].trim_end();
                let rel = atom_start - unit_start;
                let fixed = format!(
                    "{}{s}{}",
                    &unit_text[..rel],
                    &unit_text[(rel + atom.len()).min(unit_text.len())..]
                );
                err.help = Some(format!("did you mean `{fixed}`?"));
            }
            return Err(err);
        };
        if offset != 0.0 {
            affine = Some((atom_start, power == 1 && op == Op::Mul));
        }
        pos = after_power;
        let too_complex = || {
            UnitError::new(
                format!("the unit `{}` is too complex", text[unit_start..].trim()),
                unit_start,
            )
        };
        let term_dim = dim.checked_pow(power).ok_or_else(too_complex)?;
        let term_exp = exp10.saturating_mul(i32::from(power));
        acc = match op {
            Op::Mul => Unit {
                exp10: acc.exp10.saturating_add(term_exp),
                dim: acc.dim.checked_mul(term_dim).ok_or_else(too_complex)?,
                offset,
            },
            Op::Div => Unit {
                exp10: acc.exp10.saturating_sub(term_exp),
                dim: acc.dim.checked_div(term_dim).ok_or_else(too_complex)?,
                offset,
            },
        };
        terms += 1;

        pos = skip_ws(text, pos);
        let Some(c) = text[pos..].chars().next() else {
            break;
        };
        match c {
            '/' => {
                op = Op::Div;
                pos = skip_ws(text, pos + 1);
            }
            '*' | '·' => {
                op = Op::Mul;
                pos = skip_ws(text, pos + c.len_utf8());
            }
            '_' if text[pos + 1..].starts_with("per_") => {
                op = Op::Div;
                pos += "_per_".len();
            }
            '_' => {
                op = Op::Mul;
                pos += 1;
            }
            _ => {
                return Err(UnitError::new(
                    format!("unexpected `{}` in unit", text[pos..].trim_end()),
                    pos,
                )
                .with_help("combine units with `/` or `*`, e.g. `nS/mV`"));
            }
        }
    }
    if let Some((at, alone)) = affine {
        if !(alone && terms == 1) {
            return Err(UnitError::new(
                "`degC` is an offset scale and can't be combined with other units",
                at,
            )
            .with_help("use `K` (the same size of degree) in compound units"));
        }
    } else {
        acc.offset = 0.0;
    }
    Ok(acc)
}

/// Scans an optional power after a symbol: `2`, `^2`, `^-1`, `²`, `³`. Returns (power, end).
fn scan_power(text: &str, pos: usize) -> Result<(i8, usize), UnitError> {
    let rest = &text[pos..];
    if let Some(c @ ('²' | '³')) = rest.chars().next() {
        return Ok((if c == '²' { 2 } else { 3 }, pos + c.len_utf8()));
    }
    let (neg, digits_at) = if let Some(r) = rest.strip_prefix('^') {
        match r.strip_prefix('-') {
            Some(_) => (true, pos + 2),
            None => (false, pos + 1),
        }
    } else {
        (false, pos)
    };
    let n = text[digits_at..]
        .bytes()
        .take_while(u8::is_ascii_digit)
        .count();
    if n == 0 {
        if digits_at != pos {
            return Err(UnitError::new("expected a power after `^`", digits_at));
        }
        return Ok((1, pos));
    }
    let end = digits_at + n;
    match text[digits_at..end].parse::<i8>() {
        Ok(p) if (1..=9).contains(&p) => Ok((if neg { -p } else { p }, end)),
        _ => Err(UnitError::new(
            format!("unsupported power `{}`", &text[digits_at..end]),
            digits_at,
        )
        .with_help("powers go from 1 to 9, e.g. `cm2` or `s^-1`")),
    }
}

// ---------------------------------------------------------------------------------------------
// Exact decimal scaling

/// 10^k as an f64, correctly rounded (0 or inf outside the f64 range).
fn pow10(k: i32) -> f64 {
    format!("1e{k}").parse().unwrap_or(f64::NAN)
}

/// `x × 10^k` computed on the shortest decimal representation of `x`, so that scaling by a
/// unit prefix yields the double nearest to the decimal the author wrote (`-65 mV` →
/// exactly `-0.065`), where multiplying by an inexact `1e-3` could be off by one ulp.
fn shift10(x: f64, k: i32) -> f64 {
    if k == 0 || x == 0.0 || !x.is_finite() {
        return x;
    }
    let repr = format!("{x:e}");
    let Some((mantissa, exp)) = repr.split_once('e') else {
        return x * pow10(k);
    };
    match exp.parse::<i64>() {
        Ok(e) => format!("{mantissa}e{}", e + i64::from(k))
            .parse()
            .unwrap_or(x * pow10(k)),
        Err(_) => x * pow10(k),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(a: f64, b: f64) -> bool {
        a == b || (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
    }

    #[track_caller]
    fn check(text: &str, si: f64, dim: Dimension) {
        let q = parse_quantity(text).unwrap_or_else(|e| panic!("{text:?}: {e:?}"));
        assert!(close(q.si, si), "{text:?}: {} != {si}", q.si);
        assert_eq!(q.dim, dim, "{text:?}");
    }

    #[test]
    fn parses_the_suite_forms() {
        check("-65 mV", -0.065, D::VOLTAGE);
        check("0.1 nA", 1e-10, D::CURRENT);
        check("25 ms", 0.025, D::TIME);
        check("2 nS", 2e-9, D::CONDUCTANCE);
        check("100 pF", 1e-10, D::CAPACITANCE);
        check("0.7 nS/mV", 7e-7, D::CONDUCTANCE_PER_VOLTAGE);
        check("0.03 /ms", 30.0, D::FREQUENCY);
        check("0.03 1/ms", 30.0, D::FREQUENCY);
        check("0.03/ms", 30.0, D::FREQUENCY);
        check("1 uF/cm2", 0.01, D::SPECIFIC_CAPACITANCE);
        check("120 mS/cm2", 1200.0, D::CONDUCTANCE_DENSITY);
        check("20 Hz", 20.0, D::FREQUENCY);
        check("1 kHz", 1000.0, D::FREQUENCY);
        check("1.5ms", 0.0015, D::TIME);
        check("-2 nS", -2e-9, D::CONDUCTANCE);
        check("1e-3 s", 1e-3, D::TIME);
        check("2E3 ms", 2.0, D::TIME);
        check("2e-3s", 2e-3, D::TIME);
        check("0.5", 0.5, D::DIMENSIONLESS);
        check("+5 mV", 0.005, D::VOLTAGE);
        check(".5 mV", 0.0005, D::VOLTAGE);
        check("5. mV", 0.005, D::VOLTAGE);
        check("  -65 mV  ", -0.065, D::VOLTAGE);
        check("-65\tmV", -0.065, D::VOLTAGE);
        check("1 µF/cm²", 0.01, D::SPECIFIC_CAPACITANCE);
        check("1 μF/cm^2", 0.01, D::SPECIFIC_CAPACITANCE);
        check("100 um2", 1e-10, D::AREA);
        check("10 um", 1e-5, D::LENGTH);
        check("1 cm", 0.01, D::LENGTH);
        check("1 m", 1.0, D::LENGTH);
        check("1 mm", 1e-3, D::LENGTH);
        check("1 m3", 1.0, D::VOLUME);
        check("5 mM", 5.0, D::CONCENTRATION);
        check("1 M", 1000.0, D::CONCENTRATION);
        check("2 uM", 2e-3, D::CONCENTRATION);
        check("1 mol_per_m3", 1.0, D::CONCENTRATION);
        check("100 MOhm", 1e8, D::RESISTANCE);
        check("100 Mohm", 1e8, D::RESISTANCE);
        check("10 kΩ", 1e4, D::RESISTANCE);
        check("10 Kohm", 1e4, D::RESISTANCE);
        check("1 GOhm", 1e9, D::RESISTANCE);
        check("35.4 ohm*cm", 0.354, D::RESISTIVITY);
        check("35.4 ohm·cm", 0.354, D::RESISTIVITY);
        check("0.0354 kohm_cm", 0.354, D::RESISTIVITY);
        check("1 pC", 1e-12, D::CHARGE);
        check("300 K", 300.0, D::TEMPERATURE);
        check("6.3 degC", 279.45, D::TEMPERATURE);
        check("0.03 per_ms", 30.0, D::FREQUENCY);
        check("2 per_s", 2.0, D::FREQUENCY);
        check("0.7 nS_per_mV", 7e-7, D::CONDUCTANCE_PER_VOLTAGE);
        check("1 uF_per_cm2", 0.01, D::SPECIFIC_CAPACITANCE);
        check("120 mS_per_cm2", 1200.0, D::CONDUCTANCE_DENSITY);
        check("10 uA/cm2", 0.1, D::CURRENT_DENSITY);
        check("1 s^-1", 1.0, D::FREQUENCY);
        check("1 nS / mV", 1e-6, D::CONDUCTANCE_PER_VOLTAGE);
        check("3 mV/ms", 3.0, D::VOLTAGE.div(D::TIME));
        check("1 mmol", 1e-3, D::AMOUNT);
        check("-0 mV", 0.0, D::VOLTAGE);
    }

    #[test]
    fn case_distinguishes_units() {
        check("1 ms", 1e-3, D::TIME);
        check("1 mS", 1e-3, D::CONDUCTANCE);
        check("1 m", 1.0, D::LENGTH);
        check("1 M", 1e3, D::CONCENTRATION);
        check("1 mM", 1.0, D::CONCENTRATION);
        check("1 MOhm", 1e6, D::RESISTANCE);
        for typo in ["1 Ms", "1 MV", "1 MS", "1 cS", "1 kV", "1 kms", "1 mK"] {
            assert!(parse_quantity(typo).is_err(), "{typo}");
        }
    }

    #[test]
    fn exact_decimal_scaling() {
        assert_eq!(parse_quantity("-65 mV").unwrap().si, -0.065);
        assert_eq!(parse_quantity("0.1 nA").unwrap().si, 1e-10);
        assert_eq!(
            parse_quantity("-65 mV").unwrap().value_in("mV").unwrap(),
            -65.0
        );
        assert_eq!(
            parse_quantity("0.7 nS/mV")
                .unwrap()
                .value_in("nS/mV")
                .unwrap(),
            0.7
        );
    }

    #[test]
    fn named_dimensions() {
        let u = |s: &str| parse_unit(s).unwrap().1;
        assert_eq!(D::DIMENSIONLESS, u("1"));
        assert_eq!(D::TIME, u("s"));
        assert_eq!(D::FREQUENCY, u("Hz"));
        assert_eq!(D::FREQUENCY, D::TIME.pow(-1));
        assert_eq!(D::VOLTAGE, u("V"));
        assert_eq!(
            D::VOLTAGE,
            Dimension {
                mass: 1,
                length: 2,
                time: -3,
                current: -1,
                temperature: 0,
                amount: 0
            }
        );
        assert_eq!(D::CURRENT, u("A"));
        assert_eq!(D::CAPACITANCE, u("F"));
        assert_eq!(D::CAPACITANCE, D::CHARGE.div(D::VOLTAGE));
        assert_eq!(D::CONDUCTANCE, u("S"));
        assert_eq!(D::CONDUCTANCE, D::CURRENT.div(D::VOLTAGE));
        assert_eq!(D::RESISTANCE, u("ohm"));
        assert_eq!(D::RESISTANCE, D::CONDUCTANCE.pow(-1));
        assert_eq!(D::CHARGE, u("C"));
        assert_eq!(D::CHARGE, D::CURRENT.mul(D::TIME));
        assert_eq!(D::LENGTH, u("m"));
        assert_eq!(D::AREA, D::LENGTH.pow(2));
        assert_eq!(D::VOLUME, u("m3"));
        assert_eq!(D::SPECIFIC_CAPACITANCE, D::CAPACITANCE.div(D::AREA));
        assert_eq!(D::CONDUCTANCE_DENSITY, D::CONDUCTANCE.div(D::AREA));
        assert_eq!(D::CURRENT_DENSITY, D::CURRENT.div(D::AREA));
        assert_eq!(D::CONDUCTANCE_PER_VOLTAGE, D::CONDUCTANCE.div(D::VOLTAGE));
        assert_eq!(D::RESISTIVITY, D::RESISTANCE.mul(D::LENGTH));
        assert_eq!(D::RESISTIVITY, D::RESISTANCE * D::LENGTH);
        assert_eq!(D::CONDUCTANCE_DENSITY, D::CONDUCTANCE / D::AREA);
        assert_eq!(D::CONCENTRATION, D::AMOUNT.div(D::VOLUME));
        assert_eq!(D::TEMPERATURE, u("K"));
        // Energy = V·A·s in base units.
        assert_eq!(
            D::VOLTAGE.mul(D::CURRENT).mul(D::TIME),
            Dimension {
                mass: 1,
                length: 2,
                time: -2,
                current: 0,
                temperature: 0,
                amount: 0
            }
        );
    }

    #[test]
    fn dimension_names() {
        assert_eq!(D::VOLTAGE.name(), "voltage");
        assert_eq!(D::CURRENT.name(), "current");
        assert_eq!(D::TIME.name(), "time");
        assert_eq!(D::FREQUENCY.name(), "frequency");
        assert_eq!(D::CONDUCTANCE_PER_VOLTAGE.name(), "conductance per voltage");
        assert_eq!(D::VOLTAGE.si_form(), "kg·m²·s⁻³·A⁻¹");
        assert_eq!(D::VOLTAGE.div(D::TIME).name(), "kg·m²·s⁻⁴·A⁻¹");
        assert_eq!(D::LENGTH.pow(12).div(D::TIME).name(), "m¹²·s⁻¹");
        assert_eq!(D::DIMENSIONLESS.si_form(), "1");
        assert_eq!(D::AREA.to_string(), "area");
        // Every table entry has a distinct dimension, so names are unambiguous.
        for (i, a) in DIMS.iter().enumerate() {
            for b in &DIMS[i + 1..] {
                assert_ne!(a.dim, b.dim, "{} / {}", a.name, b.name);
            }
        }
    }

    #[test]
    fn saturating_dimension_ops() {
        let big = D::LENGTH.pow(100);
        assert_eq!(big.length, 100);
        assert_eq!(big.mul(big).length, i8::MAX);
        assert_eq!(big.pow(-100).length, i8::MIN);
        assert_eq!(big.checked_mul(big), None);
        assert_eq!(
            D::LENGTH.checked_div(D::TIME),
            Some(Dimension {
                time: -1,
                ..D::LENGTH
            })
        );
    }

    #[test]
    fn conversions() {
        let q = |s: &str| parse_quantity(s).unwrap();
        assert_eq!(q("-65 mV").value_in("V").unwrap(), -0.065);
        assert_eq!(q("1 uF/cm2").value_in("F/m2").unwrap(), 0.01);
        assert_eq!(q("1 uF/cm2").value_in("F_per_m2").unwrap(), 0.01);
        assert!(close(q("0.7 nS/mV").value_in("S/V").unwrap(), 0.7e-6));
        assert_eq!(q("0.7 nS/mV").value_in("uS/mV").unwrap(), 7e-4);
        assert_eq!(q("0.03 /ms").value_in("Hz").unwrap(), 30.0);
        assert_eq!(q("20 Hz").value_in("per_ms").unwrap(), 0.02);
        assert_eq!(q("100 pA").value_in("nA").unwrap(), 0.1);
        assert_eq!(q("120 mS/cm2").value_in("S/cm2").unwrap(), 0.12);
        assert_eq!(q("5 mM").value_in("mol_per_m3").unwrap(), 5.0);
        assert_eq!(q("100 MOhm").value_in("Mohm").unwrap(), 100.0);
        assert!(close(q("6.3 degC").value_in("degC").unwrap(), 6.3));
        assert!(close(q("300 K").value_in("degC").unwrap(), 26.85));
        assert_eq!(q("0.5").value_in("1").unwrap(), 0.5);

        let err = q("-65 mV").value_in("pA").unwrap_err();
        assert_eq!(
            err.message,
            "cannot express a voltage in `pA`, which measures a current"
        );
        assert!(q("-65 mV").value_in("mv").is_err());
        assert!(q("1 ohm").value_in("").is_err());
    }

    #[test]
    fn parse_unit_factors() {
        let (f, d) = parse_unit("uF/cm2").unwrap();
        assert_eq!((f, d), (0.01, D::SPECIFIC_CAPACITANCE));
        assert_eq!(parse_unit("1/ms").unwrap(), (1000.0, D::FREQUENCY));
        assert_eq!(parse_unit("/ms").unwrap(), (1000.0, D::FREQUENCY));
        assert_eq!(parse_unit("per_ms").unwrap(), (1000.0, D::FREQUENCY));
        assert_eq!(parse_unit("mV").unwrap(), (1e-3, D::VOLTAGE));
        assert_eq!(
            parse_unit(" nS_per_mV ").unwrap(),
            (1e-6, D::CONDUCTANCE_PER_VOLTAGE)
        );
        assert_eq!(parse_unit("mM").unwrap(), (1.0, D::CONCENTRATION));
        assert_eq!(parse_unit("um2").unwrap(), (1e-12, D::AREA));
        let err = parse_unit("degC").unwrap_err();
        assert!(err.help.unwrap().contains("`K`"));
        assert!(parse_unit("").is_err());
        assert!(parse_unit("2").is_err());
    }

    #[test]
    fn missing_unit() {
        let err = parse_expecting("-65", D::VOLTAGE).unwrap_err();
        assert!(err.message.starts_with("missing unit"), "{}", err.message);
        assert_eq!(err.offset, 3);
        assert_eq!(
            err.help.as_deref(),
            Some("write it with a unit, e.g. `-65 mV`")
        );
        let err = parse_expecting("  0.7 ", D::CONDUCTANCE_PER_VOLTAGE).unwrap_err();
        assert_eq!(err.offset, 5);
        assert_eq!(
            err.help.as_deref(),
            Some("write it with a unit, e.g. `0.7 nS/mV`")
        );
        assert_eq!(
            parse_expecting("0.5", D::DIMENSIONLESS).unwrap(),
            Quantity {
                si: 0.5,
                dim: D::DIMENSIONLESS
            }
        );
    }

    #[test]
    fn wrong_dimension() {
        let err = parse_expecting("0.1 nA", D::VOLTAGE).unwrap_err();
        assert_eq!(
            err.message,
            "expected a voltage (e.g. `-65 mV`), found a current (`0.1 nA`)"
        );
        assert_eq!(err.offset, 4);
        assert!(err.help.is_some());

        let err = parse_expecting("  25ms", D::FREQUENCY).unwrap_err();
        assert_eq!(
            err.message,
            "expected a frequency (e.g. `20 Hz`), found a time (`25ms`)"
        );
        assert_eq!(err.offset, 4);

        let err = parse_expecting("120 mS/cm2", D::CONDUCTANCE).unwrap_err();
        assert!(err.help.unwrap().contains("density"));
        let err = parse_expecting("2 nS", D::CONDUCTANCE_DENSITY).unwrap_err();
        assert!(err.help.unwrap().contains("whole-cell"));

        let err = parse_expecting("-65 mV", D::DIMENSIONLESS).unwrap_err();
        assert_eq!(
            err.message,
            "expected a plain number, found a voltage (`-65 mV`)"
        );
        assert_eq!(err.offset, 4);

        let err = parse_expecting("1 mV/ms", D::AREA).unwrap_err();
        assert!(err.message.contains("an area"), "{}", err.message);
        assert!(
            err.message.contains("a quantity in kg·m²·s⁻⁴·A⁻¹"),
            "{}",
            err.message
        );

        assert!(parse_expecting("-65 mV", D::VOLTAGE).is_ok());
    }

    #[test]
    fn unknown_units_suggest() {
        let err = parse_quantity("-65 mv").unwrap_err();
        assert_eq!(err.message, "unknown unit `mv`");
        assert_eq!(err.offset, 4);
        assert_eq!(err.help.as_deref(), Some("did you mean `mV`?"));

        let err = parse_quantity("2 nSS").unwrap_err();
        assert_eq!(err.help.as_deref(), Some("did you mean `nS`?"));
        let err = parse_quantity("0.7 nS/mv").unwrap_err();
        assert_eq!(err.offset, 7);
        assert_eq!(err.help.as_deref(), Some("did you mean `nS/mV`?"));
        let err = parse_quantity("1 Ms").unwrap_err();
        assert_eq!(err.help.as_deref(), Some("did you mean `ms`?"));
        let err = parse_quantity("1 msec").unwrap_err();
        assert_eq!(err.help.as_deref(), Some("did you mean `ms`?"));
        let err = parse_quantity("1 MS").unwrap_err();
        assert_eq!(err.help.as_deref(), Some("did you mean `mS`?"));
        let err = parse_quantity("1 uf/cm2").unwrap_err();
        assert_eq!(err.help.as_deref(), Some("did you mean `uF/cm2`?"));
        let err = parse_quantity("1 xyzzy").unwrap_err();
        assert_eq!(err.help, None);
        let err = parse_quantity("1 mV ms").unwrap_err();
        assert_eq!(err.offset, 5);
    }

    #[test]
    fn rejects_non_values() {
        for (text, offset) in [
            ("", 0),
            ("   ", 0),
            ("NaN", 0),
            ("nan mV", 0),
            ("inf", 0),
            ("-inf ms", 0),
            ("Infinity", 0),
            (" 1e999 mV", 1),
            ("mV", 0),
            ("- 65 mV", 0),
            ("1 mV/", 5),
            ("1 //ms", 3),
            ("1 cm^", 5),
            ("1 cm0", 4),
            ("1 cm10", 4),
            ("1 degC/ms", 2),
            ("1 per_degC", 6),
            ("1 degC2", 2),
            ("1 2", 2),
            ("1e308 GOhm", 0),
        ] {
            let err = parse_quantity(text).expect_err(text);
            assert_eq!(err.offset, offset, "{text:?}: {err:?}");
        }
        assert!(parse_quantity("nan")
            .unwrap_err()
            .message
            .contains("finite"));
    }

    #[test]
    fn error_offsets_shift() {
        let err = parse_quantity("1 mv").unwrap_err().offset_by(10);
        assert_eq!(err.offset, 12);
    }

    #[test]
    fn code_numbers() {
        assert_eq!(code_number(-65.0), "-65.0");
        assert_eq!(code_number(1e-5), "1e-5");
        assert_eq!(code_number(0.1), "0.1");
        assert_eq!(code_number(1.5e20), "1.5e20");
        assert_eq!(code_number(f64::INFINITY), "1e999");
        assert_eq!(code_number(f64::NEG_INFINITY), "-1e999");
        assert!(!code_number(f64::NAN).contains("nan"));
    }

    fn q(text: &str) -> Quantity {
        parse_quantity(text).unwrap()
    }

    #[test]
    fn brian2_expressions() {
        assert_eq!(brian2_expr(&q("-65 mV")), "(-65.0*mV)");
        assert_eq!(brian2_expr(&q("0.1 nA")), "(100.0*pA)");
        assert_eq!(brian2_expr(&q("25 ms")), "(25.0*ms)");
        assert_eq!(brian2_expr(&q("100 pF")), "(100.0*pF)");
        assert_eq!(brian2_expr(&q("2 nS")), "(2.0*nS)");
        assert_eq!(brian2_expr(&q("-2 nS")), "(-2.0*nS)");
        assert_eq!(brian2_expr(&q("20 Hz")), "(20.0*Hz)");
        assert_eq!(brian2_expr(&q("0.03 /ms")), "(30.0*Hz)");
        assert_eq!(brian2_expr(&q("0.7 nS/mV")), "(0.7*nS/mV)");
        assert_eq!(brian2_expr(&q("1 uF/cm2")), "(1.0*uF/cm2)");
        assert_eq!(brian2_expr(&q("120 mS/cm2")), "(120.0*msiemens/cm2)");
        assert_eq!(brian2_expr(&q("100 MOhm")), "(100.0*Mohm)");
        assert_eq!(brian2_expr(&q("5 mM")), "(5.0*mole/metre**3)");
        assert_eq!(brian2_expr(&q("300 K")), "(300.0*kelvin)");
        assert_eq!(brian2_expr(&q("0.5")), "(0.5)");
        assert_eq!(brian2_expr(&q("1e-5")), "(1e-5)");
        assert_eq!(
            brian2_expr(&q("2 V/s")),
            "(2.0*kilogram*metre**2*second**-4*amp**-1)"
        );
    }

    #[test]
    fn neuroml_strings() {
        let n = |s: &str| neuroml_string(&q(s)).unwrap();
        assert_eq!(n("-65 mV"), "-65.0mV");
        assert_eq!(n("0.1 nA"), "0.1nA");
        assert_eq!(n("100 pA"), "0.1nA");
        assert_eq!(n("25 ms"), "25.0ms");
        assert_eq!(n("100 pF"), "100.0pF");
        assert_eq!(n("2 nS"), "2.0nS");
        assert_eq!(n("0.03 /ms"), "0.03per_ms");
        assert_eq!(n("20 Hz"), "0.02per_ms");
        assert_eq!(n("0.7 nS/mV"), "0.7nS_per_mV");
        assert_eq!(n("1 uF/cm2"), "1.0uF_per_cm2");
        assert_eq!(n("120 mS/cm2"), "120.0mS_per_cm2");
        assert_eq!(n("100 MOhm"), "100.0Mohm");
        assert_eq!(n("35.4 ohm*cm"), "0.0354kohm_cm");
        assert_eq!(n("0.5"), "0.5");
        assert_eq!(n("1e-9 mV"), "1e-9mV");
        let err = neuroml_string(&q("2 V/s")).unwrap_err();
        assert!(
            err.message.contains("NeuroML has no unit"),
            "{}",
            err.message
        );
        assert!(neuroml_string(&Quantity {
            si: f64::NAN,
            dim: D::VOLTAGE
        })
        .is_err());
    }

    #[test]
    fn conventions() {
        use Convention::*;
        let cases: &[(Dimension, [Option<&str>; 4])] = &[
            (D::VOLTAGE, [Some("mV"), Some("mV"), Some("mV"), Some("mV")]),
            (D::CURRENT, [Some("pA"), Some("nA"), Some("pA"), Some("nA")]),
            (D::TIME, [Some("ms"), Some("ms"), Some("ms"), Some("ms")]),
            (
                D::CAPACITANCE,
                [Some("pF"), Some("nF"), Some("pF"), Some("pF")],
            ),
            (
                D::CONDUCTANCE,
                [Some("nS"), Some("uS"), Some("nS"), Some("nS")],
            ),
            (
                D::FREQUENCY,
                [Some("Hz"), Some("Hz"), Some("Hz"), Some("per_ms")],
            ),
            (
                D::RESISTANCE,
                [Some("MOhm"), Some("MOhm"), Some("Mohm"), Some("Mohm")],
            ),
            (
                D::CONDUCTANCE_PER_VOLTAGE,
                [
                    Some("nS/mV"),
                    Some("uS/mV"),
                    Some("nS/mV"),
                    Some("nS_per_mV"),
                ],
            ),
            (
                D::SPECIFIC_CAPACITANCE,
                [None, Some("uF/cm2"), Some("uF/cm2"), Some("uF_per_cm2")],
            ),
            (
                D::CONDUCTANCE_DENSITY,
                [None, Some("S/cm2"), Some("mS/cm2"), Some("mS_per_cm2")],
            ),
            (
                D::CURRENT_DENSITY,
                [None, Some("mA/cm2"), Some("uA/cm2"), Some("uA_per_cm2")],
            ),
            (D::LENGTH, [Some("um"), Some("um"), Some("um"), Some("um")]),
            (
                D::AREA,
                [Some("um2"), Some("um2"), Some("um2"), Some("um2")],
            ),
            (D::CONCENTRATION, [None, Some("mM"), Some("mM"), Some("mM")]),
            (D::TEMPERATURE, [None, Some("K"), Some("K"), Some("K")]),
            (
                D::DIMENSIONLESS,
                [Some("1"), Some("1"), Some("1"), Some("1")],
            ),
        ];
        for (dim, units) in cases {
            for (conv, unit) in [Nest, Neuron, Brian2, NeuroML].into_iter().zip(units) {
                assert_eq!(conv.unit_for(*dim), *unit, "{conv:?} {}", dim.name());
            }
        }
        assert_eq!(Nest.unit_for(D::VOLTAGE.div(D::TIME)), None);
        // NEURON's point-process units are consistent: uS·mV = nA, nF·mV = pC.
        let f = |u: &str| parse_unit(u).unwrap().0;
        assert!(close(f("uS") * f("mV"), f("nA")));
        assert!(close(f("nF") * f("mV"), f("pC")));
    }

    #[test]
    fn every_table_unit_parses_with_its_dimension() {
        for i in DIMS {
            let units = [
                i.nest,
                i.neuron,
                i.brian2.map(|b| b.0),
                i.neuroml,
                Some(i.example_unit),
            ];
            for u in units.into_iter().flatten() {
                let (_, d) = parse_unit(u).unwrap_or_else(|e| panic!("{u}: {e}"));
                assert_eq!(d, i.dim, "{u}");
            }
            let example = parse_quantity(i.example).unwrap();
            assert_eq!(example.dim, i.dim, "{}", i.example);
        }
    }

    #[test]
    fn display() {
        assert_eq!(q("-65 mV").to_string(), "-65.0 mV");
        assert_eq!(q("0.7 nS/mV").to_string(), "0.7 nS/mV");
        assert_eq!(q("0.5").to_string(), "0.5");
    }

    const UNITS: &[&str] = &[
        "mV",
        "V",
        "nA",
        "pA",
        "uA",
        "ms",
        "s",
        "us",
        "pF",
        "nF",
        "uF",
        "nS",
        "uS",
        "mS",
        "S",
        "Hz",
        "kHz",
        "/ms",
        "1/ms",
        "per_ms",
        "per_s",
        "nS/mV",
        "nS_per_mV",
        "uF/cm2",
        "uF_per_cm2",
        "mS/cm2",
        "mS_per_cm2",
        "S/cm2",
        "mA/cm2",
        "MOhm",
        "Mohm",
        "kohm",
        "um",
        "cm",
        "um2",
        "cm2",
        "m2",
        "mM",
        "uM",
        "M",
        "mol_per_m3",
        "K",
        "pC",
        "ohm*cm",
        "s^-1",
    ];

    proptest! {
        #[test]
        fn code_number_round_trips(x in any::<f64>().prop_filter("finite", |x| x.is_finite())) {
            let s = code_number(x);
            prop_assert_eq!(s.parse::<f64>().unwrap(), x);
            prop_assert!(!s.contains("inf") && !s.contains("NaN") && !s.contains('+'));
        }

        #[test]
        fn value_in_round_trips(
            v in any::<f64>().prop_filter("moderate", |v| *v == 0.0 || (v.abs() > 1e-250 && v.abs() < 1e250)),
            unit in prop::sample::select(UNITS),
        ) {
            let q = parse_quantity(&format!("{v} {unit}")).unwrap();
            let back = q.value_in(unit).unwrap();
            prop_assert!(close(back, v), "{} {} -> {:?} -> {}", v, unit, q, back);
            // Without a space, except where the unit's `1` would extend the exponent.
            let sep = if unit.starts_with('1') { " " } else { "" };
            let q2 = parse_quantity(&format!("{v:e}{sep}{unit}")).unwrap();
            prop_assert_eq!(q, q2);
        }

        #[test]
        fn generated_strings_parse_back(
            v in -1e6f64..1e6,
            unit in prop::sample::select(UNITS),
        ) {
            let q = parse_quantity(&format!("{v} {unit}")).unwrap();
            if let Ok(s) = neuroml_string(&q) {
                let back = parse_quantity(&s).unwrap();
                prop_assert!(close(back.si, q.si) && back.dim == q.dim, "{} vs {:?}", s, q);
            }
            prop_assert!(brian2_expr(&q).starts_with('('));
        }

        #[test]
        fn arbitrary_text_never_panics(text in ".{0,40}") {
            let _ = parse_quantity(&text);
            let _ = parse_unit(&text);
            let _ = parse_expecting(&text, D::VOLTAGE);
            let _ = q("1 mV").value_in(&text);
        }

        #[test]
        fn unit_like_text_never_panics(text in "[-+0-9. eE/*^_µμΩ²³a-zA-Z]{0,20}") {
            for t in [text.clone(), format!("1 {text}"), format!("-2.5e3{text}")] {
                if let Ok(q) = parse_quantity(&t) {
                    prop_assert!(q.si.is_finite());
                    let _ = brian2_expr(&q);
                    let _ = neuroml_string(&q);
                    let _ = q.to_string();
                }
                let _ = parse_unit(&t);
                if let Err(e) = parse_expecting(&t, D::CONDUCTANCE) {
                    prop_assert!(e.offset <= t.len());
                }
            }
        }
    }
}
