//! GitHub REST access over octocrab, behind narrow intention-named methods returning our types.
