//! The checked model: policies, conditions, accounts, callers and requests. It holds only what
//! the readers accepted, and every node knows where it was written.

pub(crate) mod account;
pub(crate) mod caller;
pub(crate) mod condition;
pub(crate) mod policy;
pub(crate) mod request;
pub(crate) mod value;
pub(crate) mod wildcard;
