"""The one error storage raises: data on disk that cannot be trusted."""


class CorruptDataError(Exception):
    """A file is damaged where damage cannot be a torn write; the message names file and byte
    offset. The server stops rather than skip anything."""
