//! Recording artifacts: the manifest, and reading hostile zip files safely.
pub mod manifest;
pub mod zip;
