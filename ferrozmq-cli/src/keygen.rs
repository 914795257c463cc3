//! `ferrozmq keygen`: a new CURVE key pair, printed in Z85 (public, then
//! secret), or written as certificate files in pyzmq's format.

use std::path::PathBuf;

use crate::Failure;

/// Options of `ferrozmq keygen`.
#[derive(clap::Args)]
#[command(after_help = "\
Examples:
  ferrozmq keygen                       # prints the public key, then the secret key
  ferrozmq keygen --out certs --name server

With --out, writes NAME.key (the public certificate, to hand out) and
NAME.key_secret (both keys: keep it private), as pyzmq's
zmq.auth.create_certificates does; a directory of public certificates is
what --curve-allow takes.")]
pub(crate) struct Args {
    /// Write certificate files into this directory instead of printing.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// The certificate files' name.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "ferrozmq",
        requires = "out"
    )]
    name: String,
}

/// Makes a key pair and prints or writes it.
pub(crate) fn run(args: Args) -> Result<(), Failure> {
    let (public, secret) = ferrozmq::curve_keypair();
    let Some(dir) = args.out else {
        println!("{public}");
        println!("{secret}");
        return Ok(());
    };
    let write = |file: PathBuf, text: String| {
        std::fs::write(&file, text)
            .map_err(|e| Failure::new(format!("cannot write {}: {e}", file.display())))
    };
    std::fs::create_dir_all(&dir)
        .map_err(|e| Failure::new(format!("cannot create {}: {e}", dir.display())))?;
    let public_file = dir.join(format!("{}.key", args.name));
    let secret_file = dir.join(format!("{}.key_secret", args.name));
    write(public_file.clone(), ferrozmq::certificate(&public, None))?;
    write(
        secret_file.clone(),
        ferrozmq::certificate(&public, Some(&secret)),
    )?;
    restrict(&secret_file)?;
    println!("{}", public_file.display());
    println!("{}", secret_file.display());
    Ok(())
}

/// Only the owner may read a secret certificate.
fn restrict(file: &PathBuf) -> Result<(), Failure> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| Failure::new(format!("cannot restrict {}: {e}", file.display())))
}
