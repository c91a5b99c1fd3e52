//! A small JSON value with its own reader and writer, so the widget's wasm
//! links no serde machinery: numbers are kept as written (no float is ever
//! parsed or printed), objects keep their keys in order.
//!
//! The server side still speaks serde: [`Json`] and [`Object`] implement
//! `Serialize` and `Deserialize` (code the widget never calls, so the linker
//! drops it).

use std::fmt;

/// A JSON value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Json {
    #[default]
    Null,
    Bool(bool),
    /// A number as written (valid JSON number syntax): `42`, `-0.5`, `1e3`.
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Object),
}

/// A JSON object: its members in order, each key once (a repeated key keeps
/// its first place and its last value, as `JSON.parse` does).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Object(Vec<(String, Json)>);

impl Object {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn get(&self, key: &str) -> Option<&Json> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Sets `key` (in place when it is already there).
    pub fn insert(&mut self, key: impl Into<String>, value: Json) {
        let key = key.into();
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => *v = value,
            None => self.0.push((key, value)),
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<Json> {
        let at = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.remove(at).1)
    }

    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(k, _)| k)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Json)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<(String, Json)> for Object {
    fn from_iter<I: IntoIterator<Item = (String, Json)>>(iter: I) -> Self {
        let mut object = Object::new();
        for (k, v) in iter {
            object.insert(k, v);
        }
        object
    }
}

impl From<&str> for Json {
    fn from(s: &str) -> Self {
        Json::String(s.to_string())
    }
}

impl From<String> for Json {
    fn from(s: String) -> Self {
        Json::String(s)
    }
}

impl From<u64> for Json {
    fn from(n: u64) -> Self {
        Json::Number(n.to_string())
    }
}

impl From<bool> for Json {
    fn from(b: bool) -> Self {
        Json::Bool(b)
    }
}

impl Json {
    /// Reads one JSON text (whitespace around it is allowed, nothing else).
    pub fn parse(text: &str) -> Result<Json, JsonError> {
        let mut reader = Reader {
            bytes: text.as_bytes(),
            at: 0,
            depth: 0,
        };
        let value = reader.value()?;
        reader.skip_space();
        if reader.at < reader.bytes.len() {
            return Err(reader.error("trailing characters"));
        }
        Ok(value)
    }

    /// The member `key` of an object (`None` for anything else).
    pub fn get(&self, key: &str) -> Option<&Json> {
        self.as_object()?.get(key)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// A number written as a whole, non-negative number that fits a u64.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Json::Number(n) if n.bytes().all(|b| b.is_ascii_digit()) => n.parse().ok(),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&Vec<Json>> {
        match self {
            Json::Array(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&Object> {
        match self {
            Json::Object(object) => Some(object),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    pub fn is_string(&self) -> bool {
        matches!(self, Json::String(_))
    }

    pub fn is_object(&self) -> bool {
        matches!(self, Json::Object(_))
    }

    /// How the value's type reads in an error message ("a string", "null").
    pub fn type_name(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }

    /// Compact JSON text, as `JSON.stringify` (and serde_json) write it.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    /// Appends the compact JSON text of this value to `out`.
    pub fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(n) => out.push_str(n),
            Json::String(s) => write_str(out, s),
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Json::Object(object) => object.write(out),
        }
    }
}

impl Object {
    /// Appends the compact JSON text of this object to `out`.
    pub fn write(&self, out: &mut String) {
        let mut writer = ObjectWriter::new(out);
        for (k, v) in &self.0 {
            v.write(writer.key(k));
        }
        writer.end();
    }
}

static NULL: Json = Json::Null;

/// `value["key"]`: the member, or null (as `serde_json::Value` indexes).
impl std::ops::Index<&str> for Json {
    type Output = Json;
    fn index(&self, key: &str) -> &Json {
        self.get(key).unwrap_or(&NULL)
    }
}

/// `value[i]`: the item, or null.
impl std::ops::Index<usize> for Json {
    type Output = Json;
    fn index(&self, i: usize) -> &Json {
        self.as_array().and_then(|a| a.get(i)).unwrap_or(&NULL)
    }
}

impl std::ops::Index<&str> for Object {
    type Output = Json;
    fn index(&self, key: &str) -> &Json {
        self.get(key).unwrap_or(&NULL)
    }
}

impl fmt::Display for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_json())
    }
}

/// Appends `s` as a JSON string: quoted, with `"`, `\` and control
/// characters escaped exactly as serde_json does (so saved values keep their
/// bytes).
pub fn write_str(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 15) as usize] as char);
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Writes an object member by member, for types that write themselves.
///
/// ```
/// use lyzr_chat_protocol::json::ObjectWriter;
/// let mut out = String::new();
/// let mut o = ObjectWriter::new(&mut out);
/// o.str("name", "a \"b\"");
/// o.num("size", 12);
/// o.end();
/// assert_eq!(out, r#"{"name":"a \"b\"","size":12}"#);
/// ```
pub struct ObjectWriter<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> ObjectWriter<'a> {
    pub fn new(out: &'a mut String) -> Self {
        out.push('{');
        Self { out, first: true }
    }

    /// Writes `"key":` and returns the output for the value.
    pub fn key(&mut self, key: &str) -> &mut String {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        write_str(self.out, key);
        self.out.push(':');
        self.out
    }

    pub fn str(&mut self, key: &str, value: &str) {
        write_str(self.key(key), value);
    }

    pub fn num(&mut self, key: &str, value: u64) {
        let out = self.key(key);
        push_u64(out, value);
    }

    pub fn bool(&mut self, key: &str, value: bool) {
        self.key(key).push_str(if value { "true" } else { "false" });
    }

    /// A string, or `null` for `None`.
    pub fn opt_str(&mut self, key: &str, value: Option<&str>) {
        match value {
            Some(s) => self.str(key, s),
            None => self.key(key).push_str("null"),
        }
    }

    pub fn end(self) {
        self.out.push('}');
    }
}

/// Appends a whole number's digits.
pub fn push_u64(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[at..] {
        out.push(d as char);
    }
}

/// Why a text is not JSON, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// Byte offset of the problem.
    pub at: usize,
    pub what: &'static str,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.what, self.at)
    }
}

impl std::error::Error for JsonError {}

/// Nesting deeper than this is refused (as serde_json does), so a hostile
/// reply cannot exhaust the stack.
const MAX_DEPTH: u32 = 128;

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    depth: u32,
}

impl Reader<'_> {
    fn error(&self, what: &'static str) -> JsonError {
        JsonError { at: self.at, what }
    }

    fn skip_space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        self.skip_space();
        let found = self.bytes.get(self.at) == Some(&byte);
        if found {
            self.at += 1;
        }
        found
    }

    fn literal(&mut self, word: &'static str, value: Json) -> Result<Json, JsonError> {
        if self.bytes[self.at..].starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(value)
        } else {
            Err(self.error("expected a value"))
        }
    }

    fn value(&mut self) -> Result<Json, JsonError> {
        self.skip_space();
        match self.bytes.get(self.at) {
            None => Err(self.error("unexpected end")),
            Some(b'n') => self.literal("null", Json::Null),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'"') => Ok(Json::String(self.string()?)),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'[') => {
                self.nest()?;
                let mut items = Vec::new();
                if !self.eat(b']') {
                    loop {
                        items.push(self.value()?);
                        if self.eat(b']') {
                            break;
                        }
                        if !self.eat(b',') {
                            return Err(self.error("expected , or ]"));
                        }
                    }
                }
                self.depth -= 1;
                Ok(Json::Array(items))
            }
            Some(b'{') => {
                self.nest()?;
                let mut object = Object::new();
                if !self.eat(b'}') {
                    loop {
                        self.skip_space();
                        if self.bytes.get(self.at) != Some(&b'"') {
                            return Err(self.error("expected a key"));
                        }
                        let key = self.string()?;
                        if !self.eat(b':') {
                            return Err(self.error("expected :"));
                        }
                        let value = self.value()?;
                        object.insert(key, value);
                        if self.eat(b'}') {
                            break;
                        }
                        if !self.eat(b',') {
                            return Err(self.error("expected , or }"));
                        }
                    }
                }
                self.depth -= 1;
                Ok(Json::Object(object))
            }
            Some(_) => Err(self.error("expected a value")),
        }
    }

    fn nest(&mut self) -> Result<(), JsonError> {
        self.at += 1;
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("nested too deep"));
        }
        Ok(())
    }

    fn digits(&mut self) -> usize {
        let start = self.at;
        while self.bytes.get(self.at).is_some_and(u8::is_ascii_digit) {
            self.at += 1;
        }
        self.at - start
    }

    fn number(&mut self) -> Result<Json, JsonError> {
        let start = self.at;
        if self.bytes[self.at] == b'-' {
            self.at += 1;
        }
        match self.digits() {
            0 => return Err(self.error("expected a digit")),
            n if n > 1 && self.bytes[self.at - n] == b'0' => return Err(self.error("leading zero")),
            _ => {}
        }
        if self.bytes.get(self.at) == Some(&b'.') {
            self.at += 1;
            if self.digits() == 0 {
                return Err(self.error("expected a digit"));
            }
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.at) {
            self.at += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.at) {
                self.at += 1;
            }
            if self.digits() == 0 {
                return Err(self.error("expected a digit"));
            }
        }
        // The bytes are ASCII digits and signs: always UTF-8.
        let text = std::str::from_utf8(&self.bytes[start..self.at]).unwrap_or_default();
        Ok(Json::Number(text.to_string()))
    }

    /// A string starting at the opening quote.
    fn string(&mut self) -> Result<String, JsonError> {
        self.at += 1;
        let mut out = Vec::new();
        loop {
            let Some(&b) = self.bytes.get(self.at) else {
                return Err(self.error("unterminated string"));
            };
            self.at += 1;
            match b {
                b'"' => break,
                b'\\' => {
                    let Some(&e) = self.bytes.get(self.at) else {
                        return Err(self.error("unterminated string"));
                    };
                    self.at += 1;
                    let c = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.escaped_char()?,
                        _ => return Err(self.error("invalid escape")),
                    };
                    let mut buf = [0; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                0..=0x1f => return Err(self.error("control character in string")),
                _ => out.push(b),
            }
        }
        // The input is a &str and escapes add whole characters: valid UTF-8.
        String::from_utf8(out).map_err(|_| self.error("invalid UTF-8"))
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut n = 0;
        for _ in 0..4 {
            let digit = self
                .bytes
                .get(self.at)
                .and_then(|b| (*b as char).to_digit(16))
                .ok_or_else(|| self.error("invalid \\u escape"))?;
            n = n * 16 + digit;
            self.at += 1;
        }
        Ok(n)
    }

    /// The character of a `\uXXXX` escape (a surrogate pair takes two).
    fn escaped_char(&mut self) -> Result<char, JsonError> {
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                if !self.bytes[self.at..].starts_with(b"\\u") {
                    return Err(self.error("lone surrogate"));
                }
                self.at += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(self.error("lone surrogate"));
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(self.error("lone surrogate")),
            n => n,
        };
        char::from_u32(code).ok_or_else(|| self.error("invalid \\u escape"))
    }
}

/// Reads `raw` as the inside of a JSON string (without its quotes).
pub fn parse_string_body(raw: &str) -> Option<String> {
    let mut quoted = String::with_capacity(raw.len() + 2);
    quoted.push('"');
    quoted.push_str(raw);
    quoted.push('"');
    match Json::parse(&quoted) {
        Ok(Json::String(s)) => Some(s),
        _ => None,
    }
}

mod serde_impls {
    //! The server's side: serde reads and writes these types like
    //! `serde_json::Value`.
    use super::{Json, Object};
    use serde::de::{self, MapAccess, SeqAccess, Visitor};
    use serde::ser::{SerializeMap, SerializeSeq};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::fmt;

    impl Serialize for Json {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            match self {
                Json::Null => s.serialize_unit(),
                Json::Bool(b) => s.serialize_bool(*b),
                Json::Number(n) => {
                    if let Ok(u) = n.parse::<u64>() {
                        s.serialize_u64(u)
                    } else if let Some(i) = n.parse::<i64>().ok().filter(|i| *i != 0) {
                        s.serialize_i64(i) // ("-0" is a float for serde_json)
                    } else {
                        s.serialize_f64(n.parse::<f64>().unwrap_or(0.0))
                    }
                }
                Json::String(v) => s.serialize_str(v),
                Json::Array(items) => {
                    let mut seq = s.serialize_seq(Some(items.len()))?;
                    for item in items {
                        seq.serialize_element(item)?;
                    }
                    seq.end()
                }
                Json::Object(object) => object.serialize(s),
            }
        }
    }

    impl Serialize for Object {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut map = s.serialize_map(Some(self.len()))?;
            for (k, v) in self.iter() {
                map.serialize_entry(k, v)?;
            }
            map.end()
        }
    }

    struct JsonVisitor;

    impl<'de> Visitor<'de> for JsonVisitor {
        type Value = Json;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_bool<E>(self, b: bool) -> Result<Json, E> {
            Ok(Json::Bool(b))
        }
        fn visit_i64<E>(self, n: i64) -> Result<Json, E> {
            Ok(Json::Number(n.to_string()))
        }
        fn visit_u64<E>(self, n: u64) -> Result<Json, E> {
            Ok(Json::Number(n.to_string()))
        }
        fn visit_f64<E: de::Error>(self, n: f64) -> Result<Json, E> {
            if n.is_finite() {
                Ok(Json::Number(n.to_string()))
            } else {
                Err(E::custom("not a finite number"))
            }
        }
        fn visit_str<E>(self, s: &str) -> Result<Json, E> {
            Ok(Json::String(s.to_string()))
        }
        fn visit_string<E>(self, s: String) -> Result<Json, E> {
            Ok(Json::String(s))
        }
        fn visit_unit<E>(self) -> Result<Json, E> {
            Ok(Json::Null)
        }
        fn visit_none<E>(self) -> Result<Json, E> {
            Ok(Json::Null)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
            Json::deserialize(d)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
            let mut items = Vec::new();
            while let Some(item) = seq.next_element()? {
                items.push(item);
            }
            Ok(Json::Array(items))
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
            let mut object = Object::new();
            while let Some((k, v)) = map.next_entry::<String, Json>()? {
                object.insert(k, v);
            }
            Ok(Json::Object(object))
        }
    }

    impl<'de> Deserialize<'de> for Json {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Json, D::Error> {
            d.deserialize_any(JsonVisitor)
        }
    }

    impl<'de> Deserialize<'de> for Object {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Object, D::Error> {
            match Json::deserialize(d)? {
                Json::Object(object) => Ok(object),
                other => Err(de::Error::custom(format_args!(
                    "expected an object, not {}",
                    other.type_name()
                ))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_kind_of_value_and_writes_it_back_as_written() {
        let text = r#"{"a":[1,-2.50,3e-7,true,false,null],"b":{"c":"d\n\"é\"\u0001"},"":0}"#;
        let value = Json::parse(text).unwrap();
        assert_eq!(value.get("a").unwrap().as_array().unwrap().len(), 6);
        assert_eq!(
            value.get("b").unwrap().get("c").unwrap().as_str(),
            Some("d\n\"é\"\u{1}")
        );
        assert_eq!(value.to_json(), text);
        assert_eq!(
            Json::parse(" [ 1 , { } , [ ] ] ").unwrap().to_json(),
            "[1,{},[]]"
        );
    }

    #[test]
    fn writes_strings_as_serde_json_does() {
        for s in [
            "plain",
            "quote \" and \\",
            "\u{0}\u{8}\u{c}\u{1f}\t\r\n",
            "é 😀 \u{7f} /",
        ] {
            let mut out = String::new();
            write_str(&mut out, s);
            assert_eq!(out, serde_json::to_string(s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn agrees_with_serde_json_on_what_is_json() {
        let good = [
            "0",
            "-0",
            "1.5",
            "1E+2",
            "\"\\ud83d\\ude00\"",
            "\"\\/\"",
            "[]",
            "{}",
            " null ",
            "{\"a\":1,\"a\":2}",
        ];
        for text in good {
            let ours = Json::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            let theirs: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(
                serde_json::to_value(&ours).unwrap(),
                theirs,
                "{text} reads alike"
            );
        }
        let bad = [
            "",
            "01",
            "1.",
            ".5",
            "-",
            "1e",
            "+1",
            "nul",
            "tru",
            "[1,]",
            "{\"a\":1,}",
            "{a:1}",
            "\"\\x\"",
            "\"\u{1}\"",
            "\"\\ud83d\"",
            "\"\\ude00\"",
            "\"abc",
            "[1 2]",
            "1 2",
            "NaN",
            "{\"a\" 1}",
        ];
        for text in bad {
            assert!(Json::parse(text).is_err(), "{text:?} is not JSON");
            assert!(
                serde_json::from_str::<serde_json::Value>(text).is_err(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn a_repeated_key_keeps_the_last_value_as_json_parse_does() {
        let value = Json::parse(r#"{"a":1,"b":2,"a":3}"#).unwrap();
        assert_eq!(value.to_json(), r#"{"a":3,"b":2}"#);
    }

    #[test]
    fn deep_nesting_is_refused() {
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert!(Json::parse(&deep).is_err());
        let fine = "[".repeat(100) + &"]".repeat(100);
        assert!(Json::parse(&fine).is_ok());
    }

    #[test]
    fn numbers_are_whole_only_when_written_whole() {
        assert_eq!(Json::parse("42").unwrap().as_u64(), Some(42));
        assert_eq!(
            Json::parse("18446744073709551615").unwrap().as_u64(),
            Some(u64::MAX)
        );
        for other in ["-1", "1.0", "1e2", "18446744073709551616"] {
            assert_eq!(Json::parse(other).unwrap().as_u64(), None, "{other}");
        }
    }

    #[test]
    fn serde_reads_and_writes_it_like_a_value() {
        let text = r#"{"n":-3,"f":0.7,"s":"x","a":[null,true]}"#;
        let ours: Json = serde_json::from_str(text).unwrap();
        assert_eq!(ours, Json::parse(text).unwrap());
        assert_eq!(serde_json::to_string(&ours).unwrap(), text);
    }

    #[test]
    fn string_bodies_read_as_json_strings() {
        assert_eq!(parse_string_body(r"a\nb").as_deref(), Some("a\nb"));
        assert_eq!(parse_string_body(r#"say "hi""#), None);
        let mut n = String::new();
        push_u64(&mut n, 0);
        push_u64(&mut n, 1_234_567_890);
        assert_eq!(n, "01234567890");
    }
}
