//! Rebuilds the crate when the built-in rules change: `include_dir!` embeds the
//! `rules/` tree, and stable Rust cannot track the files it reads.

fn main() {
    println!("cargo:rerun-if-changed=rules");
}
