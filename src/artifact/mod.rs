//! Recording artifacts: the manifest, and reading hostile zip files safely.
pub mod apply;
pub mod download;
pub mod manifest;
pub mod verify;
pub mod zip;
