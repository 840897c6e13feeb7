//! The faults themselves: what a toxic is, and how a JSON request becomes one.
//!
//! The attributes are checked by hand on top of `serde_json::Value` instead of
//! deriving `Deserialize` for each toxic: the derive's message for a negative
//! latency, "invalid value: integer `-5`, expected u64", does not say which
//! field is wrong. A tool people drive by hand, under stress, during an
//! experiment, should name the exact attribute.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Which way the bytes flow: `upstream` is client to server, `downstream` is
/// server to client (the default, as in Toxiproxy).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    Upstream,
    #[default]
    Downstream,
}

/// The fault and its parameters, serialized in Toxiproxy's shape, a `type`
/// and its `attributes`, but with this proxy's attribute names, which carry
/// their unit: `"type": "latency", "attributes": {"latency_ms": 100,
/// "jitter_ms": 0}`. Toxiproxy's are `latency`, `jitter`, `rate` (also in
/// kilobytes per second) and `timeout`; and its `timeout` toxic reads and
/// drops the bytes, where this one stops reading.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "attributes", rename_all = "snake_case")]
pub enum Kind {
    /// Delay each chunk by `latency_ms` plus or minus up to `jitter_ms`.
    Latency { latency_ms: u64, jitter_ms: u64 },
    /// Forward at most `rate_kbps` kilobytes (1000 bytes) per second.
    Bandwidth { rate_kbps: u64 },
    /// Stop reading, so that nothing goes through and the bytes wait in the
    /// sockets' buffers; close after `timeout_ms`, or never if it is 0.
    Timeout { timeout_ms: u64 },
    /// After `timeout_ms`, reset the connection (the peer sees ECONNRESET).
    ResetPeer { timeout_ms: u64 },
    /// Close the connection once `bytes` bytes went through.
    LimitData { bytes: u64 },
}

/// A named fault attached to one direction of a proxy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Toxic {
    pub name: String,
    pub stream: Stream,
    #[serde(flatten)]
    pub kind: Kind,
}

/// The body of `POST /proxies/{name}/toxics`, before validation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToxicSpec {
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub stream: Stream,
    #[serde(default)]
    pub attributes: Map<String, Value>,
}

/// Every toxic type and the attributes it takes. The first attribute of
/// `latency`, `bandwidth` and `limit_data` is required; the others default.
const TYPES: [(&str, &[&str]); 5] = [
    ("latency", &["latency_ms", "jitter_ms"]),
    ("bandwidth", &["rate_kbps"]),
    ("timeout", &["timeout_ms"]),
    ("reset_peer", &["timeout_ms"]),
    ("limit_data", &["bytes"]),
];

/// One hour: a larger delay is surely a typo, and an unbounded one would
/// overflow `Instant + Duration` (a panic) in the pump.
const MAX_MS: u64 = 3_600_000;
/// 10 GB/s, far above loopback speed; keeps `rate_kbps * 1000` from overflowing.
const MAX_RATE_KBPS: u64 = 10_000_000;

/// Why a toxic request was refused. Each message names the offending value.
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum ToxicError {
    #[error("unknown toxic type {0:?}; known: {known}", known = known_types())]
    UnknownType(String),
    #[error("toxic type {kind} has no attribute {attr:?}; it takes: {}", .takes.join(", "))]
    UnknownAttribute {
        kind: &'static str,
        attr: String,
        takes: &'static [&'static str],
    },
    #[error("toxic type {kind} needs attribute {attr:?}")]
    MissingAttribute {
        kind: &'static str,
        attr: &'static str,
    },
    #[error("attribute {attr:?} must be a non-negative integer, got {value}")]
    NotUnsigned { attr: &'static str, value: Value },
    #[error("attribute {attr:?} must be between {min} and {max}, got {value}")]
    OutOfRange {
        attr: &'static str,
        value: u64,
        min: u64,
        max: u64,
    },
    #[error("invalid name {0:?}: use 1 to 64 letters, digits, '_', '-' or '.'")]
    BadName(String),
}

fn known_types() -> String {
    TYPES.map(|(name, _)| name).join(", ")
}

/// Names end up in URL paths, so they are kept to URL-safe characters.
pub fn check_name(name: &str) -> Result<(), ToxicError> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || "_-.".contains(c);
    if (1..=64).contains(&name.len()) && name.chars().all(ok_char) {
        Ok(())
    } else {
        Err(ToxicError::BadName(name.to_string()))
    }
}

impl ToxicSpec {
    /// Validates the request and builds the toxic it describes.
    pub fn into_toxic(self) -> Result<Toxic, ToxicError> {
        let Some(&(kind, takes)) = TYPES.iter().find(|(name, _)| *name == self.kind) else {
            return Err(ToxicError::UnknownType(self.kind));
        };
        if let Some(attr) = self
            .attributes
            .keys()
            .find(|a| !takes.contains(&a.as_str()))
        {
            let attr = attr.clone();
            return Err(ToxicError::UnknownAttribute { kind, attr, takes });
        }
        // Reads one attribute: `default` None means the attribute is required.
        let attr = |attr: &'static str, default: Option<u64>, min: u64, max: u64| {
            let value = match self.attributes.get(attr) {
                None => default.ok_or(ToxicError::MissingAttribute { kind, attr })?,
                Some(v) => v.as_u64().ok_or_else(|| ToxicError::NotUnsigned {
                    attr,
                    value: v.clone(),
                })?,
            };
            match value {
                v if (min..=max).contains(&v) => Ok(v),
                value => Err(ToxicError::OutOfRange {
                    attr,
                    value,
                    min,
                    max,
                }),
            }
        };
        let kind = match kind {
            "latency" => Kind::Latency {
                latency_ms: attr("latency_ms", None, 0, MAX_MS)?,
                jitter_ms: attr("jitter_ms", Some(0), 0, MAX_MS)?,
            },
            "bandwidth" => Kind::Bandwidth {
                rate_kbps: attr("rate_kbps", None, 1, MAX_RATE_KBPS)?,
            },
            "timeout" => Kind::Timeout {
                timeout_ms: attr("timeout_ms", Some(0), 0, MAX_MS)?,
            },
            "reset_peer" => Kind::ResetPeer {
                timeout_ms: attr("timeout_ms", Some(0), 0, MAX_MS)?,
            },
            _ => Kind::LimitData {
                bytes: attr("bytes", None, 0, u64::MAX)?,
            },
        };
        let name = match self.name {
            Some(name) => name,
            None => format!("{}_{}", self.kind, stream_name(self.stream)),
        };
        check_name(&name)?;
        Ok(Toxic {
            name,
            stream: self.stream,
            kind,
        })
    }
}

fn stream_name(stream: Stream) -> &'static str {
    match stream {
        Stream::Upstream => "upstream",
        Stream::Downstream => "downstream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(body: Value) -> Result<Toxic, String> {
        // A test body that does not even fit ToxicSpec is a bug in the test.
        let spec: ToxicSpec = serde_json::from_value(body).expect("test body has the spec's shape");
        spec.into_toxic().map_err(|e| e.to_string())
    }

    #[test]
    fn latency_with_defaults() {
        let toxic = parse(json!({"type": "latency", "attributes": {"latency_ms": 100}}));
        assert_eq!(
            toxic,
            Ok(Toxic {
                name: "latency_downstream".into(),
                stream: Stream::Downstream,
                kind: Kind::Latency {
                    latency_ms: 100,
                    jitter_ms: 0
                },
            })
        );
    }

    #[test]
    fn serializes_as_name_stream_type_and_attributes() {
        let toxic = parse(
            json!({"name": "slow", "type": "bandwidth", "stream": "upstream",
                                 "attributes": {"rate_kbps": 10}}),
        );
        let expected = json!({"name": "slow", "stream": "upstream", "type": "bandwidth",
                              "attributes": {"rate_kbps": 10}});
        assert_eq!(
            toxic.map(|t| serde_json::to_value(t).ok()),
            Ok(Some(expected))
        );
    }

    #[test]
    fn unknown_type_lists_the_known_ones() {
        let err = parse(json!({"type": "latncy"})).unwrap_err();
        assert_eq!(
            err,
            r#"unknown toxic type "latncy"; known: latency, bandwidth, timeout, reset_peer, limit_data"#
        );
    }

    #[test]
    fn bad_numbers_name_the_attribute() {
        for bad in [json!(-5), json!(1.5), json!("100"), json!(null)] {
            let err = parse(json!({"type": "latency", "attributes": {"latency_ms": bad}}));
            let err = err.unwrap_err();
            assert!(
                err.contains("\"latency_ms\" must be a non-negative integer"),
                "{err}"
            );
        }
        let err = parse(json!({"type": "latency", "attributes": {"latency_ms": u64::MAX}}));
        assert!(err.unwrap_err().contains("between 0 and 3600000"));
        let err = parse(json!({"type": "bandwidth", "attributes": {"rate_kbps": 0}}));
        assert!(err.unwrap_err().contains("\"rate_kbps\" must be between 1"));
    }

    #[test]
    fn missing_and_unknown_attributes() {
        let err = parse(json!({"type": "limit_data"})).unwrap_err();
        assert_eq!(err, r#"toxic type limit_data needs attribute "bytes""#);
        let err = parse(json!({"type": "timeout", "attributes": {"timeout": 5}})).unwrap_err();
        assert_eq!(
            err,
            r#"toxic type timeout has no attribute "timeout"; it takes: timeout_ms"#
        );
    }

    #[test]
    fn names_must_be_url_safe() {
        let err = parse(json!({"name": "a/b", "type": "timeout"})).unwrap_err();
        assert!(err.starts_with(r#"invalid name "a/b""#), "{err}");
    }
}
