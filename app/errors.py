"""The one error contract: input that a user or client got wrong."""


class InvalidInput(ValueError):
    """A value from outside (a message, a request, an import, a library call) that is not
    acceptable; the message names the field at fault. Nothing was changed."""
