//! Reading the command line's inputs: policy arguments (file, directory, glob or built-in
//! name), context pairs and context files. Every error names the file it came from.

use std::path::{Path, PathBuf};

use crate::read::diagnostic::{LineIndex, Span};
use crate::read::json;
use crate::read::source::decode_document;
use crate::read::source::read_document;
use crate::read::system;
use crate::{Policy, PolicyKind};
use crate::{PolicyErrors, RequestBuilder};

/// A problem with the command line's inputs (not with a policy's content).
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// A file could not be read.
    #[error("cannot read `{path}`: {reason}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// A `--policy` argument names nothing.
    #[error("`{arg}` is neither a file, a directory, a glob nor a built-in system policy{hint}")]
    NoSuchPolicy {
        /// The argument.
        arg: String,
        /// A did-you-mean hint, with its leading separator.
        hint: String,
    },
    /// A directory or glob gave no policy files.
    #[error("`{arg}` holds no *.json files")]
    NoFiles {
        /// The argument.
        arg: String,
    },
    /// A glob is malformed.
    #[error("invalid glob `{arg}`: {reason}")]
    Glob {
        /// The argument.
        arg: String,
        /// Why.
        reason: String,
    },
    /// A `--context` argument is not `KEY=VALUE`.
    #[error("invalid --context `{0}`: expected KEY=VALUE, such as acs:SourceIp=192.0.2.1")]
    ContextPair(String),
    /// A context file is not a JSON object of keys to values.
    #[error("{path}:{line}:{column}: {message}")]
    ContextFile {
        /// The file.
        path: String,
        /// 1-based line.
        line: u32,
        /// 1-based column.
        column: u32,
        /// What is wrong.
        message: String,
    },
}

/// Where a policy's text came from.
pub struct LoadedPolicies {
    /// The policies that were read correctly.
    pub policies: Vec<Policy>,
    /// Every document with mistakes.
    pub errors: Vec<PolicyErrors>,
}

fn read(path: &Path) -> Result<Vec<u8>, InputError> {
    read_document(path).map_err(|reason| InputError::Read {
        path: path.display().to_string(),
        reason: reason.to_string(),
    })
}

/// Reads standard input, refusing more than the document limit.
fn read_stdin() -> Result<Vec<u8>, InputError> {
    use std::io::Read;
    let mut bytes = Vec::new();
    let limit = crate::MAX_DOCUMENT_BYTES as u64 + 1;
    std::io::stdin()
        .take(limit)
        .read_to_end(&mut bytes)
        .map_err(|e| InputError::Read {
            path: "<stdin>".into(),
            reason: e.to_string(),
        })?;
    Ok(bytes)
}

fn name_of(path: &Path) -> String {
    path.file_stem()
        .map_or_else(|| path.display().to_string(), |s| s.to_string_lossy().into_owned())
}

/// Whether a directory's or glob's entry is one of its policies: a `.json` name, in any case
/// (`DENY.JSON` too: a Deny skipped for its name's case would be a silent Allow). Folders are
/// passed over; anything else so named is read, and a FIFO or device is refused there rather
/// than silently left out.
fn is_policy_file(path: &Path) -> bool {
    !path.is_dir() && path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

/// The files a `--policy` argument stands for, or the built-in policy it names.
enum Resolved {
    Files(Vec<PathBuf>),
    Stdin,
    Builtin(Policy),
}

fn resolve(arg: &str) -> Result<Resolved, InputError> {
    if arg == "-" {
        return Ok(Resolved::Stdin);
    }
    let path = Path::new(arg);
    if path.is_dir() {
        let entries = std::fs::read_dir(path).map_err(|e| InputError::Read {
            path: arg.into(),
            reason: e.to_string(),
        })?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| is_policy_file(p))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(InputError::NoFiles { arg: arg.into() });
        }
        return Ok(Resolved::Files(files));
    }
    if path.exists() {
        return Ok(Resolved::Files(vec![path.to_path_buf()]));
    }
    if arg.contains(['*', '?', '[']) {
        let paths = glob::glob(arg).map_err(|e| InputError::Glob {
            arg: arg.into(),
            reason: e.to_string(),
        })?;
        let mut files = Vec::new();
        for entry in paths {
            match entry {
                Ok(p) if is_policy_file(&p) => files.push(p),
                Ok(_) => {}
                Err(e) => {
                    return Err(InputError::Read {
                        path: e.path().display().to_string(),
                        reason: e.error().to_string(),
                    })
                }
            }
        }
        files.sort();
        if files.is_empty() {
            return Err(InputError::NoFiles { arg: arg.into() });
        }
        return Ok(Resolved::Files(files));
    }
    if let Some(policy) = system::get(arg) {
        return Ok(Resolved::Builtin(policy));
    }
    let hint = match system::suggest(arg) {
        Some(name) => format!("; did you mean the built-in `{name}`?"),
        None if arg.ends_with(".json") || arg.contains('/') => "; no such file".into(),
        None => format!(
            "; built-in policies are {}",
            system::names().collect::<Vec<_>>().join(", ")
        ),
    };
    Err(InputError::NoSuchPolicy { arg: arg.into(), hint })
}

/// Reads every policy the `--policy` arguments name. Input errors stop at once; policy
/// mistakes are collected from every document.
pub fn load_policies(args: &[String], kind: PolicyKind) -> Result<LoadedPolicies, InputError> {
    let mut loaded = LoadedPolicies {
        policies: Vec::new(),
        errors: Vec::new(),
    };
    for arg in args {
        let mut add = |name: &str, origin: &str, bytes: &[u8]| match Policy::from_bytes(name, origin, kind, bytes) {
            Ok(p) => loaded.policies.push(p),
            Err(e) => loaded.errors.push(e),
        };
        match resolve(arg)? {
            Resolved::Builtin(policy) => loaded.policies.push(policy),
            Resolved::Stdin => add("stdin", "<stdin>", &read_stdin()?),
            Resolved::Files(files) => {
                for file in files {
                    let bytes = read(&file)?;
                    add(&name_of(&file), &file.display().to_string(), &bytes);
                }
            }
        }
    }
    Ok(loaded)
}

/// What a policy reference inside a file (a test suite) stands for: a path or a glob is relative
/// to `base`, that file's folder, and never to the current directory; a built-in name resolves
/// by name when no such file is there; `-` is a file named `-`, not standard input.
fn resolve_in(base: &Path, reference: &str) -> Result<Resolved, InputError> {
    let mut joined = base.join(reference);
    if joined.as_os_str() == "-" {
        joined = Path::new(".").join("-");
    }
    if joined.is_dir() {
        return resolve(&joined.to_string_lossy());
    }
    if joined.exists() {
        return Ok(Resolved::Files(vec![joined]));
    }
    if reference.contains(['*', '?', '[']) {
        // The folder's own name is literal text, even when it holds `*`, `?` or `[`.
        let pattern = if Path::new(reference).is_absolute() || base.as_os_str().is_empty() {
            reference.to_owned()
        } else {
            let folder = glob::Pattern::escape(&base.to_string_lossy());
            format!("{folder}{}{reference}", std::path::MAIN_SEPARATOR)
        };
        return resolve(&pattern).map_err(|e| match e {
            InputError::NoFiles { .. } => InputError::NoFiles {
                arg: joined.display().to_string(),
            },
            other => other,
        });
    }
    if let Some(policy) = system::get(reference) {
        return Ok(Resolved::Builtin(policy));
    }
    let hint = match system::suggest(reference) {
        Some(name) => format!("; did you mean the built-in `{name}`?"),
        None => "; no such file".into(),
    };
    Err(InputError::NoSuchPolicy {
        arg: joined.display().to_string(),
        hint,
    })
}

/// Reads every policy a test suite names (see [`resolve_in`]): `base` is the suite's folder.
pub fn load_policies_in(base: &Path, references: &[String], kind: PolicyKind) -> Result<LoadedPolicies, InputError> {
    let mut loaded = LoadedPolicies {
        policies: Vec::new(),
        errors: Vec::new(),
    };
    for reference in references {
        match resolve_in(base, reference)? {
            Resolved::Builtin(policy) => loaded.policies.push(policy),
            Resolved::Stdin => {
                // INVARIANT: resolve_in never gives standard input; reading it anyway would hang a suite.
                return Err(InputError::NoSuchPolicy {
                    arg: reference.clone(),
                    hint: String::new(),
                });
            }
            Resolved::Files(files) => {
                for file in files {
                    let bytes = read(&file)?;
                    match Policy::from_bytes(&name_of(&file), &file.display().to_string(), kind, &bytes) {
                        Ok(p) => loaded.policies.push(p),
                        Err(e) => loaded.errors.push(e),
                    }
                }
            }
        }
    }
    Ok(loaded)
}

/// Adds `--context KEY=VALUE` pairs to a request.
pub fn add_context_pairs(mut builder: RequestBuilder, pairs: &[String]) -> Result<RequestBuilder, InputError> {
    for pair in pairs {
        match pair.split_once('=') {
            Some((key, value)) if !key.is_empty() => builder = builder.context(key, value),
            _ => return Err(InputError::ContextPair(pair.clone())),
        }
    }
    Ok(builder)
}

/// Adds the keys of a context file (a JSON object: key → value or array of values; values are
/// strings, booleans or numbers) to a request.
pub fn add_context_file(mut builder: RequestBuilder, path: &Path) -> Result<RequestBuilder, InputError> {
    let display = path.display().to_string();
    let bytes = read(path)?;
    let text = decode_document(&bytes).map_err(|reason| InputError::Read {
        path: display.clone(),
        reason,
    })?;
    let index = LineIndex::new(text);
    let fail = |span: Span, message: String| {
        let at = index.locate(span);
        InputError::ContextFile {
            path: display.clone(),
            line: at.line,
            column: at.column,
            message,
        }
    };
    let parsed = json::parse(text);
    if let Some(p) = parsed.problems.into_iter().next() {
        return Err(fail(p.span, p.message));
    }
    let Some(root) = parsed.root else {
        return Err(fail(Span::default(), "empty context file".into()));
    };
    let pairs = json::context_pairs(&root).map_err(|(span, message)| fail(span, message))?;
    for (key, value) in pairs {
        builder = builder.context(key, value);
    }
    Ok(builder)
}
