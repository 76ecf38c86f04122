"""Sessions: ImageState, edit ops, pure state transitions, the history tree,
the crash-safe session log, replay, scripts and export.  Imports generators
only.  Import from the modules (``sessions.state``, ``sessions.ops``, ...)."""
