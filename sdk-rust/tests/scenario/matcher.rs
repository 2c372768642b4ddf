//! References (`${name.field[0]}`) and the matcher language of
//! tests/scenario/README.md.
//!
//! Two ways to fail are kept apart: a [`Mismatch`] is a verdict (the value
//! does not match), a [`ScenarioError`] means the data itself is wrong (an
//! unknown reference or operator, an ill-formed operand) and must never be
//! turned into a verdict, not even under `$not` or `$any`.

use std::fmt;

use serde_json::{Map, Value};

/// The scenario data is wrong: reported as such, never as a verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioError(pub String);

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error in the scenario: {}", self.0)
    }
}

/// Where and why a value failed its matcher.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    /// Matcher path, e.g. `expect.items.$some`.
    pub path: String,
    pub reason: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.reason)
    }
}

/// Why a check did not hold.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    Mismatch(Mismatch),
    Scenario(ScenarioError),
}

impl From<ScenarioError> for Failure {
    fn from(err: ScenarioError) -> Self {
        Self::Scenario(err)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Mismatch(m) => m.fmt(f),
            Self::Scenario(e) => e.fmt(f),
        }
    }
}

fn scenario<T>(message: impl Into<String>) -> Result<T, ScenarioError> {
    Err(ScenarioError(message.into()))
}

// ---------------------------------------------------------------- references

/// Replaces every reference in the strings of `value` (object values, array
/// elements, nested) by what `saved` holds under its name.
pub fn resolve(value: &Value, saved: &Map<String, Value>) -> Result<Value, ScenarioError> {
    Ok(match value {
        Value::String(text) => resolve_string(text, saved)?,
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| resolve(item, saved))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, item)| Ok((key.clone(), resolve(item, saved)?)))
                .collect::<Result<_, ScenarioError>>()?,
        ),
        other => other.clone(),
    })
}

fn resolve_string(text: &str, saved: &Map<String, Value>) -> Result<Value, ScenarioError> {
    // A string that is exactly one reference keeps the value's JSON type.
    if let Some(inner) = text.strip_prefix("${").and_then(|t| t.strip_suffix('}'))
        && !inner.contains('}')
    {
        return lookup(inner, saved).cloned();
    }
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return scenario(format!("unterminated reference in {text:?}"));
        };
        match lookup(&after[..end], saved)? {
            Value::String(s) => out.push_str(s),
            other => out.push_str(&other.to_string()),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(Value::String(out))
}

/// The value at `name.field[0].sub`; an unknown name or a missing field is an
/// error of the scenario, never an empty value.
fn lookup<'a>(reference: &str, saved: &'a Map<String, Value>) -> Result<&'a Value, ScenarioError> {
    let unknown = |what: &str| scenario(format!("reference ${{{reference}}}: {what}"));
    let name_end = reference.find(['.', '[']).unwrap_or(reference.len());
    let name = &reference[..name_end];
    let Some(mut value) = saved.get(name) else {
        return unknown(&format!("no saved value named {name:?}"));
    };
    let mut rest = &reference[name_end..];
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            let field = &after[..end];
            match value.get(field) {
                Some(next) if !field.is_empty() => value = next,
                _ => return unknown(&format!("no field {field:?}")),
            }
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let Some(end) = after.find(']') else {
                return unknown("unclosed index");
            };
            let index: usize = match after[..end].parse() {
                Ok(index) => index,
                Err(_) => return unknown(&format!("bad index {:?}", &after[..end])),
            };
            match value.get(index) {
                Some(next) => value = next,
                None => return unknown(&format!("no element [{index}]")),
            }
            rest = &after[end + 1..];
        } else {
            return unknown("expected '.' or '[' after a name");
        }
    }
    Ok(value)
}

// ------------------------------------------------------------------ matchers

const TYPES: &[&str] = &[
    "string", "number", "integer", "boolean", "null", "array", "object",
];

/// Checks `actual` (`None`: an absent key) against an already resolved
/// `matcher`, naming failures from `path`.
pub fn check(actual: Option<&Value>, matcher: &Value, path: &str) -> Result<(), Failure> {
    validate(matcher, path)?;
    matches(actual, matcher, path)
}

/// Rejects unknown operators and ill-formed operands anywhere in a matcher,
/// so that a branch never reached (an empty `$some`) cannot hide them.
fn validate(matcher: &Value, path: &str) -> Result<(), ScenarioError> {
    match matcher {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, m)| validate(m, &format!("{path}[{i}]"))),
        Value::Object(map) if !is_operator_object(map) => map
            .iter()
            .try_for_each(|(key, m)| validate(m, &format!("{path}.{key}"))),
        Value::Object(map) => {
            if let Some(key) = map.keys().find(|k| !k.starts_with('$')) {
                return scenario(format!(
                    "{path}: key {key:?} beside operators (an object holds keys or operators)"
                ));
            }
            for (op, operand) in map {
                let at = format!("{path}.{op}");
                match op.as_str() {
                    "$type" => {
                        if !operand.as_str().is_some_and(|t| TYPES.contains(&t)) {
                            return scenario(format!("{at}: unknown type {operand}"));
                        }
                    }
                    "$regex" => {
                        let Some(pattern) = operand.as_str() else {
                            return scenario(format!("{at}: the pattern must be a string"));
                        };
                        regex::Regex::new(pattern)
                            .map_err(|e| ScenarioError(format!("{at}: bad pattern: {e}")))?;
                    }
                    "$gt" | "$gte" | "$lt" | "$lte" => {
                        if !operand.is_number() {
                            return scenario(format!("{at}: the bound must be a number"));
                        }
                    }
                    "$len" | "$each" | "$some" | "$none" | "$first" | "$not" => {
                        validate(operand, &at)?;
                    }
                    "$null" => {
                        if !operand.is_boolean() {
                            return scenario(format!("{at}: must be true or false"));
                        }
                    }
                    "$any" => {
                        let Some(options) = operand.as_array() else {
                            return scenario(format!("{at}: must be an array of matchers"));
                        };
                        for (i, m) in options.iter().enumerate() {
                            validate(m, &format!("{at}[{i}]"))?;
                        }
                    }
                    "$filter" => match operand.as_array().map(Vec::as_slice) {
                        Some([which, then]) => {
                            validate(which, &format!("{at}[0]"))?;
                            validate(then, &format!("{at}[1]"))?;
                        }
                        _ => return scenario(format!("{at}: must be [matcher, matcher]")),
                    },
                    "$sum" => match operand.as_array().map(Vec::as_slice) {
                        Some([Value::String(_), then]) => validate(then, &format!("{at}[1]"))?,
                        _ => return scenario(format!("{at}: must be [key, matcher]")),
                    },
                    "$before" => match operand.as_array().map(Vec::as_slice) {
                        Some([Value::String(_), _, _]) => {}
                        _ => return scenario(format!("{at}: must be [key, first, second]")),
                    },
                    _ => return scenario(format!("{at}: unknown operator {op:?}")),
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn is_operator_object(map: &Map<String, Value>) -> bool {
    map.keys().any(|k| k.starts_with('$'))
}

fn mismatch(path: &str, reason: impl Into<String>) -> Result<(), Failure> {
    Err(Failure::Mismatch(Mismatch {
        path: path.to_owned(),
        reason: reason.into(),
    }))
}

/// Whether `actual` matches, keeping scenario errors as errors.
fn holds(actual: Option<&Value>, matcher: &Value, path: &str) -> Result<bool, ScenarioError> {
    match matches(actual, matcher, path) {
        Ok(()) => Ok(true),
        Err(Failure::Mismatch(_)) => Ok(false),
        Err(Failure::Scenario(e)) => Err(e),
    }
}

fn matches(actual: Option<&Value>, matcher: &Value, path: &str) -> Result<(), Failure> {
    match matcher {
        Value::Object(map) if is_operator_object(map) => {
            for (op, operand) in map {
                operator(actual, op, operand, &format!("{path}.{op}"))?;
            }
            Ok(())
        }
        Value::Object(map) => {
            let Some(Value::Object(object)) = actual else {
                return mismatch(path, format!("expected an object, got {}", show(actual)));
            };
            for (key, m) in map {
                matches(object.get(key), m, &format!("{path}.{key}"))?;
            }
            Ok(())
        }
        Value::Array(ms) => {
            let Some(Value::Array(items)) = actual else {
                return mismatch(path, format!("expected an array, got {}", show(actual)));
            };
            if items.len() != ms.len() {
                return mismatch(
                    path,
                    format!("expected {} elements, got {}", ms.len(), items.len()),
                );
            }
            for (i, (item, m)) in items.iter().zip(ms).enumerate() {
                matches(Some(item), m, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        literal => match actual {
            Some(value) if equal(value, literal) => Ok(()),
            _ => mismatch(path, format!("expected {literal}, got {}", show(actual))),
        },
    }
}

/// JSON equality with numbers compared by value (`2` equals `2.0`).
fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, a)| y.get(k).is_some_and(|b| equal(a, b)))
        }
        _ => a == b,
    }
}

fn operator(actual: Option<&Value>, op: &str, operand: &Value, path: &str) -> Result<(), Failure> {
    // Every operator but these needs a value; an absent key fails them.
    match op {
        "$null" => {
            let is_null = matches!(actual, None | Some(Value::Null));
            return match (operand.as_bool(), is_null) {
                (Some(true), true) | (Some(false), false) => Ok(()),
                (Some(true), false) => {
                    mismatch(path, format!("expected null, got {}", show(actual)))
                }
                (Some(false), true) => {
                    mismatch(path, format!("expected a value, got {}", show(actual)))
                }
                (None, _) => Err(ScenarioError(format!("{path}: must be true or false")).into()),
            };
        }
        "$not" => {
            return if holds(actual, operand, path)? {
                mismatch(path, format!("{} matches {operand}", show(actual)))
            } else {
                Ok(())
            };
        }
        "$any" => {
            let options = operand
                .as_array()
                .ok_or_else(|| ScenarioError(format!("{path}: must be an array")))?;
            for (i, m) in options.iter().enumerate() {
                if holds(actual, m, &format!("{path}[{i}]"))? {
                    return Ok(());
                }
            }
            return mismatch(path, format!("{} matches none of {operand}", show(actual)));
        }
        _ => {}
    }
    let Some(value) = actual else {
        return mismatch(path, "the key is absent");
    };
    match op {
        "$type" => {
            let wanted = operand.as_str().unwrap_or_default();
            let ok = match wanted {
                "string" => value.is_string(),
                "number" => value.is_number(),
                "integer" => value.as_f64().is_some_and(|n| n.fract() == 0.0),
                "boolean" => value.is_boolean(),
                "null" => value.is_null(),
                "array" => value.is_array(),
                "object" => value.is_object(),
                _ => return Err(ScenarioError(format!("{path}: unknown type {operand}")).into()),
            };
            if ok {
                Ok(())
            } else {
                mismatch(
                    path,
                    format!("expected type {wanted}, got {}", show(actual)),
                )
            }
        }
        "$regex" => {
            let pattern = operand.as_str().unwrap_or_default();
            let regex = regex::Regex::new(pattern)
                .map_err(|e| ScenarioError(format!("{path}: bad pattern: {e}")))?;
            match value.as_str() {
                Some(text) if regex.is_match(text) => Ok(()),
                _ => mismatch(path, format!("{} does not match /{pattern}/", show(actual))),
            }
        }
        "$gt" | "$gte" | "$lt" | "$lte" => {
            let bound = operand
                .as_f64()
                .ok_or_else(|| ScenarioError(format!("{path}: the bound must be a number")))?;
            let ok = value.as_f64().is_some_and(|n| match op {
                "$gt" => n > bound,
                "$gte" => n >= bound,
                "$lt" => n < bound,
                _ => n <= bound,
            });
            if ok {
                Ok(())
            } else {
                mismatch(path, format!("{} is not {op} {bound}", show(actual)))
            }
        }
        "$len" => {
            let len = match value {
                Value::Array(items) => items.len(),
                Value::String(text) => text.chars().count(),
                _ => return mismatch(path, format!("expected an array or a string, got {value}")),
            };
            matches(Some(&Value::from(len)), operand, path)
        }
        "$each" => {
            for (i, item) in array(value, path)?.iter().enumerate() {
                matches(Some(item), operand, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        "$some" => {
            for item in array(value, path)? {
                if holds(Some(item), operand, path)? {
                    return Ok(());
                }
            }
            mismatch(path, format!("no element matches {operand}"))
        }
        "$none" => {
            for (i, item) in array(value, path)?.iter().enumerate() {
                if holds(Some(item), operand, path)? {
                    return mismatch(&format!("{path}[{i}]"), format!("{item} matches {operand}"));
                }
            }
            Ok(())
        }
        "$first" => match array(value, path)?.first() {
            Some(first) => matches(Some(first), operand, &format!("{path}[0]")),
            None => mismatch(path, "the array is empty"),
        },
        "$filter" => {
            let [which, then] = pair(operand, path)?;
            let mut kept = Vec::new();
            for item in array(value, path)? {
                if holds(Some(item), which, path)? {
                    kept.push(item.clone());
                }
            }
            matches(Some(&Value::Array(kept)), then, &format!("{path}[1]"))
        }
        "$sum" => {
            let [key, then] = pair(operand, path)?;
            let key = key
                .as_str()
                .ok_or_else(|| ScenarioError(format!("{path}: the key must be a string")))?;
            let mut total = 0.0;
            for (i, item) in array(value, path)?.iter().enumerate() {
                match item.get(key).and_then(Value::as_f64) {
                    Some(n) => total += n,
                    None => {
                        return mismatch(
                            &format!("{path}[{i}]"),
                            format!("no number under {key:?} in {item}"),
                        );
                    }
                }
            }
            matches(Some(&Value::from(total)), then, &format!("{path}[1]"))
        }
        "$before" => {
            let Some([Value::String(key), first, second]) = operand.as_array().map(Vec::as_slice)
            else {
                return Err(ScenarioError(format!("{path}: must be [key, first, second]")).into());
            };
            let items = array(value, path)?;
            let has =
                |item: &Value, wanted: &Value| item.get(key).is_some_and(|v| equal(v, wanted));
            let Some(at) = items.iter().position(|item| has(item, first)) else {
                return mismatch(path, format!("no element with {key} = {first}"));
            };
            match items.iter().position(|item| has(item, second)) {
                Some(earlier) if earlier < at => mismatch(
                    path,
                    format!("{key} = {second} at [{earlier}] comes before {first} at [{at}]"),
                ),
                _ => Ok(()),
            }
        }
        _ => Err(ScenarioError(format!("{path}: unknown operator {op:?}")).into()),
    }
}

fn array<'a>(value: &'a Value, path: &str) -> Result<&'a Vec<Value>, Failure> {
    value.as_array().ok_or_else(|| {
        Failure::Mismatch(Mismatch {
            path: path.to_owned(),
            reason: format!(
                "expected an array, got {}",
                truncate(&value.to_string(), 200)
            ),
        })
    })
}

fn pair<'a>(operand: &'a Value, path: &str) -> Result<[&'a Value; 2], ScenarioError> {
    match operand.as_array().map(Vec::as_slice) {
        Some([a, b]) => Ok([a, b]),
        _ => scenario(format!("{path}: must be a pair")),
    }
}

fn show(actual: Option<&Value>) -> String {
    match actual {
        None => "nothing (absent)".to_owned(),
        Some(value) => truncate(&value.to_string(), 200),
    }
}

/// `text` cut to at most `max` bytes (on a character boundary), marked when cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes in all)", &text[..end], text.len())
}
