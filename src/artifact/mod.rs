//! Recording artifacts: the manifest, and reading hostile zip files safely.
pub(crate) mod apply;
pub mod download;
pub(crate) mod manifest;
pub(crate) mod verify;
pub mod zip;
