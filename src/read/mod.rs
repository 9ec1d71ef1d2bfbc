//! Reading: source text and spans, diagnostics, the span-keeping JSON reader, and the readers
//! of documents (policies, account files) that lower them into the checked model. Every
//! mistake is a [`diagnostic::Diagnostic`] with its code, place and help; readers report every
//! mistake of a document, not only the first.
//!
//! The pieces the command line builds its own readers on (test suites, context files, batch
//! lines) are public: bounded file reading, the JSON reader with spans, line indexes and
//! did-you-mean.

pub(crate) mod account;
pub mod diagnostic;
pub mod json;
pub(crate) mod policy;
pub(crate) mod resolve;
pub mod source;
pub mod suggest;
pub mod system;
