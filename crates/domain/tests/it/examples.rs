//! Every contest definition shipped in `examples/contests/` reads and validates.

use cuocthi_domain::contest::ContestDef;

#[test]
fn every_example_contest_validates() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/contests");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).expect("examples/contests exists") {
        let path = entry.expect("readable entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let source = std::fs::read_to_string(&path).expect("readable file");
        let def = ContestDef::from_toml(&source).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
        let spec = def.validate().unwrap_or_else(|e| panic!("{}: {e:#?}", path.display()));
        assert!(!spec.rounds.is_empty());
        n += 1;
    }
    assert!(n >= 5, "one example per seed contest, found {n}");
}
