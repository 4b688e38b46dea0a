//! Rebuilds the crate when a migration is added or changed: the migrations are embedded.

fn main() {
    println!("cargo::rerun-if-changed=../../migrations");
}
