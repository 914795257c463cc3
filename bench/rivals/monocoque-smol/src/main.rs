//! monocoque on its smol backend, for `ferrozmq-bench`: the same code as
//! the bench binary's monocoque module (included from there), built with
//! `runtime-smol` instead of `runtime-tokio`. The bench runs this binary
//! as a child, with the bench's child protocol:
//!
//! ```text
//! monocoque-smol-bench child '<job as JSON>'
//! monocoque-smol-bench versions
//! ```

#[path = "../../../src/child.rs"]
mod child;
#[path = "../../../src/monocoque.rs"]
mod monocoque;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("child") => {
            let job = child::job_from_args(&args[1..]);
            child::serve(&job, monocoque::run);
        }
        Some("versions") => {
            let versions = serde_json::json!({
                "monocoque-rs (smol helper)": locked_version("monocoque-rs"),
                "smol": locked_version("smol"),
            });
            println!("{versions}");
        }
        _ => {
            eprintln!("usage: monocoque-smol-bench child JOB | versions");
            std::process::exit(2);
        }
    }
}

/// The version of `name` in this crate's Cargo.lock.
fn locked_version(name: &str) -> Option<String> {
    let lock = include_str!("../Cargo.lock");
    let mut current = None;
    for line in lock.lines() {
        if let Some(n) = line.strip_prefix("name = ") {
            current = Some(n.trim_matches('"'));
        } else if let Some(v) = line.strip_prefix("version = ")
            && current == Some(name)
        {
            return Some(v.trim_matches('"').to_owned());
        }
    }
    None
}
