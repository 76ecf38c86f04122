"""Errors that generators raise with a message a user can act on."""


class GeneratorError(RuntimeError):
    """Base class: a generator could not be built or could not render."""


class UnknownGeneratorError(GeneratorError):
    pass


class WeightsError(GeneratorError):
    """Missing, truncated or mismatched weight files.

    The message always says how to retrain (``holochat train ...``).
    """
