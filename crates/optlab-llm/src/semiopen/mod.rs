//! SCARA semi-open models and recovery attacks (issue 7).

pub mod cli;
