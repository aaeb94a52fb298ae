//! Sigma value modifiers (`Field|contains|all`): parsed and checked for sense.

use super::error::RuleError;

/// How a string value is placed in the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Place {
    /// The whole value (wildcards aside).
    #[default]
    Exact,
    Contains,
    StartsWith,
    EndsWith,
}

/// A UTF-16 encoding applied before Base64.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Utf16 {
    Le,
    Be,
    /// Little-endian with a byte order mark.
    Bom,
}

/// Base64 encoding of the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Base64 {
    Plain,
    /// The three shifted encodings of the value inside a longer text.
    Offset,
}

/// A numeric comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cmp {
    Gt,
    Gte,
    Lt,
    Lte,
}

/// A part of a date taken from the field before comparing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimePart {
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Year,
}

/// Every modifier of one detection key.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Mods {
    pub place: Place,
    pub all: bool,
    pub cased: bool,
    pub windash: bool,
    pub utf16: Option<Utf16>,
    pub base64: Option<Base64>,
    pub re: bool,
    pub re_i: bool,
    pub re_m: bool,
    pub re_s: bool,
    pub cidr: bool,
    pub exists: bool,
    pub cmp: Option<Cmp>,
    pub neq: bool,
    pub fieldref: bool,
    pub time: Option<TimePart>,
}

/// Every modifier name Sigma defines that this engine reads (`expand` is refused).
pub(crate) const NAMES: &[&str] = &[
    "contains",
    "startswith",
    "endswith",
    "all",
    "cased",
    "windash",
    "wide",
    "utf16le",
    "utf16be",
    "utf16",
    "base64",
    "base64offset",
    "re",
    "i",
    "m",
    "s",
    "cidr",
    "exists",
    "gt",
    "gte",
    "lt",
    "lte",
    "neq",
    "fieldref",
    "minute",
    "hour",
    "day",
    "week",
    "month",
    "year",
    "expand",
];

/// Splits `Field|mod1|mod2` into the field name (empty for keywords) and its modifiers.
pub(crate) fn parse_key(key: &str) -> Result<(&str, Mods), RuleError> {
    let mut parts = key.split('|');
    let field = parts.next().unwrap_or("");
    let mut m = Mods::default();
    let bad = |s: String| Err(RuleError::BadModifiers(s));
    for name in parts {
        match name {
            "contains" | "startswith" | "endswith" => {
                if m.place != Place::Exact {
                    return bad(format!(
                        "`{name}` cannot follow another of contains/startswith/endswith"
                    ));
                }
                m.place = match name {
                    "contains" => Place::Contains,
                    "startswith" => Place::StartsWith,
                    _ => Place::EndsWith,
                };
            }
            "all" => m.all = true,
            "cased" => m.cased = true,
            "windash" => m.windash = true,
            "wide" | "utf16le" => m.utf16 = Some(Utf16::Le),
            "utf16be" => m.utf16 = Some(Utf16::Be),
            "utf16" => m.utf16 = Some(Utf16::Bom),
            "base64" | "base64offset" => {
                if m.base64.is_some() {
                    return bad("`base64` and `base64offset` exclude each other".into());
                }
                m.base64 = Some(if name == "base64" {
                    Base64::Plain
                } else {
                    Base64::Offset
                });
            }
            "re" => m.re = true,
            "i" => m.re_i = true,
            "m" => m.re_m = true,
            "s" => m.re_s = true,
            "cidr" => m.cidr = true,
            "exists" => m.exists = true,
            "gt" | "gte" | "lt" | "lte" => {
                if m.cmp.is_some() {
                    return bad("only one of gt/gte/lt/lte may be used".into());
                }
                m.cmp = Some(match name {
                    "gt" => Cmp::Gt,
                    "gte" => Cmp::Gte,
                    "lt" => Cmp::Lt,
                    _ => Cmp::Lte,
                });
            }
            "neq" => m.neq = true,
            "fieldref" => m.fieldref = true,
            "minute" | "hour" | "day" | "week" | "month" | "year" => {
                m.time = Some(match name {
                    "minute" => TimePart::Minute,
                    "hour" => TimePart::Hour,
                    "day" => TimePart::Day,
                    "week" => TimePart::Week,
                    "month" => TimePart::Month,
                    _ => TimePart::Year,
                });
            }
            "expand" => {
                return Err(RuleError::Unsupported(
                    "the `expand` modifier needs placeholder values from a processing pipeline"
                        .into(),
                ));
            }
            "" => return bad("empty modifier (`||` or a trailing `|`)".into()),
            other => return Err(RuleError::UnknownModifier(other.to_string())),
        }
    }
    check(&m)?;
    Ok((field, m))
}

/// Rejects combinations that have no meaning.
fn check(m: &Mods) -> Result<(), RuleError> {
    let stringy = m.place != Place::Exact || m.windash || m.utf16.is_some() || m.base64.is_some();
    let bad = |s: &str| Err(RuleError::BadModifiers(s.to_string()));
    if (m.re_i || m.re_m || m.re_s) && !m.re {
        return bad("`i`, `m` and `s` only apply to `re`");
    }
    if m.re && (stringy || m.cidr || m.cmp.is_some() || m.fieldref) {
        return bad(
            "`re` cannot be combined with string, encoding, cidr, numeric or fieldref modifiers",
        );
    }
    if m.cidr && (stringy || m.cmp.is_some() || m.fieldref || m.cased) {
        return bad("`cidr` cannot be combined with other value modifiers");
    }
    if m.exists && (stringy || m.re || m.cidr || m.cmp.is_some() || m.fieldref || m.all || m.neq) {
        return bad("`exists` takes no other modifier");
    }
    if m.cmp.is_some() && (stringy || m.fieldref || m.neq) {
        return bad("gt/gte/lt/lte compare numbers and take no string modifiers");
    }
    if m.utf16.is_some() && m.base64.is_none() {
        return bad("wide/utf16 encodings must be followed by `base64` or `base64offset`");
    }
    if m.fieldref && (m.windash || m.utf16.is_some() || m.base64.is_some()) {
        return bad("`fieldref` names a field; it cannot be encoded");
    }
    if m.time.is_some() && (stringy || m.re || m.cidr || m.fieldref) {
        return bad("time modifiers (minute, hour, ...) compare numbers");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses() {
        for name in NAMES.iter().filter(|n| **n != "expand") {
            let key = format!("F|{name}");
            let parsed = parse_key(&key);
            assert!(
                !matches!(parsed, Err(RuleError::UnknownModifier(_))),
                "{name}: {parsed:?}"
            );
        }
    }

    #[test]
    fn keys_split_into_field_and_modifiers() {
        let (f, m) = parse_key("CommandLine|contains|all").expect("valid");
        assert_eq!(f, "CommandLine");
        assert_eq!(m.place, Place::Contains);
        assert!(m.all);
        let (f, m) = parse_key("|all").expect("keywords");
        assert_eq!(f, "");
        assert!(m.all);
    }

    #[test]
    fn bad_modifiers_are_named() {
        assert_eq!(
            parse_key("A|contians"),
            Err(RuleError::UnknownModifier("contians".into()))
        );
        assert!(matches!(
            parse_key("A|contains|re"),
            Err(RuleError::BadModifiers(_))
        ));
        assert!(matches!(parse_key("A|i"), Err(RuleError::BadModifiers(_))));
        assert!(matches!(
            parse_key("A|expand"),
            Err(RuleError::Unsupported(_))
        ));
    }
}
