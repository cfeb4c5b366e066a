"""For a WSGI server started by hand (`gunicorn trainer.wsgi:app`); `trainer serve` is the
usual way and does the same."""
from trainer import create_app
from trainer.serve import limit_blas

app = create_app()
limit_blas(int(app.config["BLAS_THREADS"]))
