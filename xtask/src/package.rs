//! `cargo xtask package`: builds the installable CRM packages (the Salesforce SFDX project's static
//! resource and the Dynamics 365 solution zip) from the built widget.
//!
//! STUB: the CRM-packages work (issue 5) replaces this file; until then the command fails with a clear
//! message instead of pretending to build anything.

use anyhow::{Result, bail};

/// Options of `cargo xtask package`.
#[derive(Debug, clap::Args)]
pub struct PackageArgs {}

/// Writes both CRM packages. Not built yet: always fails with a message saying so.
pub fn run(_args: &PackageArgs) -> Result<()> {
    bail!("`cargo xtask package` is not yet built (the CRM packages arrive with issue 5)")
}
