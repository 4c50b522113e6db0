//! optlab-core
