//! Supervised fine-tuning with cross-entropy or GEM (issue 5).

pub mod cli;
