//! Fuzz target: reading a shard back (`reunify merge`). Any bytes as a manifest give a
//! manifest or an error, and any bytes as shard data give records or an error, never a panic
//! and never an allocation beyond the decoder's limit; a record that decodes is checked
//! against a scenario without panicking, whatever its shape.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use reunify::app::shard::{check_record, decode_record, parse_manifest};
use reunify::scenario::Scenario;

fn scenario() -> &'static Scenario {
    static SC: OnceLock<Scenario> = OnceLock::new();
    SC.get_or_init(|| {
        let text = include_str!("../../scenarios/holmes-2014.toml");
        Scenario::from_toml_str(text, "holmes-2014.toml").expect("the shipped scenario validates")
    })
}

fuzz_target!(|data: &[u8]| {
    let _ = parse_manifest(data);
    let mut input = data;
    for _ in 0..16 {
        match decode_record(&mut input) {
            Ok((digest, rows)) => {
                let _ = check_record(scenario(), &digest, &rows);
            }
            Err(_) => break,
        }
    }
});
