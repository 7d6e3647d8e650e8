"""MMT: model monitoring for credit-risk models (PD, LGD, EAD/CCF, macro)."""

__version__ = "0.1.0"


def create_app(overrides=None):
    """Create the Flask application; see :func:`mmt.app.create_app`."""
    from mmt.app import create_app as _create_app

    return _create_app(overrides)
