"""MMT: model monitoring for credit-risk models (PD, LGD, EAD/CCF, macro)."""

import os

__version__ = "0.1.0"

# Arrow allocates through mimalloc, which by default hands freed memory back
# to the operating system after 10 ms. Ingest and analyses free and allocate
# batches of tens of MB all the time, so each batch then faulted in fresh,
# zeroed pages. On the 2-core virtual machine of the benchmark the first
# upload of a 1M-row file spent 0.9 s of system time in a 1.4 s run. One
# second keeps the memory for the next batch and still returns it soon after
# a request. mimalloc reads the option when it first needs it, so setting it
# here, before any upload or analysis, is early enough. A value set by the
# operator wins.
os.environ.setdefault("MIMALLOC_PURGE_DELAY", "1000")


def create_app(overrides=None):
    """Create the Flask application; see :func:`mmt.app.create_app`."""
    from mmt.app import create_app as _create_app

    return _create_app(overrides)
