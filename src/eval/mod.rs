//! Evaluation: policy sets compiled once (patterns classified, statements indexed), conditions,
//! the chain of SPEC §5 over a compiled store, and the response with its explanation.

pub(crate) mod chain;
pub(crate) mod condition;
pub(crate) mod index;
pub(crate) mod parallel;
pub(crate) mod response;
pub(crate) mod set;
pub(crate) mod store;
