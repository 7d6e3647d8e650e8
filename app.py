"""Entry point: ``python app.py`` serves the API; ``gunicorn -w 4 app:app`` in production."""

from mmt import create_app

app = create_app()

if __name__ == "__main__":
    settings = app.extensions["mmt"].settings
    app.run(host=settings.host, port=settings.port, threaded=True)
