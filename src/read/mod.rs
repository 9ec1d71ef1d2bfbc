//! Reading: source text and spans, diagnostics, the span-keeping JSON reader, and the readers
//! of documents (policies, account files) that lower them into the checked model. Every
//! mistake is a [`diagnostic::Diagnostic`] with its code, place and help; readers report every
//! mistake of a document, not only the first.

pub(crate) mod account;
pub(crate) mod diagnostic;
pub(crate) mod json;
pub(crate) mod policy;
pub(crate) mod resolve;
pub(crate) mod source;
pub(crate) mod suggest;
pub mod system;
