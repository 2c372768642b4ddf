//! The Rust side of the Fernet cross-check with Python's
//! `cryptography.fernet` (`tests/security/fernet_interop.py` drives it).
//!
//! Reads one JSON request on stdin, writes one JSON answer on stdout:
//! - `encrypt`: `{"keys": "k1,k2", "plaintexts_hex": [..]}` →
//!   `{"key_id", "tokens": [..], "envelope": {"wrapped_key", "field"}}`
//!   (tokens under the first key; the envelope is a fresh data key wrapped
//!   under the ring and the first plaintext encrypted under that data key);
//! - `decrypt`: `{"keys": "k1,k2", "tokens": [..]}` →
//!   `{"plaintexts_hex": [.. or null]}` (null: no key opens it).

use std::io::Read;

use mismatch_core::security::fernet::{DataKey, Keyring};
use serde_json::{Value, json};

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .expect("a request on stdin");
    let request: Value = serde_json::from_str(&input).expect("JSON request");
    let ring = Keyring::parse(request["keys"].as_str().expect("keys")).expect("valid keys");
    let answer = match mode.as_str() {
        "encrypt" => {
            let plaintexts: Vec<Vec<u8>> = request["plaintexts_hex"]
                .as_array()
                .expect("plaintexts_hex")
                .iter()
                .map(|v| hex::decode(v.as_str().expect("hex string")).expect("hex"))
                .collect();
            let data_key = DataKey::generate();
            json!({
                "key_id": ring.primary_id().as_str(),
                "tokens": plaintexts.iter().map(|p| ring.encrypt(p)).collect::<Vec<_>>(),
                "envelope": {
                    "wrapped_key": ring.wrap(&data_key),
                    "field": data_key.encrypt(plaintexts.first().map_or(&[][..], Vec::as_slice)),
                },
            })
        }
        "decrypt" => {
            let plaintexts: Vec<Option<String>> = request["tokens"]
                .as_array()
                .expect("tokens")
                .iter()
                .map(|t| {
                    ring.decrypt(t.as_str().expect("token"))
                        .ok()
                        .map(hex::encode)
                })
                .collect();
            json!({ "plaintexts_hex": plaintexts })
        }
        other => panic!("unknown mode {other:?}: encrypt or decrypt"),
    };
    println!("{answer}");
}
