//! GitHub Actions runtime I/O: the event payload and environment in; outputs, step summary and
//! workflow commands (annotations, groups) out.
