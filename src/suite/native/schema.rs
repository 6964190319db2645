//! The JSON Schema (draft 2020-12) of the suite format, for editors (YAML language servers
//! validate and complete `*.crosscheck.yaml` with it).
//!
//! Generated from the same tables the loader reads (the cell library, the loader's key lists,
//! features, statistics and simulators) rather than written by hand, so it cannot drift from
//! what the loader accepts. `docs/suite.schema.json` is this function's output; a test fails
//! when the two differ (regenerate with `UPDATE_SCHEMA=1 cargo test --lib schema`). The schema
//! is a helpful approximation: checks that need the whole suite (dimensions of weights, names
//! resolving to populations, cell indices within sizes) are the loader's alone.

use serde_json::{json, Map, Value};

use super::library::{CellKind, ParamSpec, CELL_TYPES, PASSIVE_CABLE};
use super::load::{
    example_unit, ANALYTIC_KEYS, ANALYTIC_SPIKE_KEYS, ANALYTIC_STEADY_KEYS, ANALYTIC_TRACE_KEYS,
    CHECKS_KEYS, CONVERGENCE_KEYS, FEATURE_KEYS, MAX_POPULATION_SIZE, MODEL_KEYS, POPULATION_KEYS,
    PROJECTION_KEYS, RECORD_KEYS, RULES_KEYS, SIMULATION_KEYS, STATISTIC_KEYS, STEP_KEYS,
    SWEEP_KEYS, TOP_KEYS, TRACE_KEYS,
};
use super::{Feature, Simulator, Statistic};
use crate::suite::units::Dimension;

/// A number, optionally signed, with optional fraction and exponent.
const NUMBER: &str = r"[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?";

/// `<number> <unit>`: the unit itself is checked by the loader.
fn quantity_pattern() -> String {
    format!(r"^\s*{NUMBER}\s*[^-+.0-9\s][^\n]*$")
}

/// A quantity of dimension `dim`, described for editors' hover text.
fn quantity(dim: Dimension, what: &str, example: Option<&str>) -> Value {
    if dim == Dimension::DIMENSIONLESS {
        return json!({
            "type": ["number", "string"],
            "pattern": format!(r"^\s*{NUMBER}\s*$"),
            "description": format!("{what}: a plain number"),
        });
    }
    let example = example
        .map(str::to_string)
        .or_else(|| example_unit(dim).map(|u| format!("1 {u}")));
    // Dimensions the units module has no name for read as their SI form.
    let kind = match dim.name() {
        name if name == dim.si_form() => format!("a quantity of dimension {name}"),
        name => format!("a {name}"),
    };
    let description = match example {
        Some(e) => format!("{what}: {kind} with its unit, e.g. `{e}`"),
        None => format!("{what}: {kind} with its unit"),
    };
    json!({"type": "string", "pattern": quantity_pattern(), "description": description})
}

/// A quantity whose dimension the loader works out from context.
fn any_quantity(description: &str) -> Value {
    json!({"type": "string", "pattern": quantity_pattern(), "description": description})
}

fn object(properties: Map<String, Value>, required: &[&str]) -> Value {
    json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

/// Properties for exactly `keys`, each from `schema` (so a key added to the loader without a
/// schema shows up as an empty schema, caught by the tests).
fn properties(keys: &[&str], schema: impl Fn(&str) -> Option<Value>) -> Map<String, Value> {
    keys.iter()
        .map(|k| (k.to_string(), schema(k).unwrap_or_else(|| json!({}))))
        .collect()
}

fn identifier() -> Value {
    json!({"$ref": "#/$defs/identifier"})
}

fn time(what: &str) -> Value {
    quantity(Dimension::TIME, what, None)
}

fn param(kind: &CellKind, spec: &ParamSpec) -> Value {
    let what = format!("{} (default {})", spec.doc, spec.default);
    let value = quantity(spec.dimension, &what, Some(spec.default));
    // Each cell's initial potential may be drawn, except a cable's: the exact cable answer
    // starts from rest everywhere, and neither cable engine draws one per cell.
    if spec.name == "v_init" && kind.name != PASSIVE_CABLE {
        json!({
            "anyOf": [value, normal(spec.dimension, "each cell's initial potential, drawn by each simulator from the seed")],
            "description": format!("{what}; or a normal distribution, drawn per cell"),
        })
    } else {
        value
    }
}

/// `{normal: {mean, sd}}`: drawn per cell or per synapse.
fn normal(dim: Dimension, what: &str) -> Value {
    normal_of(
        quantity(dim, "mean", None),
        quantity(dim, "standard deviation (zero or positive)", None),
        what,
    )
}

fn normal_of(mean: Value, sd: Value, what: &str) -> Value {
    let mut schema = object(
        properties(&["normal"], |_| {
            Some(object(
                properties(super::load::NORMAL_KEYS, |k| match k {
                    "mean" => Some(mean.clone()),
                    _ => Some(sd.clone()),
                }),
                super::load::NORMAL_KEYS,
            ))
        }),
        &["normal"],
    );
    schema["description"] = json!(what);
    schema
}

/// `if cell == kind then parameters/spike_times as the kind allows`.
fn per_cell(kind: &CellKind) -> Value {
    let params: Map<String, Value> = kind
        .params
        .iter()
        .map(|p| (p.name.to_string(), param(kind, p)))
        .collect();
    let mut then = json!({
        "properties": {
            "parameters": {"type": ["object", "null"], "properties": params, "additionalProperties": false},
        },
    });
    if kind.name == "spike_source" {
        then["required"] = json!(["spike_times"]);
    } else {
        then["not"] = json!({"required": ["spike_times"]});
    }
    json!({
        "if": {"properties": {"cell": {"const": kind.name}}, "required": ["cell"]},
        "then": then,
    })
}

fn population() -> Value {
    let names: Vec<&str> = CELL_TYPES.iter().map(|k| k.name).collect();
    let docs: Vec<String> = CELL_TYPES
        .iter()
        .map(|k| format!("`{}`: {}", k.name, k.doc))
        .collect();
    let times = json!({"type": "array", "items": time("spike time")});
    let mut schema = object(
        properties(POPULATION_KEYS, |k| match k {
            "cell" => Some(json!({"enum": names, "description": docs.join("\n")})),
            "size" => {
                Some(json!({"type": "integer", "minimum": 1, "maximum": MAX_POPULATION_SIZE}))
            }
            "parameters" => Some(
                json!({"type": ["object", "null"], "description": "parameters of the cell type; others take their defaults"}),
            ),
            "spike_times" => Some(json!({
                "anyOf": [times, {"type": "array", "items": times}],
                "description": "spike_source only: one list for every cell, or one list per cell",
            })),
            _ => None,
        }),
        &["cell", "size"],
    );
    schema["allOf"] = CELL_TYPES.iter().map(per_cell).collect();
    schema
}

fn cells() -> Value {
    json!({
        "anyOf": [
            {"const": "all"},
            {"type": "array", "minItems": 1, "uniqueItems": true, "items": {"type": "integer", "minimum": 0}},
        ],
        "description": "`all` (default) or a list of cell indices",
    })
}

fn connector() -> Value {
    let allow = json!({"type": "boolean"});
    json!({
        "oneOf": [
            {"enum": ["all_to_all", "one_to_one"]},
            object(
                properties(&["all_to_all"], |_| Some(json!({
                    "type": ["object", "null"],
                    "properties": {"allow_self_connections": allow},
                    "additionalProperties": false,
                }))),
                &["all_to_all"],
            ),
            object(properties(&["one_to_one"], |_| Some(json!({"type": "null"}))), &["one_to_one"]),
            object(
                properties(super::load::FIXED_PROBABILITY_KEYS, |k| match k {
                    "fixed_probability" => Some(json!({"type": "number", "minimum": 0, "maximum": 1})),
                    "seed" => Some(json!({"type": "integer", "minimum": 0, "description": "default: the simulation's seed"})),
                    "allow_self_connections" => Some(allow.clone()),
                    _ => None,
                }),
                &["fixed_probability"],
            ),
            object(
                properties(super::load::FIXED_INDEGREE_KEYS, |k| match k {
                    "fixed_indegree" => Some(json!({"type": "integer", "minimum": 1, "maximum": super::load::MAX_CONNECTIONS, "description": "inputs per target cell"})),
                    "seed" => Some(json!({"type": "integer", "minimum": 0, "description": "default: the simulation's seed"})),
                    "allow_self_connections" => Some(allow.clone()),
                    "allow_multapses" => Some(json!({"type": "boolean", "description": "the same pair may be drawn more than once (default true, as NEST)"})),
                    _ => None,
                }),
                &["fixed_indegree"],
            ),
            object(
                properties(super::load::FIXED_TOTAL_NUMBER_KEYS, |k| match k {
                    "fixed_total_number" => Some(json!({"type": "integer", "minimum": 1, "maximum": super::load::MAX_CONNECTIONS, "description": "connections in all (pairs drawn uniformly, repeats allowed)"})),
                    "seed" => Some(json!({"type": "integer", "minimum": 0, "description": "default: the simulation's seed"})),
                    "allow_self_connections" => Some(allow.clone()),
                    _ => None,
                }),
                &["fixed_total_number"],
            ),
        ],
    })
}

fn projection() -> Value {
    object(
        properties(PROJECTION_KEYS, |k| match k {
            "from" | "to" => Some(identifier()),
            "connector" => Some(connector()),
            "receptor" => Some(json!({"enum": super::load::RECEPTORS})),
            "weight" => {
                let weight = any_quantity("positive; a current, conductance or voltage, as the target cell's synapse takes (see the cell types)");
                Some(
                    json!({"anyOf": [weight.clone(), normal_of(weight.clone(), weight, "per synapse, redrawn until it keeps the receptor's sign; needs `connectivity: simulator`")]}),
                )
            }
            "delay" => {
                let delay = time("synaptic delay, at least dt");
                Some(
                    json!({"anyOf": [delay, normal(Dimension::TIME, "per synapse, redrawn until at least half a step; needs `connectivity: simulator`")]}),
                )
            }
            _ => None,
        }),
        PROJECTION_KEYS,
    )
}

fn stimulus() -> Value {
    let step = object(
        properties(STEP_KEYS, |k| match k {
            "target" => Some(identifier()),
            "cells" => Some(cells()),
            "amplitude" => Some(quantity(Dimension::CURRENT, "injected current", None)),
            "start" | "stop" => Some(time(k)),
            _ => None,
        }),
        &["target", "amplitude", "start", "stop"],
    );
    let poisson = object(
        properties(super::load::POISSON_KEYS, |k| {
            match k {
            "target" => Some(identifier()),
            "rate" => Some(quantity(
                Dimension::FREQUENCY,
                "events per second into each cell",
                Some("20 kHz"),
            )),
            "weight" => Some(any_quantity(
                "positive; the target cell's synapse weight (see the cell types)",
            )),
            "receptor" => Some(json!({"enum": super::load::RECEPTORS})),
            "delay" => Some(time("when the events reach the cells on NEST (default one step; statistically irrelevant elsewhere)")),
            _ => None,
        }
        }),
        &["target", "rate", "weight", "receptor"],
    );
    json!({
        "oneOf": [
            object(properties(&["step"], |_| Some(step.clone())), &["step"]),
            object(properties(&["poisson"], |_| Some(poisson.clone())), &["poisson"]),
        ],
    })
}

fn recording() -> Value {
    let mut variables = vec!["spikes"];
    for kind in CELL_TYPES {
        for v in kind.state_variables {
            if !variables.contains(&v.name) {
                variables.push(v.name);
            }
        }
    }
    object(
        properties(RECORD_KEYS, |k| match k {
            "population" => Some(identifier()),
            "variables" => Some(json!({
                "type": "array", "minItems": 1, "uniqueItems": true,
                "items": {"enum": variables},
                "description": "`spikes` and the cell type's state variables",
            })),
            "cells" => Some(cells()),
            _ => None,
        }),
        &["population", "variables"],
    )
}

fn rules() -> Value {
    let bound = any_quantity("in the variable's unit");
    let trace = object(properties(TRACE_KEYS, |_| Some(bound.clone())), &[]);
    let mut trace = trace;
    trace["minProperties"] = json!(1);
    object(
        properties(RULES_KEYS, |k| match k {
            "spikes" => Some(object(
                properties(&["window"], |_| {
                    Some(time("spikes match within this window"))
                }),
                &["window"],
            )),
            "traces" => Some(json!({"type": "object", "additionalProperties": trace})),
            _ => None,
        }),
        &[],
    )
}

/// `expected`/`tolerance` schemas for a value of dimension `dim` (`integer`: spike counts).
fn expected_and_tolerance(dim: Dimension, integer: bool, sweepable: bool) -> Value {
    let one = if integer {
        json!({"type": "integer", "minimum": 0})
    } else {
        quantity(dim, "expected value", None)
    };
    let expected = if sweepable {
        json!({"anyOf": [one, {"type": "array", "minItems": 1, "items": one}], "description": "one value, or one per sweep point"})
    } else {
        one
    };
    json!({"properties": {"expected": expected, "tolerance": quantity(dim, "absolute tolerance", None)}})
}

fn feature() -> Value {
    let names: Vec<&str> = Feature::ALL.iter().map(|f| f.name()).collect();
    let mut schema = object(
        properties(FEATURE_KEYS, |k| match k {
            "feature" => Some(json!({"enum": names})),
            "population" => Some(identifier()),
            "cell" => Some(json!({"type": "integer", "minimum": 0, "description": "default 0"})),
            _ => Some(json!({})),
        }),
        &["feature", "population", "expected", "tolerance"],
    );
    schema["allOf"] = Feature::ALL
        .iter()
        .map(|f| {
            json!({
                "if": {"properties": {"feature": {"const": f.name()}}, "required": ["feature"]},
                "then": expected_and_tolerance(f.dimension(), *f == Feature::SpikeCount, true),
            })
        })
        .collect();
    schema
}

fn statistic() -> Value {
    let names: Vec<&str> = Statistic::ALL.iter().map(|s| s.name()).collect();
    let mut schema = object(
        properties(STATISTIC_KEYS, |k| match k {
            "statistic" => Some(json!({"enum": names})),
            "population" => Some(identifier()),
            "start" => Some(time(
                "computed from this time on (default 0 ms): leaves out the opening transient",
            )),
            _ => Some(json!({})),
        }),
        &["statistic", "population"],
    );
    schema["oneOf"] = json!([
        {"required": ["expected", "tolerance"], "not": {"anyOf": [{"required": ["min"]}, {"required": ["max"]}]}},
        {"anyOf": [{"required": ["min"]}, {"required": ["max"]}], "not": {"anyOf": [{"required": ["expected"]}, {"required": ["tolerance"]}]}},
    ]);
    schema["allOf"] = Statistic::ALL
        .iter()
        .map(|s| {
            let mut then = expected_and_tolerance(s.dimension(), false, false);
            for bound in ["min", "max"] {
                then["properties"][bound] =
                    quantity(s.dimension(), &format!("{bound}imum allowed"), None);
            }
            json!({
                "if": {"properties": {"statistic": {"const": s.name()}}, "required": ["statistic"]},
                "then": then,
            })
        })
        .collect();
    schema
}

fn distributions() -> Value {
    let engines: Vec<&str> = Simulator::ALL.iter().map(|s| s.name()).collect();
    let names: Vec<&str> = super::Distribution::ALL.iter().map(|d| d.name()).collect();
    let mut schema = object(
        properties(super::load::DISTRIBUTION_KEYS, |k| match k {
            "reference" => Some(
                json!({"enum": engines, "description": "the engine whose seed-to-seed spread calibrates the comparison"}),
            ),
            "seeds" => Some(
                json!({"type": "array", "minItems": 1, "maxItems": 20, "uniqueItems": true, "items": {"type": "integer", "minimum": 0}, "description": "seeds `bless` runs the reference engine at, besides the suite's"}),
            ),
            "statistics" => Some(
                json!({"type": "array", "minItems": 1, "items": {"enum": names}, "description": "per-neuron statistics whose distributions are compared"}),
            ),
            "start" => Some(time("computed from this time on (default 0 ms)")),
            "margin" => Some(
                json!({"type": "number", "minimum": 1, "maximum": 10, "description": "an engine agrees when its KS distance is at most this times the largest seed-to-seed distance (default 1.5)"}),
            ),
            _ => None,
        }),
        &["reference", "seeds", "statistics"],
    );
    schema["description"] = json!("each engine's per-neuron distributions against the reference engine's blessed ones, by KS distance, passing within the reference's seed-to-seed spread");
    schema
}

fn published() -> Value {
    let engines: Vec<&str> = Simulator::ALL.iter().map(|s| s.name()).collect();
    let mut schema = object(
        properties(super::load::PUBLISHED_KEYS, |k| {
            match k {
            "source" => Some(json!({"type": "string", "description": "where the figures come from, with the scale and conditions (shown in the report)"})),
            "start" => Some(time("spikes counted from this time (included; default 0 ms)")),
            "stop" => Some(time("spikes counted up to this time (included; default the end)")),
            "tolerance" => Some(quantity(Dimension::FREQUENCY, "absolute tolerance (half a unit of the figures' last digit for an exact reproduction)", None)),
            "engines" => Some(json!({"type": "array", "minItems": 1, "uniqueItems": true, "items": {"enum": engines}, "description": "engines held to the figures; the others show them in the report"})),
            "mean_rate" => Some(json!({"type": "object", "minProperties": 1, "additionalProperties": quantity(Dimension::FREQUENCY, "published mean rate of the population", None), "description": "population name to published mean rate"})),
            _ => None,
        }
        }),
        &["source", "tolerance", "engines", "mean_rate"],
    );
    schema["description"] = json!("published mean rates of the model at this scale, judged on `engines` and drawn on the report's rate bars");
    schema
}

fn analytic() -> Value {
    let positive =
        |what: &str| json!({"type": "number", "exclusiveMinimum": 0, "description": what});
    let mut v = object(
        properties(ANALYTIC_TRACE_KEYS, |k| match k {
            "rms_relative" => Some(positive(
                "largest ‖sim − exact‖₂ / ‖exact‖₂ of the deflection from rest",
            )),
            "max_relative" => Some(positive(
                "largest max|sim − exact| / max|exact| of the deflection from rest",
            )),
            _ => None,
        }),
        &[],
    );
    v["minProperties"] = json!(1);
    let spikes = object(
        properties(ANALYTIC_SPIKE_KEYS, |k| match k {
            "max_shift" => Some(time(
                "largest shift of a spike from its exact time (counts must be equal)",
            )),
            _ => None,
        }),
        &["max_shift"],
    );
    let steady_state = object(
        properties(ANALYTIC_STEADY_KEYS, |k| {
            match k {
            "max_relative" => Some(positive(
                "largest |sim − exact| / |exact − rest| of a passive cable's last recorded potentials, against its steady state",
            )),
            _ => None,
        }
        }),
        &["max_relative"],
    );
    let mut schema = object(
        properties(ANALYTIC_KEYS, |k| match k {
            "population" => Some(identifier()),
            "cell" => Some(json!({"type": "integer", "minimum": 0, "description": "default 0"})),
            "v" => Some(v.clone()),
            "spikes" => Some(spikes.clone()),
            "steady_state" => Some(steady_state.clone()),
            "convergence" => Some(convergence()),
            _ => None,
        }),
        &["population"],
    );
    schema["minProperties"] = json!(2);
    schema["description"] = json!("a cell's recordings against the exact answer crosscheck derives from the suite's model (LIF cells, PSCs onto them, passive cables)");
    schema
}

/// An analytic check's `convergence` across a `simulation.dt` sweep.
fn convergence() -> Value {
    let measures: Vec<&str> = crate::suite::native::AnalyticMeasure::ALL
        .iter()
        .map(|m| m.name())
        .collect();
    let mut schema = object(
        properties(CONVERGENCE_KEYS, |k| match k {
            "error" => Some(
                json!({"enum": measures, "description": "the check's error fitted against the step (one the check bounds)"}),
            ),
            "order" => Some(json!({
                "type": "array",
                "items": {"type": "number", "minimum": 0, "maximum": 10},
                "minItems": 2,
                "maxItems": 2,
                "description": "[low, high]: the band the fitted order (error ∝ dt^order) must lie in"
            })),
            "exact_below" => Some(
                json!({"type": "number", "exclusiveMinimum": 0, "description": "errors at or below this are rounding: an engine under it at every step is exact (default 1e-8)"}),
            ),
            _ => None,
        }),
        &["error", "order"],
    );
    schema["description"] =
        json!("the order of accuracy across the suite's `simulation.dt` sweep, fitted per engine");
    schema
}

fn checks() -> Value {
    let mut schema = object(
        properties(CHECKS_KEYS, |k| match k {
            "reference" | "agreement" => Some(json!({"$ref": "#/$defs/rules"})),
            "features" => Some(json!({"type": "array", "items": {"$ref": "#/$defs/feature"}})),
            "statistics" => Some(json!({"type": "array", "items": {"$ref": "#/$defs/statistic"}})),
            "distributions" => Some(distributions()),
            "published" => Some(published()),
            "analytic" => Some(json!({"type": "array", "items": analytic()})),
            _ => None,
        }),
        &[],
    );
    schema["minProperties"] = json!(1);
    schema
}

/// The schema, as a JSON value (serialised with sorted keys, so the output is stable).
pub fn json_schema() -> Value {
    let engines: Vec<&str> = Simulator::ALL.iter().map(|s| s.name()).collect();
    let top = properties(TOP_KEYS, |k| match k {
        "suite" => Some(identifier()),
        "description" => Some(
            json!({"type": "string", "description": "free text, never placed in generated code"}),
        ),
        "engines" => Some(json!({
            "type": "array", "minItems": 1, "uniqueItems": true, "items": {"enum": engines},
            "description": "default: NEURON, NEST, Brian2 and jNeuroML (jNeuroML_NEURON, the NeuroML2 export run through jNeuroML's NEURON export, only when listed)",
        })),
        "simulation" => Some(object(
            properties(SIMULATION_KEYS, |k| match k {
                "duration" => Some(time("simulated time")),
                "dt" => Some(time("integration step (default 0.025 ms)")),
                "seed" => {
                    Some(json!({"type": "integer", "minimum": 0, "description": "default 1"}))
                }
                "connectivity" => Some(json!({
                    "enum": super::load::CONNECTIVITIES,
                    "description": "who draws random connectivity: `crosscheck` (default; the same network everywhere) or `simulator` (each simulator from the seed; allows per-synapse distributions)",
                })),
                "threads" => Some(json!({
                    "type": "integer", "minimum": 1, "maximum": 64,
                    "description": "threads NEST simulates with (default 1); the job holds as many CPUs of the runner's budget",
                })),
                _ => None,
            }),
            &["duration"],
        )),
        "model" => Some(object(
            properties(MODEL_KEYS, |k| match k {
                "neuroml" => Some(json!({
                    "type": "string",
                    "description": "a NeuroML2 file defining the network, relative to the suite file",
                })),
                "network" => Some(json!({
                    "type": "string",
                    "description": "the <network> to simulate (default: the file's only one)",
                })),
                _ => None,
            }),
            &["neuroml"],
        )),
        "populations" => Some(json!({
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"$ref": "#/$defs/identifier"},
            "additionalProperties": {"$ref": "#/$defs/population"},
        })),
        "projections" => {
            Some(json!({"type": ["array", "null"], "items": {"$ref": "#/$defs/projection"}}))
        }
        "stimuli" => {
            Some(json!({"type": ["array", "null"], "items": {"$ref": "#/$defs/stimulus"}}))
        }
        "record" => {
            Some(json!({"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/recording"}}))
        }
        "sweep" => Some(object(
            properties(SWEEP_KEYS, |k| match k {
                "parameter" => Some(json!({
                    "type": "string",
                    "pattern": r"^(stimuli\[[0-9]+\]\.amplitude|projections\[[0-9]+\]\.weight|populations\.[A-Za-z][A-Za-z0-9_]*\.parameters\.[A-Za-z][A-Za-z0-9_]*|simulation\.dt)$",
                })),
                "values" => Some(json!({
                    "type": "array", "minItems": 1, "maxItems": 1000,
                    "items": {"type": ["string", "number"]},
                    "description": "values with the swept parameter's dimension",
                })),
                _ => None,
            }),
            SWEEP_KEYS,
        )),
        "checks" => Some(json!({"$ref": "#/$defs/checks"})),
        _ => None,
    });
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/crosscheck/crosscheck/docs/suite.schema.json",
        "title": "crosscheck suite",
        "description": "A crosscheck suite (*.crosscheck.yaml): a model described once, run on every simulator. See docs/suite-format.md.",
        "type": "object",
        "properties": top,
        "required": ["suite", "simulation", "record", "checks"],
        // An inline model (populations…) or a NeuroML file (model), never both.
        "oneOf": [
            {"required": ["populations"], "not": {"required": ["model"]}},
            {"required": ["model"], "not": {"anyOf": [
                {"required": ["populations"]}, {"required": ["projections"]},
                {"required": ["stimuli"]}, {"required": ["sweep"]},
            ]}},
        ],
        "additionalProperties": false,
        "$defs": {
            "identifier": {
                "type": "string",
                "pattern": "^[A-Za-z][A-Za-z0-9_]{0,63}$",
                "description": "letters, digits and `_`, starting with a letter; not a Python keyword or a name generated code uses",
            },
            "population": population(),
            "projection": projection(),
            "stimulus": stimulus(),
            "recording": recording(),
            "rules": rules(),
            "feature": feature(),
            "statistic": statistic(),
            "checks": checks(),
        },
    })
}

/// The schema as written to `docs/suite.schema.json`: pretty, with a trailing newline.
pub fn json_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&json_schema()).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn committed_path() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/suite.schema.json")
    }

    /// The committed schema is the generated one. `UPDATE_SCHEMA=1` rewrites it.
    #[test]
    fn committed_schema_is_up_to_date() {
        let generated = json_schema_text();
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::write(committed_path(), &generated).expect("write docs/suite.schema.json");
        }
        let committed = std::fs::read_to_string(committed_path()).unwrap_or_default();
        assert!(
            committed == generated,
            "docs/suite.schema.json is out of date (the cell library or the loader changed): \
             regenerate it with `UPDATE_SCHEMA=1 cargo test --lib schema` and commit it"
        );
    }

    #[test]
    fn schema_is_json_with_the_expected_shape() {
        let text = json_schema_text();
        let schema: Value = serde_json::from_str(&text).expect("valid JSON");
        for key in [
            "$schema",
            "$id",
            "title",
            "type",
            "properties",
            "required",
            "$defs",
        ] {
            assert!(schema.get(key).is_some(), "missing {key}");
        }
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        let top: Vec<&String> = schema["properties"]
            .as_object()
            .expect("properties")
            .keys()
            .collect();
        assert_eq!(top.len(), TOP_KEYS.len());
        let cells = &schema["$defs"]["population"]["properties"]["cell"]["enum"];
        assert_eq!(cells.as_array().map(Vec::len), Some(CELL_TYPES.len()));
        // One `if cell == ... then parameters` per cell type, listing exactly its parameters.
        let per_cell = schema["$defs"]["population"]["allOf"]
            .as_array()
            .expect("allOf");
        for (rule, kind) in per_cell.iter().zip(CELL_TYPES) {
            assert_eq!(rule["if"]["properties"]["cell"]["const"], kind.name);
            let params = rule["then"]["properties"]["parameters"]["properties"]
                .as_object()
                .expect("params");
            assert_eq!(params.len(), kind.params.len(), "{}", kind.name);
            for p in kind.params {
                let description = params[p.name]["description"].as_str().expect("text");
                assert!(description.contains(p.default), "{description}");
            }
            // A drawn initial potential where the loader takes one: every cell but a cable.
            if let Some(v_init) = params.get("v_init") {
                let drawable = v_init.get("anyOf").is_some();
                assert_eq!(drawable, kind.name != PASSIVE_CABLE, "{}", kind.name);
            }
        }
    }

    /// No key the loader accepts lacks a schema (an empty schema marks a forgotten one).
    #[test]
    fn every_key_has_a_schema() {
        fn walk(value: &Value, path: &str) {
            if let Some(properties) = value.get("properties").and_then(Value::as_object) {
                for (key, schema) in properties {
                    let inside_feature = path.contains("feature") || path.contains("statistic");
                    let empty = schema.as_object().is_some_and(Map::is_empty);
                    // `expected`/`tolerance` are given per feature/statistic by `allOf`.
                    assert!(!empty || inside_feature, "{path}.{key} has no schema");
                    walk(schema, &format!("{path}.{key}"));
                }
            }
            if let Some(object) = value.as_object() {
                for (key, child) in object {
                    if key != "properties" {
                        walk(child, &format!("{path}/{key}"));
                    }
                }
            } else if let Some(items) = value.as_array() {
                for item in items {
                    walk(item, path);
                }
            }
        }
        walk(&json_schema(), "");
    }
}
