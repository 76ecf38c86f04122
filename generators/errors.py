"""Errors that generators raise with a message a user can act on."""


class GeneratorError(RuntimeError):
    """Base class: a generator could not be built or could not render."""


class UnknownGeneratorError(GeneratorError):
    pass


class WeightsError(GeneratorError):
    """Missing, truncated or mismatched weight files.

    The message always says how to retrain (``holochat train ...``).
    """


# -- messages for the person ---------------------------------------------------------
# Exit codes (documented in docs/robustness.md; every subcommand uses them):
EXIT_OK = 0
EXIT_INCOMPLETE = 1  # finished, but something did not hold: a --verify difference,
#                       or files (session log, turn images, exports) could not be written
EXIT_INPUT = 2  # the input cannot be used: usage, names, scripts, session logs
EXIT_MODEL = 3  # a model could not be loaded or could not render
EXIT_INTERNAL = 70  # a bug: an error nobody anticipated (details with --debug)
EXIT_INTERRUPTED = 130

_WRITE_ERRNOS = {"ENOSPC", "EDQUOT", "EROFS", "EACCES", "EPERM", "EFBIG", "ENOTDIR"}


def os_problem(e: OSError) -> str:
    """An ``OSError`` in words: what happened (to which file) and what to do."""
    import errno

    name = errno.errorcode.get(e.errno or 0, "")
    f = f" ({e.filename})" if e.filename else ""
    if name in ("ENOSPC", "EDQUOT"):
        return (
            f"the disk is full{f}. Free some space (or set HOLOCHAT_DATA_DIR to a "
            "directory on another disk) and try again"
        )
    if name == "EROFS":
        return f"the file system is read-only{f}. Set HOLOCHAT_DATA_DIR to a writable directory"
    if name in ("EACCES", "EPERM"):
        return (
            f"permission denied{f}. Set HOLOCHAT_DATA_DIR to a directory you can "
            "write, or fix its permissions"
        )
    if name == "ENOTDIR":
        return f"a part of the path is a file, not a directory{f}"
    if name == "EFBIG":
        return f"the file is too large{f}"
    if isinstance(e, FileNotFoundError):
        return f"there is no such file{f}"
    if isinstance(e, IsADirectoryError):
        return f"that is a directory, not a file{f}"
    return f"{(e.strerror or str(e)).rstrip('.').lower()}{f}"


def is_write_problem(e: OSError) -> bool:
    import errno

    return errno.errorcode.get(e.errno or 0, "") in _WRITE_ERRNOS


def describe(e: BaseException) -> str:
    """A short sentence for any exception, without class names or tracebacks.

    Errors raised for the person (``GeneratorError`` and the other layers'
    errors) already carry such a sentence; an ``OSError`` is put in words; any
    other exception is a bug, said as such."""
    if isinstance(e, GeneratorError) and str(e):
        return str(e)
    if isinstance(e, OSError):  # errno set: from the OS; else raised with a sentence
        return os_problem(e) if e.errno is not None or not str(e) else str(e)
    if isinstance(e, MemoryError):
        return "the computer ran out of memory"
    text = str(e).strip().splitlines()[0][:200] if str(e).strip() else "no details"
    return f"an internal error happened ({text}); run with --debug for the details"
