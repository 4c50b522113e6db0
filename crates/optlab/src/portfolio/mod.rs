//! `optlab portfolio` (being moved here from optlab-portfolio).

pub use optlab_portfolio::cli::{run, PortfolioArgs};
